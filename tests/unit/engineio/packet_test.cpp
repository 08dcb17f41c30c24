#include "engineio/packet.hpp"
#include "transport/ws_frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::engineio {
namespace {

const std::string k01020304("\x01\x02\x03\x04", 4);

struct DecodeCase {
  std::string text;
  PacketType type;
  bool binary;
  std::string data;
};

TEST(EioDecodePacket, EveryType) {
  const std::vector<DecodeCase> cases = {
      {"0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000}",
       PacketType::open, false,
       "{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000}"},
      {"1", PacketType::close, false, ""},
      {"2", PacketType::ping, false, ""},
      {"2probe", PacketType::ping, false, "probe"},
      {"3", PacketType::pong, false, ""},
      {"3probe", PacketType::pong, false, "probe"},
      {"4hello", PacketType::message, false, "hello"},
      {"4", PacketType::message, false, ""},
      {"42[\"hey\",\"Jude\"]", PacketType::message, false, "2[\"hey\",\"Jude\"]"},
      {"4\xe2\x82\xac", PacketType::message, false, "\xe2\x82\xac"},
      {"4b", PacketType::message, false, "b"}, // a text message that happens to read "b"
      {"5", PacketType::upgrade, false, ""},
      {"6", PacketType::noop, false, ""},
  };
  for (bool allow_base64 : {false, true}) {
    for (const auto& c : cases) {
      SCOPED_TRACE(c.text);
      const auto p = decode_packet(c.text, allow_base64);
      ASSERT_TRUE(p.has_value());
      EXPECT_EQ(p->type, c.type);
      EXPECT_EQ(p->binary, c.binary);
      EXPECT_EQ(p->data, c.data);
    }
  }
}

TEST(EioDecodePacket, Base64BinaryMessage) {
  auto p = decode_packet("bAQIDBA==", true);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, PacketType::message);
  EXPECT_TRUE(p->binary);
  EXPECT_EQ(p->data, k01020304);

  p = decode_packet("b", true); // an empty buffer
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->binary);
  EXPECT_EQ(p->data, "");

  p = decode_packet("b/w==", true);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->data, "\xff");

  // Over WebSocket binary travels as is: 'b' is no packet type there.
  EXPECT_EQ(decode_packet("bAQIDBA==", false), std::nullopt);
}

TEST(EioDecodePacket, Rejects) {
  const std::vector<std::string> bad = {
      "",         "7", "9hello", "a", "B", "/", " 4hello", "\x1e",
      "bAQIDBA=", // bad base64 length
      "bAQ",      // bad base64 length
      "b!!!!",    // outside the alphabet
      "bAQ-_A==", // base64url alphabet
  };
  for (const auto& text : bad) {
    SCOPED_TRACE(text);
    EXPECT_EQ(decode_packet(text, true), std::nullopt);
  }
}

struct PayloadCase {
  std::string body;
  std::vector<DecodeCase> packets;
};

TEST(EioDecodePayload, ProtocolExamples) {
  const std::vector<PayloadCase> cases = {
      {"4hello\x1e"
       "2\x1e"
       "4world",
       {{"", PacketType::message, false, "hello"},
        {"", PacketType::ping, false, ""},
        {"", PacketType::message, false, "world"}}},
      {"4hello\x1e"
       "bAQIDBA==",
       {{"", PacketType::message, false, "hello"}, {"", PacketType::message, true, k01020304}}},
      {"42[\"hello\"]\x1e"
       "42[\"world\"]",
       {{"", PacketType::message, false, "2[\"hello\"]"}, {"", PacketType::message, false, "2[\"world\"]"}}},
      {"40", {{"", PacketType::message, false, "0"}}},
      {"1", {{"", PacketType::close, false, ""}}},
      {"6\x1e"
       "6\x1e"
       "b",
       {{"", PacketType::noop, false, ""},
        {"", PacketType::noop, false, ""},
        {"", PacketType::message, true, ""}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    const auto packets = decode_payload(c.body);
    ASSERT_TRUE(packets.has_value());
    ASSERT_EQ(packets->size(), c.packets.size());
    for (std::size_t i = 0; i < c.packets.size(); ++i) {
      EXPECT_EQ((*packets)[i].type, c.packets[i].type) << i;
      EXPECT_EQ((*packets)[i].binary, c.packets[i].binary) << i;
      EXPECT_EQ((*packets)[i].data, c.packets[i].data) << i;
    }
  }
}

TEST(EioDecodePayload, Rejects) {
  const std::vector<std::string> bad = {
      "",           // no packet at all
      "\x1e",       // two empty segments
      "4hello\x1e", // trailing separator
      "\x1e"
      "4hello", // leading separator
      "4a\x1e\x1e"
      "4b", // empty segment in the middle
      "4hello\x1e"
      "bAQIDBA=", // bad base64
      "4hello\x1e"
      "b!!!!", // bad base64
      "4hello\x1e"
      "7", // bad type
      "4hello\x1e"
      "x\x1e"
      "4world", // bad type in the middle
  };
  for (const auto& body : bad) {
    SCOPED_TRACE(body);
    EXPECT_EQ(decode_payload(body), std::nullopt);
  }
}

TEST(EioOutFrame, TextFrame) {
  const auto f = make_text_frame(PacketType::message, "hello");
  EXPECT_FALSE(f->binary);
  EXPECT_EQ(f->payload(), "4hello");
  EXPECT_EQ(f->header_size, 2u);
  EXPECT_EQ(f->wire, std::string("\x81\x06", 2) + "4hello");

  EXPECT_EQ(make_text_frame(PacketType::ping)->payload(), "2");
  EXPECT_EQ(make_text_frame(PacketType::pong, "probe")->payload(), "3probe");
  EXPECT_EQ(make_text_frame(PacketType::noop)->wire, std::string("\x81\x01", 2) + "6");

  // Long enough for the 16-bit length form: 125 data bytes + the type = 126.
  const std::string data(125, 'x');
  const auto big = make_text_frame(PacketType::message, data);
  EXPECT_EQ(big->header_size, 4u);
  EXPECT_EQ(big->wire.substr(0, 4), std::string("\x81\x7e\x00\x7e", 4));
  EXPECT_EQ(big->payload(), "4" + data);
}

TEST(EioOutFrame, TextFrameFromPiecesIsTheJoinedFrame) {
  EXPECT_EQ(make_text_frame(PacketType::message, {"he", "", "llo"})->wire,
            make_text_frame(PacketType::message, "hello")->wire);
  // Pieces whose sum crosses the 16-bit and the 64-bit length forms.
  for (std::size_t n : {124u, 125u, 65534u, 65535u, 70000u}) {
    SCOPED_TRACE(n);
    const std::string a(n / 2, 'a'), b(n - n / 2, 'b');
    const auto joined = make_text_frame(PacketType::message, {a, b});
    const auto whole = make_text_frame(PacketType::message, a + b);
    EXPECT_EQ(joined->wire, whole->wire);
    EXPECT_EQ(joined->header_size, whole->header_size);
  }
}

TEST(EioOutFrame, BinaryFrame) {
  const auto f = make_binary_frame(k01020304);
  EXPECT_TRUE(f->binary);
  EXPECT_EQ(f->header_size, 2u);
  EXPECT_EQ(f->payload(), k01020304);
  EXPECT_EQ(f->wire, std::string("\x82\x04", 2) + k01020304);
  const auto empty = make_binary_frame("");
  EXPECT_EQ(empty->wire, std::string("\x82\x00", 2));
  EXPECT_EQ(empty->payload(), "");
}

TEST(EioOutFrame, WireIsAValidWebSocketFrame) {
  for (const auto& f : {make_text_frame(PacketType::message, std::string(70000, 'm')),
                        make_binary_frame(k01020304), make_text_frame(PacketType::open, "{}")}) {
    std::string wire = f->wire;
    const auto r = transport::ws::parse_server_frame(wire.data(), wire.size(), 1 << 20);
    ASSERT_EQ(r.status, transport::ws::ParseStatus::frame);
    EXPECT_EQ(r.frame.opcode, f->binary ? transport::ws::Opcode::binary : transport::ws::Opcode::text);
    EXPECT_EQ(r.frame.payload, f->payload());
    EXPECT_EQ(r.consumed, wire.size());
  }
}

TEST(EioPayload, AppendProducesTheProtocolStrings) {
  std::string payload;
  append_to_payload(payload, *make_text_frame(PacketType::message, "hello"));
  EXPECT_EQ(payload, "4hello");
  append_to_payload(payload, *make_binary_frame(k01020304));
  EXPECT_EQ(payload, "4hello\x1e"
                     "bAQIDBA==");

  std::string second;
  append_to_payload(second, *make_text_frame(PacketType::message, "hello"));
  append_to_payload(second, *make_text_frame(PacketType::ping));
  append_to_payload(second, *make_text_frame(PacketType::message, "world"));
  EXPECT_EQ(second, "4hello\x1e"
                    "2\x1e"
                    "4world");

  std::string lone_binary;
  append_to_payload(lone_binary, *make_binary_frame(""));
  EXPECT_EQ(lone_binary, "b");
}

TEST(EioPayload, AppendThenDecodeRoundTrips) {
  std::vector<Packet> sent = {
      {PacketType::open, false, "{\"sid\":\"abc\"}"},
      {PacketType::message, true, std::string("\0\xff\x1e\x00", 4)},
      {PacketType::message, false, "2[\"hello\",\"\xc3\xa9\"]"},
      {PacketType::noop, false, ""},
      {PacketType::message, true, ""},
      {PacketType::message, true, std::string(1000, '\xab')},
      {PacketType::close, false, ""},
  };
  std::string payload;
  for (const auto& p : sent)
    append_to_payload(payload, p.binary ? *make_binary_frame(p.data) : *make_text_frame(p.type, p.data));
  const auto got = decode_payload(payload);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ((*got)[i].type, sent[i].type) << i;
    EXPECT_EQ((*got)[i].binary, sent[i].binary) << i;
    EXPECT_EQ((*got)[i].data, sent[i].data) << i;
  }
}

} // namespace
} // namespace herald::engineio
