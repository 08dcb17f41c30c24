#include "transport/ws_frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace herald::transport::ws {
namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list)
    s += static_cast<char>(b);
  return s;
}

// Parses a copy (the parser unmasks in place).
ParseResult parse_client(std::string& buf, std::size_t max_payload = 1 << 20) {
  return parse_client_frame(buf.data(), buf.size(), max_payload);
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 31 + 7) & 0xFF);
  return s;
}

// RFC 6455 section 5.7 examples.
const std::string kMaskedHello = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
const std::string kUnmaskedHello = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
const std::string kMaskedPong = bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
const std::string kUnmaskedPing = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
const std::string kHel = bytes({0x01, 0x03, 0x48, 0x65, 0x6c});
const std::string kLo = bytes({0x80, 0x02, 0x6c, 0x6f});
constexpr uint32_t kRfcMask = 0x37fa213d;

TEST(WsFrame, Rfc6455MaskedHelloFromAClient) {
  std::string buf = kMaskedHello;
  const auto r = parse_client(buf);
  ASSERT_EQ(r.status, ParseStatus::frame);
  EXPECT_TRUE(r.frame.fin);
  EXPECT_EQ(r.frame.opcode, Opcode::text);
  EXPECT_EQ(r.frame.payload, "Hello");
  EXPECT_EQ(r.consumed, kMaskedHello.size());
  // Unmasked in place: the payload points into the buffer.
  EXPECT_EQ(r.frame.payload.data(), buf.data() + 6);
  EXPECT_EQ(encode_client_frame(Opcode::text, "Hello", kRfcMask), kMaskedHello);
}

TEST(WsFrame, Rfc6455UnmaskedHelloFromAServer) {
  EXPECT_EQ(encode_frame(Opcode::text, "Hello"), kUnmaskedHello);
  std::string buf = kUnmaskedHello;
  const auto r = parse_server_frame(buf.data(), buf.size(), 1000);
  ASSERT_EQ(r.status, ParseStatus::frame);
  EXPECT_EQ(r.frame.payload, "Hello");
  EXPECT_EQ(r.consumed, buf.size());
}

TEST(WsFrame, Rfc6455ControlFrames) {
  EXPECT_EQ(encode_frame(Opcode::ping, "Hello"), kUnmaskedPing);
  EXPECT_EQ(encode_client_frame(Opcode::pong, "Hello", kRfcMask), kMaskedPong);
  std::string pong = kMaskedPong;
  auto r = parse_client(pong);
  ASSERT_EQ(r.status, ParseStatus::frame);
  EXPECT_EQ(r.frame.opcode, Opcode::pong);
  EXPECT_EQ(r.frame.payload, "Hello");

  for (Opcode op : {Opcode::ping, Opcode::pong, Opcode::close}) {
    std::string frame = encode_client_frame(op, "", 0x01020304);
    r = parse_client(frame);
    ASSERT_EQ(r.status, ParseStatus::frame);
    EXPECT_EQ(r.frame.opcode, op);
    EXPECT_TRUE(r.frame.payload.empty());
  }
  // A close frame with status 1000 and a reason.
  std::string close = encode_client_frame(Opcode::close, bytes({0x03, 0xe8}) + "bye", 0xdeadbeef);
  r = parse_client(close);
  ASSERT_EQ(r.status, ParseStatus::frame);
  EXPECT_EQ(r.frame.opcode, Opcode::close);
  EXPECT_EQ(r.frame.payload, bytes({0x03, 0xe8}) + "bye");
}

TEST(WsFrame, Rfc6455FragmentedUnmaskedText) {
  std::string buf = kHel + kLo;
  auto r = parse_server_frame(buf.data(), buf.size(), 1000);
  ASSERT_EQ(r.status, ParseStatus::frame);
  EXPECT_FALSE(r.frame.fin);
  EXPECT_EQ(r.frame.opcode, Opcode::text);
  EXPECT_EQ(r.frame.payload, "Hel");
  EXPECT_EQ(r.consumed, kHel.size());
  r = parse_server_frame(buf.data() + kHel.size(), buf.size() - kHel.size(), 1000);
  ASSERT_EQ(r.status, ParseStatus::frame);
  EXPECT_TRUE(r.frame.fin);
  EXPECT_EQ(r.frame.opcode, Opcode::continuation);
  EXPECT_EQ(r.frame.payload, "lo");
}

TEST(WsFrame, FragmentedMaskedTextWithAPingInBetween) {
  std::string buf = encode_client_frame(Opcode::text, "Hel", 0x11223344, false) +
                    encode_client_frame(Opcode::ping, "p", 0x55667788) +
                    encode_client_frame(Opcode::continuation, "lo", 0x99aabbcc, true);
  // The same bytes as the RFC's unmasked fragments, masked.
  EXPECT_EQ(static_cast<uint8_t>(buf[0]), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(buf[1]), 0x83);
  struct Expect {
    bool fin;
    Opcode op;
    std::string payload;
  };
  const std::vector<Expect> expected = {
      {false, Opcode::text, "Hel"}, {true, Opcode::ping, "p"}, {true, Opcode::continuation, "lo"}};
  std::size_t offset = 0;
  for (const auto& e : expected) {
    const auto r = parse_client_frame(buf.data() + offset, buf.size() - offset, 1000);
    ASSERT_EQ(r.status, ParseStatus::frame);
    EXPECT_EQ(r.frame.fin, e.fin);
    EXPECT_EQ(r.frame.opcode, e.op);
    EXPECT_EQ(r.frame.payload, e.payload);
    offset += r.consumed;
  }
  EXPECT_EQ(offset, buf.size());
}

TEST(WsFrame, Rfc6455SixteenAndSixtyFourBitLengths) {
  // 256 bytes: 0x82 0x7E 0x0100; 64 KiB: 0x82 0x7F 0x0000000000010000.
  const std::string p256 = pattern(256);
  const std::string f256 = encode_frame(Opcode::binary, p256);
  EXPECT_EQ(f256.substr(0, 4), bytes({0x82, 0x7e, 0x01, 0x00}));
  EXPECT_EQ(f256.substr(4), p256);
  const std::string p64k = pattern(65536);
  const std::string f64k = encode_frame(Opcode::binary, p64k);
  EXPECT_EQ(f64k.substr(0, 10), bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  EXPECT_EQ(f64k.substr(10), p64k);

  std::string masked = encode_client_frame(Opcode::binary, p256, 0xa1b2c3d4);
  EXPECT_EQ(masked.substr(0, 8), bytes({0x82, 0xfe, 0x01, 0x00, 0xa1, 0xb2, 0xc3, 0xd4}));
  auto r = parse_client(masked);
  ASSERT_EQ(r.status, ParseStatus::frame);
  EXPECT_EQ(r.frame.payload, p256);
  masked = encode_client_frame(Opcode::binary, p64k, 0xa1b2c3d4);
  EXPECT_EQ(masked.substr(0, 14),
            bytes({0x82, 0xff, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0xa1, 0xb2, 0xc3, 0xd4}));
  r = parse_client(masked);
  ASSERT_EQ(r.status, ParseStatus::frame);
  EXPECT_EQ(r.frame.payload, p64k);
}

TEST(WsFrame, AppendHeaderPicksTheShortestLengthForm) {
  struct Case {
    std::size_t size;
    std::string header;
  };
  const std::vector<Case> cases = {
      {0, bytes({0x81, 0x00})},
      {125, bytes({0x81, 0x7d})},
      {126, bytes({0x81, 0x7e, 0x00, 0x7e})},
      {65535, bytes({0x81, 0x7e, 0xff, 0xff})},
      {65536, bytes({0x81, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00})},
      {0x123456789aULL, bytes({0x81, 0x7f, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x9a})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.size);
    std::string out = "prefix";
    append_header(out, Opcode::text, c.size);
    EXPECT_EQ(out, "prefix" + c.header);
  }
}

TEST(WsFrame, RoundTripsAtTheLengthBoundaries) {
  for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 70000u}) {
    for (Opcode op : {Opcode::text, Opcode::binary, Opcode::continuation}) {
      SCOPED_TRACE(::testing::Message() << "size " << size << " opcode " << static_cast<int>(op));
      const std::string payload = pattern(size);
      const std::size_t header = size < 126 ? 2 : size <= 65535 ? 4 : 10;

      std::string server = encode_frame(op, payload);
      EXPECT_EQ(server.size(), header + size);
      auto r = parse_server_frame(server.data(), server.size(), size);
      ASSERT_EQ(r.status, ParseStatus::frame);
      EXPECT_EQ(r.frame.opcode, op);
      EXPECT_TRUE(r.frame.fin);
      EXPECT_EQ(r.frame.payload, payload);
      EXPECT_EQ(r.consumed, server.size());

      for (uint32_t mask : {0u, 0xffffffffu, 0x5a3c0f81u}) {
        for (bool fin : {true, false}) {
          std::string client = encode_client_frame(op, payload, mask, fin);
          EXPECT_EQ(client.size(), header + 4 + size);
          r = parse_client_frame(client.data(), client.size(), size); // exactly at the limit
          ASSERT_EQ(r.status, ParseStatus::frame);
          EXPECT_EQ(r.frame.opcode, op);
          EXPECT_EQ(r.frame.fin, fin);
          EXPECT_EQ(r.frame.payload, payload);
          EXPECT_EQ(r.consumed, client.size());
        }
      }
    }
  }
}

TEST(WsFrame, ControlFramesRoundTripUpTo125Bytes) {
  for (Opcode op : {Opcode::ping, Opcode::pong, Opcode::close}) {
    for (std::size_t size : {0u, 1u, 124u, 125u}) {
      std::string frame = encode_client_frame(op, pattern(size), 0x0badf00d);
      const auto r = parse_client(frame);
      ASSERT_EQ(r.status, ParseStatus::frame);
      EXPECT_EQ(r.frame.opcode, op);
      EXPECT_EQ(r.frame.payload, pattern(size));
    }
  }
}

TEST(WsFrame, NeedMoreAtEveryTruncationPoint) {
  for (std::size_t size : {0u, 5u, 125u, 126u, 300u, 65535u, 65536u}) {
    SCOPED_TRACE(size);
    const std::string whole = encode_client_frame(Opcode::binary, pattern(size), 0xcafebabe);
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
      std::string prefix = whole.substr(0, cut);
      const auto r = parse_client_frame(prefix.data(), prefix.size(), 1 << 20);
      ASSERT_EQ(r.status, ParseStatus::need_more) << "cut at " << cut;
      ASSERT_EQ(r.consumed, 0u);
      ASSERT_EQ(prefix, whole.substr(0, cut)) << "need_more must not touch the buffer";
    }
    std::string copy = whole;
    EXPECT_EQ(parse_client(copy).status, ParseStatus::frame);
  }
  // The same for a server frame.
  const std::string server = encode_frame(Opcode::text, pattern(200));
  for (std::size_t cut = 0; cut < server.size(); ++cut) {
    std::string prefix = server.substr(0, cut);
    EXPECT_EQ(parse_server_frame(prefix.data(), prefix.size(), 1000).status, ParseStatus::need_more) << cut;
  }
}

TEST(WsFrame, ParsesOnlyTheFirstFrameOfABuffer) {
  std::string buf = kMaskedHello + encode_client_frame(Opcode::binary, pattern(300), 7) + kMaskedHello;
  std::vector<std::string> payloads;
  std::size_t offset = 0;
  while (offset < buf.size()) {
    const auto r = parse_client_frame(buf.data() + offset, buf.size() - offset, 1000);
    ASSERT_EQ(r.status, ParseStatus::frame);
    payloads.emplace_back(r.frame.payload);
    offset += r.consumed;
  }
  ASSERT_EQ(payloads.size(), 3u);
  EXPECT_EQ(payloads[0], "Hello");
  EXPECT_EQ(payloads[1], pattern(300));
  EXPECT_EQ(payloads[2], "Hello");
}

struct ErrorCase {
  const char* what;
  std::string bytes;
  std::size_t max_payload;
  uint16_t close_code;
};

TEST(WsFrame, ClientFrameErrors) {
  const std::string ping126 = bytes({0x89, 0xfe, 0x00, 0x7e, 1, 2, 3, 4}) + std::string(126, 'x');
  const std::vector<ErrorCase> cases = {
      {"unmasked client frame", kUnmaskedHello, 1000, close_protocol_error},
      {"unmasked, header only", bytes({0x81, 0x05}), 1000, close_protocol_error},
      {"RSV1", bytes({0xc1, 0x85}) + kMaskedHello.substr(2), 1000, close_protocol_error},
      {"RSV2", bytes({0xa1, 0x85}) + kMaskedHello.substr(2), 1000, close_protocol_error},
      {"RSV3", bytes({0x91, 0x85}) + kMaskedHello.substr(2), 1000, close_protocol_error},
      {"opcode 3", bytes({0x83, 0x80, 0, 0, 0, 0}), 1000, close_protocol_error},
      {"opcode 7", bytes({0x87, 0x80, 0, 0, 0, 0}), 1000, close_protocol_error},
      {"opcode 0xB", bytes({0x8b, 0x80, 0, 0, 0, 0}), 1000, close_protocol_error},
      {"opcode 0xF", bytes({0x8f, 0x80, 0, 0, 0, 0}), 1000, close_protocol_error},
      {"ping of 126 bytes", ping126, 1000, close_protocol_error},
      {"close of 126 bytes, header only", bytes({0x88, 0xfe, 0x00, 0x7e}), 1000, close_protocol_error},
      {"non-final ping", bytes({0x09, 0x80, 0, 0, 0, 0}), 1000, close_protocol_error},
      {"non-final close", bytes({0x08, 0x82, 0, 0, 0, 0, 0x03, 0xe8}), 1000, close_protocol_error},
      {"non-final pong", bytes({0x0a, 0x80, 0, 0, 0, 0}), 1000, close_protocol_error},
      {"payload above max", encode_client_frame(Opcode::text, std::string(101, 'a'), 1), 100, close_too_big},
      {"16-bit length above max, header only", bytes({0x82, 0xfe, 0xff, 0xff}), 65534, close_too_big},
      {"64-bit length above max, header only", bytes({0x82, 0xff, 0, 0, 0, 0x01, 0, 0, 0, 0}), 1 << 20,
       close_too_big},
      {"64-bit length with the top bit set",
       bytes({0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0x05, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'}), SIZE_MAX,
       close_protocol_error},
      {"64-bit length all ones", bytes({0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
       SIZE_MAX, close_protocol_error},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::string buf = c.bytes;
    const auto r = parse_client_frame(buf.data(), buf.size(), c.max_payload);
    EXPECT_EQ(r.status, ParseStatus::error);
    EXPECT_EQ(r.close_code, c.close_code);
  }
}

TEST(WsFrame, MaxPayloadIsInclusive) {
  std::string at = encode_client_frame(Opcode::text, std::string(100, 'a'), 9);
  EXPECT_EQ(parse_client_frame(at.data(), at.size(), 100).status, ParseStatus::frame);
  std::string above = encode_client_frame(Opcode::text, std::string(101, 'a'), 9);
  const auto r = parse_client_frame(above.data(), above.size(), 100);
  EXPECT_EQ(r.status, ParseStatus::error);
  EXPECT_EQ(r.close_code, close_too_big);
  // A control frame within 125 bytes but above a tiny max is still too big.
  std::string ping = encode_client_frame(Opcode::ping, "12345", 9);
  EXPECT_EQ(parse_client_frame(ping.data(), ping.size(), 4).close_code, close_too_big);
}

TEST(WsFrame, ServerParserRejectsMaskedFrames) {
  std::string buf = kMaskedHello;
  const auto r = parse_server_frame(buf.data(), buf.size(), 1000);
  EXPECT_EQ(r.status, ParseStatus::error);
  EXPECT_EQ(r.close_code, close_protocol_error);
}

TEST(WsFrame, AcceptKeyOfTheRfcExample) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ==").size(), 28u);
  EXPECT_EQ(accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

} // namespace
} // namespace herald::transport::ws
