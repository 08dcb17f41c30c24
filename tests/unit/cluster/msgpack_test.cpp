// The msgpack codec against bytes written by notepack.io (the encoder of the Node.js Redis
// adapter and emitter), and against malformed input.
#include "cluster/msgpack.hpp"

#include "socketio/packet.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>

namespace herald::cluster::msgpack {
namespace {

namespace json = boost::json;

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

struct Vector {
  const char* json;
  const char* notepack_hex;
};

// Each JSON value and what notepack.io 3 encodes it to (node -e 'notepack.encode(v)').
const Vector kVectors[] = {
    {"null", "c0"},
    {"true", "c3"},
    {"false", "c2"},
    {"0", "00"},
    {"127", "7f"},
    {"128", "cc80"},
    {"255", "ccff"},
    {"256", "cd0100"},
    {"65536", "ce00010000"},
    {"4294967296", "cf0000000100000000"},
    {"-1", "ff"},
    {"-32", "e0"},
    {"-33", "d0df"},
    {"-129", "d1ff7f"},
    {"-32769", "d2ffff7fff"},
    {"-2147483649", "d3ffffffff7fffffff"},
    {"1.5", "cb3ff8000000000000"},
    {R"("héllo")", "a668c3a96c6c6f"},
    {R"([1,"a",[]])", "9301a16190"},
    {"[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]", "dc001000000000000000000000000000000000"},
    {R"({"a":1,"b":[true,null]})", "82a16101a16292c3c0"},
};

TEST(Msgpack, EncodesAsNotepackDoes) {
  for (const auto& v : kVectors)
    EXPECT_EQ(hex(encode(json::parse(v.json))), v.notepack_hex) << v.json;
}

TEST(Msgpack, DecodesWhatNotepackWrites) {
  for (const auto& v : kVectors) {
    auto d = decode(unhex(v.notepack_hex));
    ASSERT_TRUE(d) << v.json;
    EXPECT_EQ(d->json, json::parse(v.json)) << v.json;
    EXPECT_TRUE(d->binaries.empty());
  }
}

TEST(Msgpack, LongStringsAndMapsTakeTheirWideForms) {
  const std::string s32(32, 'x');
  EXPECT_EQ(hex(encode(json::string(s32))).substr(0, 4), "d920");
  const std::string s256(256, 'y');
  EXPECT_EQ(hex(encode(json::string(s256))).substr(0, 6), "da0100");
  json::object map16;
  for (int i = 0; i < 16; ++i)
    map16["k" + std::to_string(i)] = i;
  const auto bytes = encode(map16);
  EXPECT_EQ(hex(bytes).substr(0, 6), "de0010");
  auto back = decode(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->json, json::value(map16));
}

// ["emitter", {type: 2, data: ["ev", {x: 1}, Buffer "AB"], nsp}, {rooms, flags, except}]
// as @socket.io/redis-emitter publishes it.
constexpr std::string_view kEmitterMessage =
    "93a7656d697474657283a47479706502a46461746193a2657681a17801c4024142a36e7370ae2f6e6f74696669636174696f6e73"
    "83a5726f6f6d7391a8757365723a626f62a5666c61677380a665786365707490";

TEST(Msgpack, BinariesBecomeSocketIoPlaceholders) {
  auto d = decode(unhex(kEmitterMessage));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->binaries.size(), 1u);
  EXPECT_EQ(d->binaries[0], "AB");
  const auto& packet = d->json.as_array()[1].as_object();
  EXPECT_EQ(packet.at("type"), 2);
  EXPECT_EQ(packet.at("nsp"), "/notifications");
  const auto& data = packet.at("data").as_array();
  EXPECT_EQ(data[0], "ev");
  EXPECT_EQ(socketio::placeholder_index(data[2]), 0u);
  EXPECT_EQ(d->json.as_array()[2].as_object().at("rooms").as_array()[0], "user:bob");
  // And back to the very same bytes.
  EXPECT_EQ(hex(encode(d->json, d->binaries)), kEmitterMessage);
}

TEST(Msgpack, UndefinedDropsItsKeyAndReadsAsNullElsewhere) {
  // {a: <fixext1 type 0>, b: 1} and [<fixext1>, 1]
  auto map = decode(unhex("82a161d40000a16201"));
  ASSERT_TRUE(map);
  EXPECT_EQ(map->json, json::parse(R"({"b":1})"));
  auto array = decode(unhex("92d4000001"));
  ASSERT_TRUE(array);
  EXPECT_EQ(array->json, json::parse("[null,1]"));
}

TEST(Msgpack, NumericKeysBecomeStrings) {
  auto d = decode(unhex("810701"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->json, json::parse(R"({"7":1})"));
}

TEST(Msgpack, LargeUnsignedAndFloat32) {
  auto big = decode(unhex("cfffffffffffffffff"));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->json.as_uint64(), UINT64_MAX);
  EXPECT_EQ(hex(encode(big->json)), "cfffffffffffffffff");
  auto f = decode(unhex("ca3fc00000"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->json.as_double(), 1.5);
}

TEST(Msgpack, RefusesMalformedInput) {
  const char* cases[] = {
      "",             // nothing
      "c1",           // the unused tag
      "a5616263",     // a string shorter than announced
      "930102",       // an array shorter than announced
      "dd7fffffff",   // an array of two billion items in four bytes
      "df7fffffff",   // a map likewise
      "c6ffffffff00", // a binary longer than the input
      "cd01",         // a truncated integer
      "82a16101",     // a map missing its second entry
      "81c301",       // a key that is not a string or a number
      "c0c0",         // trailing bytes
      "d9",           // a string without its length
  };
  for (const char* c : cases)
    EXPECT_FALSE(decode(unhex(c))) << c;
}

TEST(Msgpack, BoundsTheNestingDepth) {
  std::string deep(100, '\x91');
  deep += '\xc0';
  EXPECT_FALSE(decode(deep));
  EXPECT_TRUE(decode(deep, 200));
}

} // namespace
} // namespace herald::cluster::msgpack
