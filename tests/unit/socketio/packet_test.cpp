#include "socketio/packet.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace herald::socketio {
namespace {

namespace json = boost::json;

// One example packet: its encoding and its fields. `data` is JSON text, "" for no payload.
struct Example {
  std::string text;
  PacketType type;
  std::string nsp;
  std::optional<uint64_t> id;
  std::string data;
  std::size_t attachments = 0;
};

const std::string kPh0 = R"({"_placeholder":true,"num":0})";
const std::string kPh1 = R"({"_placeholder":true,"num":1})";

// The examples of the Socket.IO v5 protocol document (plus the sample session's frames).
const std::vector<Example> kExamples = {
    {"0", PacketType::connect, "/", {}, ""},
    {"0/admin,", PacketType::connect, "/admin", {}, ""},
    {R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})",
     PacketType::connect,
     "/admin",
     {},
     R"({"sid":"oSO0OpakMV_3jnilAAAA"})"},
    {R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})", PacketType::connect, "/", {}, R"({"sid":"wZX3oN0bSVIhsaknAAAI"})"},
    {R"(0/admin,{"token":"123"})", PacketType::connect, "/admin", {}, R"({"token":"123"})"},
    {R"(4{"message":"Not authorized"})",
     PacketType::connect_error,
     "/",
     {},
     R"({"message":"Not authorized"})"},
    {"1", PacketType::disconnect, "/", {}, ""},
    {"1/admin,", PacketType::disconnect, "/admin", {}, ""},
    {R"(2["foo"])", PacketType::event, "/", {}, R"(["foo"])"},
    {R"(2/admin,["bar"])", PacketType::event, "/admin", {}, R"(["bar"])"},
    {R"(2["hey","Jude"])", PacketType::event, "/", {}, R"(["hey","Jude"])"},
    {R"(212["foo"])", PacketType::event, "/", 12, R"(["foo"])"},
    {R"(2/admin,1["tellme"])", PacketType::event, "/admin", 1, R"(["tellme"])"},
    {R"(312[])", PacketType::ack, "/", 12, "[]"},
    {R"(3/admin,13["bar"])", PacketType::ack, "/admin", 13, R"(["bar"])"},
    {"51-[\"baz\"," + kPh0 + "]", PacketType::binary_event, "/", {}, "[\"baz\"," + kPh0 + "]", 1},
    {"51-[\"hello\"," + kPh0 + "]", PacketType::binary_event, "/", {}, "[\"hello\"," + kPh0 + "]", 1},
    {"52-/admin,[\"baz\"," + kPh0 + "," + kPh1 + "]",
     PacketType::binary_event,
     "/admin",
     {},
     "[\"baz\"," + kPh0 + "," + kPh1 + "]",
     2},
    {"51-14[\"foo\"," + kPh0 + "]", PacketType::binary_event, "/", 14, "[\"foo\"," + kPh0 + "]", 1},
    {"61-15[\"bar\"," + kPh0 + "]", PacketType::binary_ack, "/", 15, "[\"bar\"," + kPh0 + "]", 1},
    {"61-/admin,1[" + kPh0 + "]", PacketType::binary_ack, "/admin", 1, "[" + kPh0 + "]", 1},
};

json::value data_of(const Example& e) { return e.data.empty() ? json::value() : json::parse(e.data); }

TEST(SioDecode, ProtocolExamples) {
  for (const auto& e : kExamples) {
    SCOPED_TRACE(e.text);
    const auto p = decode(e.text);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->type, e.type);
    EXPECT_EQ(p->nsp, e.nsp);
    EXPECT_EQ(p->id, e.id);
    EXPECT_EQ(p->data, data_of(e));
    EXPECT_EQ(p->attachments, e.attachments);
    EXPECT_TRUE(p->buffers.empty());
  }
}

TEST(SioEncode, ProtocolExamples) {
  for (const auto& e : kExamples) {
    SCOPED_TRACE(e.text);
    Packet p;
    p.type = e.type;
    p.nsp = e.nsp;
    p.id = e.id;
    p.data = data_of(e);
    for (std::size_t i = 0; i < e.attachments; ++i)
      p.buffers.push_back(std::string("\x01\x02\x03\x04", 4));
    EXPECT_EQ(encode(p), e.text);
  }
}

TEST(SioEncode, BuffersTurnEventAndAckIntoTheirBinaryTypes) {
  Packet p;
  p.type = PacketType::event;
  p.data = json::array{"baz", placeholder(0)};
  p.buffers = {"\x01\x02"};
  EXPECT_EQ(encode(p), "51-[\"baz\"," + kPh0 + "]");
  p.type = PacketType::ack;
  p.id = 15;
  p.data = json::array{placeholder(0), placeholder(1)};
  p.buffers = {"a", "b"};
  EXPECT_EQ(encode(p), "62-15[" + kPh0 + "," + kPh1 + "]");
  p.buffers.clear();
  p.data = json::array{};
  EXPECT_EQ(encode(p), "315[]");
}

TEST(SioEncode, ServerAnswers) {
  Packet p;
  p.type = PacketType::connect;
  p.data = json::object{{"sid", "wZX3oN0bSVIhsaknAAAI"}};
  EXPECT_EQ(encode(p), R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})");
  p.type = PacketType::connect_error;
  p.nsp = "/admin";
  p.data = json::object{{"message", "Invalid namespace"}};
  EXPECT_EQ(encode(p), R"(4/admin,{"message":"Invalid namespace"})");
  p.type = PacketType::disconnect;
  p.data = nullptr;
  EXPECT_EQ(encode(p), "1/admin,");
}

struct Bad {
  std::string text;
  const char* why;
  std::size_t max_attachments = 64;
};

TEST(SioDecode, RejectsMalformedPackets) {
  const std::vector<Bad> cases = {
      {"", "empty"},
      {"7", "unknown type"},
      {"7abc", "unknown type"},
      {"9[\"a\"]", "unknown type"},
      {"a", "unknown type"},
      {"-1", "unknown type"},
      {"/admin,0", "no type"},
      {"4abc", "CONNECT_ERROR with a payload that is no JSON"},
      {"4", "CONNECT_ERROR without payload"},
      {"4[]", "CONNECT_ERROR with an array"},
      {"41\"x\"", "CONNECT_ERROR with an id"},
      {"2", "EVENT without payload"},
      {"2{}", "EVENT payload not an array"},
      {"2\"foo\"", "EVENT payload a string"},
      {"2[]", "EVENT with an empty array"},
      {"2[{}]", "event name an object"},
      {"2[null]", "event name null"},
      {"2[true]", "event name a boolean"},
      {"2[1.5]", "event name a fraction"},
      {"2[[\"a\"]]", "event name an array"},
      {"2abc[\"a\"]", "garbage before the payload"},
      {"42abc[\"a\"]", "garbage after the id"},
      {"212abc", "garbage instead of a payload"},
      {"2[\"a\"", "truncated JSON"},
      {"2[\"a\"]x", "trailing garbage"},
      {"2[\"a\"][\"b\"]", "two payloads"},
      {"2admin,[\"a\"]", "namespace without its '/'"},
      {"2/admin[\"a\"]", "namespace without its ','"},
      {"2[\"connect\"]", "reserved event name"},
      {"2[\"connect_error\"]", "reserved event name"},
      {"2[\"disconnect\"]", "reserved event name"},
      {"2[\"disconnecting\",1]", "reserved event name"},
      {"2[\"newListener\"]", "reserved event name"},
      {"2[\"removeListener\"]", "reserved event name"},
      {"2/admin,5[\"disconnect\"]", "reserved event name with namespace and id"},
      {"0[]", "CONNECT with an array"},
      {"0[\"a\"]", "CONNECT with an array"},
      {"0\"token\"", "CONNECT with a string"},
      {"01{}", "CONNECT with an id"},
      {"0/admin,1", "CONNECT with an id"},
      {"1{}", "DISCONNECT with a payload"},
      {"1/admin,{}", "DISCONNECT with a payload"},
      {"1[]", "DISCONNECT with a payload"},
      {"11", "DISCONNECT with an id"},
      {"3", "ACK without payload"},
      {"312", "ACK with an id and no payload"},
      {"3{}", "ACK payload not an array"},
      {"312\"bar\"", "ACK payload a string"},
      {"5[\"a\"]", "attachment count missing"},
      {"51[\"a\"]", "attachment count missing its '-'"},
      {"5-[\"a\"]", "empty attachment count"},
      {"5x-[\"a\"]", "attachment count not a number"},
      {"5 1-[\"a\"]", "attachment count not a number"},
      {"51234567-[\"a\"]", "attachment count of 7 digits"},
      {"565-[\"a\"]", "attachment count above the default max of 64"},
      {"53-[\"a\"]", "attachment count above max", 2},
      {"51-[\"a\"]", "no attachment allowed", 0},
      {"6[\"a\"]", "BINARY_ACK attachment count missing"},
      {"61-{}", "BINARY_ACK payload not an array"},
      {"51-[]", "BINARY_EVENT with an empty array"},
      {"2" + std::string(19, '9') + "[\"a\"]", "id of 19 digits"},
      {"2" + std::string(20, '9') + "[\"a\"]", "id above uint64"},
      {"3" + std::string(40, '1') + "[]", "very long id"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.text << " (" << c.why << ")");
    EXPECT_EQ(decode(c.text, c.max_attachments), std::nullopt);
  }
}

TEST(SioDecode, LimitsThatStillPass) {
  auto p = decode("2" + std::string(18, '9') + "[\"a\"]");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->id, 999999999999999999ULL);
  p = decode("52-[\"a\"]", 2);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->attachments, 2u);
  p = decode("564-[\"a\"]");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->attachments, 64u);
  p = decode("50-[\"a\"]");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, PacketType::binary_event);
  EXPECT_EQ(p->attachments, 0u);
  p = decode("2007[\"a\"]"); // leading zeros
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->id, 7u);
  p = decode("4\"Not authorized\""); // the older string form
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->data, json::value("Not authorized"));
  p = decode("0/admin"); // namespace without the trailing comma
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->nsp, "/admin");
  p = decode("2/,[\"a\"]");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->nsp, "/");
  p = decode("2/admin,0[\"a\"]"); // id 0 is an id
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->id, 0u);
  p = decode(" 2[\"a\"]"); // leading space is no type
  EXPECT_FALSE(p.has_value());
  p = decode("2 [\"a\"]"); // JSON allows the whitespace, as JSON.parse does
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(event_name(p->data), "a");
}

TEST(SioDecode, NamespaceAndJsonKeepTheirCharacters) {
  const auto p = decode("2/caf\xc3\xa9-1_x,42[\"\xe2\x82\xac\",\"a,b\",{\"k\":[1,2.5,null,false]}]");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->nsp, "/caf\xc3\xa9-1_x");
  EXPECT_EQ(p->id, 42u);
  EXPECT_EQ(event_name(p->data), "\xe2\x82\xac");
  EXPECT_EQ(p->data.as_array()[1], json::value("a,b"));
}

TEST(SioRoundTrip, EncodeThenDecode) {
  std::vector<Packet> packets;
  auto add = [&](PacketType type, std::string nsp, std::optional<uint64_t> id, json::value data,
                 std::vector<std::string> buffers = {}) {
    Packet p;
    p.type = type;
    p.nsp = std::move(nsp);
    p.id = id;
    p.data = std::move(data);
    p.buffers = std::move(buffers);
    packets.push_back(std::move(p));
  };
  add(PacketType::connect, "/", {}, nullptr);
  add(PacketType::connect, "/chat", {}, json::object{{"token", "t"}, {"n", 1}});
  add(PacketType::disconnect, "/chat", {}, nullptr);
  add(PacketType::event, "/", {},
      json::array{"msg", 1, -2, 3.25, nullptr, true, json::object{{"a", json::array{}}}});
  add(PacketType::event, "/x", 999999999999999999ULL, json::array{"e"});
  add(PacketType::event, "/", 0, json::array{7});
  add(PacketType::ack, "/", 3, json::array{});
  add(PacketType::ack, "/n", 4, json::array{"ok", json::object{}});
  add(PacketType::connect_error, "/", {},
      json::object{{"message", "nope"}, {"data", json::object{{"code", 4}}}});
  add(PacketType::event, "/", 5, json::array{"file", placeholder(0), placeholder(1)},
      {"abc", std::string(3, '\0')});
  add(PacketType::ack, "/bin", 6, json::array{placeholder(0)}, {"\xff"});
  add(PacketType::event, "/", {}, json::array{"quote\"and\\slash\n", "\x01"});
  for (const auto& p : packets) {
    const std::string text = encode(p);
    SCOPED_TRACE(text);
    const auto q = decode(text);
    ASSERT_TRUE(q.has_value());
    PacketType expected = p.type;
    if (!p.buffers.empty() && expected == PacketType::event) expected = PacketType::binary_event;
    if (!p.buffers.empty() && expected == PacketType::ack) expected = PacketType::binary_ack;
    EXPECT_EQ(q->type, expected);
    EXPECT_EQ(q->nsp, p.nsp);
    EXPECT_EQ(q->id, p.id);
    EXPECT_EQ(q->data, p.data);
    EXPECT_EQ(q->attachments, p.buffers.size());
    EXPECT_EQ(encode(*q).substr(0, 1), text.substr(0, 1));
  }
}

TEST(SioRoundTrip, DecodeThenEncodeIsCanonical) {
  for (const auto& e : kExamples) {
    SCOPED_TRACE(e.text);
    auto p = decode(e.text);
    ASSERT_TRUE(p.has_value());
    // The buffers arrive after the text; encode counts them.
    p->buffers.assign(p->attachments, "buf");
    EXPECT_EQ(encode(*p), e.text);
  }
}

// Found by fuzz_sio_packet ("3[24451E444]"): Boost.JSON parses a number beyond double
// range as infinity, decode accepts it, and encode then writes "Infinity" or "-Infinity",
// which is not JSON: when an application forwards a client's 42["msg",1e400], the server
// sends every recipient a packet its parser rejects. Whatever decode accepts must encode to
// something decode accepts again: decode now rejects non-finite numbers.
TEST(SioRoundTrip, EncodesOnlyWhatItCanDecode) {
  for (const std::string text : {"3[24451E444]", "2[\"msg\",1e400]", "2[\"msg\",{\"n\":-1e400}]",
                                 "0{\"token\":1e999}", "4{\"message\":\"x\",\"data\":[1E309]}"}) {
    SCOPED_TRACE(text);
    const auto p = decode(text);
    EXPECT_FALSE(p.has_value());
    if (!p) continue;
    const std::string again = encode(*p);
    EXPECT_TRUE(decode(again).has_value()) << again;
  }
}

TEST(SioPlaceholder, BuildsAndRecognises) {
  EXPECT_EQ(json::serialize(placeholder(0)), kPh0);
  EXPECT_EQ(json::serialize(placeholder(12)), R"({"_placeholder":true,"num":12})");
  for (std::size_t n : {0u, 1u, 63u, 1000000u})
    EXPECT_EQ(placeholder_index(placeholder(n)), n);
  EXPECT_EQ(placeholder_index(json::parse(R"({"num":3,"_placeholder":true})")), 3u);
  EXPECT_EQ(placeholder_index(json::parse(R"({"_placeholder":true,"num":18446744073709551615})")),
            static_cast<std::size_t>(18446744073709551615ULL));
}

TEST(SioPlaceholder, RejectsLookAlikes) {
  const std::vector<std::string> not_placeholders = {
      R"({"_placeholder":false,"num":0})",
      R"({"_placeholder":true})",
      R"({"num":0})",
      R"({"_placeholder":true,"num":-1})",
      R"({"_placeholder":true,"num":"0"})",
      R"({"_placeholder":true,"num":1.0})",
      R"({"_placeholder":"true","num":0})",
      R"({"_placeholder":1,"num":0})",
      R"({"_placeholder":true,"num":0,"x":1})",
      R"({"_placeholder":true,"nun":0})",
      R"([true,0])",
      R"(0)",
      R"("placeholder")",
      R"(null)",
  };
  for (const auto& text : not_placeholders) {
    SCOPED_TRACE(text);
    EXPECT_EQ(placeholder_index(json::parse(text)), std::nullopt);
  }
}

TEST(SioEventName, StringsAndNumbers) {
  struct Case {
    std::string data;
    std::optional<std::string> name;
  };
  const std::vector<Case> cases = {
      {R"(["foo"])", "foo"},
      {R"(["foo",1,{}])", "foo"},
      {R"([""])", ""},
      {R"(["Connect"])", "Connect"}, // reserved names are case-sensitive
      {R"(["connection"])", "connection"},
      {R"([1])", "1"},
      {R"([0,"x"])", "0"},
      {R"([-5])", "-5"},
      {R"([9223372036854775807])", "9223372036854775807"},
      {R"([18446744073709551615])", "18446744073709551615"},
      {R"([1.5])", std::nullopt},
      {R"([])", std::nullopt},
      {R"({"0":"a"})", std::nullopt},
      {R"("foo")", std::nullopt},
      {R"([null])", std::nullopt},
      {R"([["foo"]])", std::nullopt},
      {R"(["disconnect"])", std::nullopt},
      {R"(["newListener"])", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.data);
    EXPECT_EQ(event_name(json::parse(c.data)), c.name);
  }
  EXPECT_EQ(event_name(json::value()), std::nullopt);
  // And a numeric event decodes.
  const auto p = decode("2[42,\"answer\"]");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(event_name(p->data), "42");
}

} // namespace
} // namespace herald::socketio
