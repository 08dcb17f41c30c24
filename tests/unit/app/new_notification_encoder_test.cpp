// The spliced notification:new must be byte for byte what the general encoder makes of
// the same event, for every recipient.

#include "app/batching_emitter.hpp"
#include "notify/payloads.hpp"
#include "socketio/packet.hpp"

#include <gtest/gtest.h>

namespace herald::app {
namespace {

notify::Notification sample() {
  notify::Notification n;
  n.id = "42";
  n.title = "Build \"1234\" finished \xE2\x9C\x85";
  n.content = "Line one\nline two with a \\ backslash and </script>";
  n.content_html = "<p>Line one</p>";
  n.type = {"success", "Success", "check-circle", "#22c55e"};
  n.sender = {"ci", "ci-bot", "CI"};
  n.created_at = core::WallTime(std::chrono::milliseconds(1764160000123));
  return n;
}

// The Socket.IO text of the encoder's frame (after the Engine.IO message type).
std::optional<std::string> text_of(const NewNotificationEncoder& encoder, std::string_view rid) {
  auto frame = encoder.frame(rid);
  if (!frame) return std::nullopt;
  const auto payload = (*frame)->payload();
  EXPECT_EQ(payload.front(), '4');
  return std::string(payload.substr(1));
}

std::string general(const std::string& nsp, const notify::Notification& n, const std::string& rid) {
  auto packet = event_packet(notify::UserEvent{"u1", "notification:new", notify::new_payload(n, rid),
                                               notify::ack_id_for_recipient(rid)});
  packet.nsp = nsp;
  return socketio::encode(packet);
}

TEST(NewNotificationEncoder, SplicesEachRecipientLikeTheGeneralEncoder) {
  const auto n = sample();
  const NewNotificationEncoder encoder("/notifications", n);
  for (const std::string rid : {"1", "7", "123456789", "9007199254740"}) {
    auto text = text_of(encoder, rid);
    ASSERT_TRUE(text.has_value()) << rid;
    EXPECT_EQ(*text, general("/notifications", n, rid));
  }
}

TEST(NewNotificationEncoder, ParsesBackToTheRecipientsOwnIds) {
  const NewNotificationEncoder encoder("/notifications", sample());
  auto text = text_of(encoder, "31");
  ASSERT_TRUE(text.has_value());
  auto packet = socketio::decode(*text);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->nsp, "/notifications");
  EXPECT_EQ(packet->id, notify::ack_id_for_recipient("31"));
  const auto& payload = packet->data.as_array().at(1).as_object();
  EXPECT_EQ(payload.at("recipient_id").as_string(), "31");
  EXPECT_EQ(payload.at("title").as_string(), sample().title);
}

TEST(NewNotificationEncoder, RefusesIdsThatAreNotRecordIds) {
  const NewNotificationEncoder encoder("/notifications", sample());
  EXPECT_FALSE(encoder.frame("").has_value());
  EXPECT_FALSE(encoder.frame("12\"}]").has_value());
  EXPECT_FALSE(encoder.frame("-3").has_value());
}

} // namespace
} // namespace herald::app
