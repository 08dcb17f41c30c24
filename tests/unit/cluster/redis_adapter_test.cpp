// What the adapter holds while its thread is behind is bounded: past max_queued messages,
// broadcasts and fan-outs are counted dropped instead of queued. (Delivery through a real
// Redis is tests/integration/cluster.test.mjs.)
#include "cluster/redis_adapter.hpp"

#include "core/loop_group.hpp"
#include "socketio/server.hpp"

#include <gtest/gtest.h>

namespace herald::cluster {
namespace {

class Fanout final : public socketio::RoomFanout {
public:
  explicit Fanout(std::size_t n) : n_(n) {}
  std::size_t size() const override { return n_; }
  std::string_view room(std::size_t, std::string& scratch) const override { return scratch = "user:a"; }
  std::string_view except(std::size_t) const override { return {}; }
  socketio::EncodedPacket packet(std::size_t) const override { return {}; }

private:
  std::size_t n_;
};

TEST(RedisAdapter, WhatWaitsForItsThreadIsBounded) {
  core::LoopGroup loops(1);
  socketio::Server io(loops, {});
  RedisAdapterOptions options;
  options.endpoint.host = "127.0.0.1";
  options.max_queued = 10;
  RedisAdapter adapter(io.of("/notifications"), options); // never started: nothing is sent
  socketio::Packet p;
  p.data = boost::json::array{"ev"};
  auto frames = std::make_shared<const socketio::EncodedPacket>(socketio::encode_for_wire(p));
  for (int i = 0; i < 4; ++i)
    adapter.publish(frames, {});
  EXPECT_EQ(adapter.stats().dropped, 0u);
  adapter.publish_fan_out(std::make_shared<const Fanout>(7)); // 11 > 10
  EXPECT_EQ(adapter.stats().dropped, 7u);
  adapter.publish_fan_out(std::make_shared<const Fanout>(6)); // exactly 10: admitted
  EXPECT_EQ(adapter.stats().dropped, 7u);
  adapter.publish(frames, {});
  EXPECT_EQ(adapter.stats().dropped, 8u);
}

} // namespace
} // namespace herald::cluster
