#include "app/batching_emitter.hpp"

#include "notify/payloads.hpp"
#include "realtime/gateway.hpp"

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <functional>

namespace herald::app {
namespace json = boost::json;

namespace {
// Batch ack ids live below the recipient ack ids (2^40 and up) and far above the engine's
// own per-socket counters.
constexpr uint64_t kBatchAckBase = uint64_t{1} << 39;
// At most this many recipient ids wait for a batch's ack (tens of MB). A batch forgotten
// early only loses its shortcut: its records stay pending and are sent again.
constexpr std::size_t kMaxRememberedIds = 1'000'000;

// `2/nsp,`: an EVENT packet's text before its ack id (the packet with no id and no data).
std::string event_head(std::string_view nsp) {
  socketio::Packet p;
  p.type = socketio::PacketType::event;
  p.nsp = nsp;
  return socketio::encode(p);
}
} // namespace

socketio::Packet event_packet(notify::UserEvent&& e) {
  socketio::Packet p;
  p.type = socketio::PacketType::event;
  p.id = e.ack_id;
  p.data = json::array{json::string(e.event), std::move(e.payload)};
  return p;
}

BatchingEmitter::BatchingEmitter(socketio::Namespace& nsp, core::LoopGroup& loops,
                                 notify::Repository& repository, std::chrono::milliseconds batch_window,
                                 std::chrono::milliseconds ack_timeout)
    : nsp_(nsp), loops_(loops), repository_(repository), window_(batch_window), ack_memory_(ack_timeout * 2),
      next_batch_ack_(kBatchAckBase) {}

void BatchingEmitter::to_users(std::vector<notify::UserEvent> events) {
  std::vector<std::pair<socketio::BroadcastOptions, socketio::Packet>> now;
  now.reserve(events.size());
  std::vector<std::string> to_schedule;
  for (auto& e : events) {
    socketio::BroadcastOptions options;
    options.rooms.push_back(realtime::user_room(e.user_id));
    // The user's batching sockets get it later, in the batch; the others now.
    // A copy: the original leaves now for the user's other sockets.
    if (e.event == "notification:new" && hold_for_batch(
                                             e.user_id, [&] { return e; }, to_schedule))
      options.except.emplace_back(realtime::kBatchRoom);
    now.emplace_back(std::move(options), event_packet(std::move(e)));
  }
  nsp_.broadcast_each(std::move(now));
  schedule_flushes(to_schedule);
}

NewNotificationEncoder::NewNotificationEncoder(std::string_view nsp, const notify::Notification& n)
    : packet_head_(event_head(nsp)),
      head_(json::serialize(json::array{"notification:new", notify::new_payload(n, std::string_view{})})) {
  // recipient_id is the payload's last member: cut the serialization inside its value.
  head_.resize(head_.size() - kTail.size());
}

std::optional<engineio::SharedOutFrame> NewNotificationEncoder::frame(std::string_view recipient_id) const {
  // Recipient ids are decimal record ids, so they need no escaping; anything else is
  // left to the general encoder.
  const auto ack_id = notify::ack_id_for_recipient(recipient_id);
  if (!ack_id) return std::nullopt;
  std::array<char, 20> digits;
  const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), *ack_id).ptr;
  return engineio::make_text_frame(
      engineio::PacketType::message,
      {packet_head_, std::string_view(digits.data(), end - digits.data()), head_, recipient_id, kTail});
}

namespace {
// notification:new for each recipient's room, each frame built on the loop that has the
// recipient's sockets (and only there).
class NewNotificationFanout final : public socketio::RoomFanout {
public:
  NewNotificationFanout(std::string_view nsp, const notify::Notification& n,
                        std::vector<notify::RecipientRef> recipients, std::vector<bool> held)
      : encoder_(nsp, n), recipients_(std::move(recipients)), held_(std::move(held)) {}

  std::size_t size() const override { return recipients_.size(); }
  std::string_view room(std::size_t i, std::string& scratch) const override {
    scratch.assign(realtime::kUserRoomPrefix).append(recipients_[i].user_id);
    return scratch;
  }
  // Held for the batch of the user's opted-in sockets: the others get it now.
  std::string_view except(std::size_t i) const override {
    return !held_.empty() && held_[i] ? realtime::kBatchRoom : std::string_view{};
  }
  socketio::EncodedPacket packet(std::size_t i) const override {
    auto frame = encoder_.frame(recipients_[i].recipient_id);
    if (!frame) return {};
    return {std::move(*frame)};
  }

private:
  const NewNotificationEncoder encoder_;
  const std::vector<notify::RecipientRef> recipients_;
  const std::vector<bool> held_; // empty when no socket batches
};
} // namespace

void BatchingEmitter::new_notification(const notify::Notification& n,
                                       const std::vector<notify::RecipientRef>& recipients) {
  // A recipient id the splice cannot take sends the whole notification the general way
  // (never from our stores), before anything was held for a batch.
  for (const auto& r : recipients)
    if (!notify::ack_id_for_recipient(r.recipient_id)) return Emitter::new_notification(n, recipients);
  bool anyone_batching;
  {
    std::lock_guard lock(mutex_);
    anyone_batching = !batching_sockets_.empty();
  }
  std::vector<std::string> to_schedule;
  std::vector<bool> held;
  if (anyone_batching) {
    held.resize(recipients.size());
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      const auto& r = recipients[i];
      held[i] = hold_for_batch(
          r.user_id, [&] { return notify::new_notification_event(n, r.user_id, r.recipient_id); },
          to_schedule);
    }
  }
  // The loops read the recipients after this returns: the fan-out keeps a copy.
  nsp_.fan_out(std::make_shared<const NewNotificationFanout>(nsp_.name(), n, recipients, std::move(held)));
  schedule_flushes(to_schedule);
}

void BatchingEmitter::schedule_flushes(const std::vector<std::string>& users) {
  for (const auto& user : users) {
    const auto loop = std::hash<std::string>{}(user) % loops_.size();
    auto timer = std::make_shared<boost::asio::steady_timer>(loops_.loop(loop), window_);
    timer->async_wait([this, timer, user](const boost::system::error_code& ec) {
      if (!ec) flush(user);
    });
  }
}

template <class MakeEvent>
bool BatchingEmitter::hold_for_batch(const std::string& user_id, MakeEvent&& make,
                                     std::vector<std::string>& to_schedule) {
  std::lock_guard lock(mutex_);
  if (!batching_sockets_.contains(user_id)) return false;
  auto& pending = pending_[user_id];
  if (pending.events.empty()) to_schedule.push_back(user_id);
  pending.events.push_back(make());
  return true;
}

void BatchingEmitter::send_to_batching(const std::string& user_id, socketio::Packet packet) {
  socketio::BroadcastOptions options;
  options.rooms.push_back(realtime::batch_user_room(user_id));
  // The batch was held, and its ack id is known, on this node only; other nodes gave
  // their sockets each notification as it came.
  options.local = true;
  std::vector<std::pair<socketio::BroadcastOptions, socketio::Packet>> one;
  one.emplace_back(std::move(options), std::move(packet));
  nsp_.broadcast_each(std::move(one));
}

void BatchingEmitter::flush(const std::string& user_id) {
  std::vector<notify::UserEvent> events;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(user_id);
    if (it == pending_.end()) return;
    events = std::move(it->second.events);
    pending_.erase(it);
  }
  if (events.size() == 1) return send_to_batching(user_id, event_packet(std::move(events.front())));
  // A burst: one notification:batch.
  make_batch(user_id, std::move(events),
             [this, user_id](socketio::Packet p) { send_to_batching(user_id, std::move(p)); });
}

void BatchingEmitter::make_batch(const std::string& user_id, std::vector<notify::UserEvent> events,
                                 std::function<void(socketio::Packet)> send) {
  repository_.unread_count(user_id, [this, events = std::move(events),
                                     send = std::move(send)](notify::Result<std::int64_t> unread) mutable {
    json::array notifications;
    std::vector<std::string> recipient_ids;
    for (auto& e : events) {
      if (const auto* rid = e.payload.if_contains("recipient_id"); rid && rid->is_string())
        recipient_ids.emplace_back(rid->as_string());
      notifications.push_back(std::move(e.payload));
    }
    socketio::Packet p;
    p.type = socketio::PacketType::event;
    p.data = json::array{"notification:batch", json::object{{"notifications", std::move(notifications)},
                                                            {"unread_count", unread ? *unread : 0}}};
    {
      std::lock_guard lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      while (!batch_ack_order_.empty()) {
        auto it = batch_acks_.find(batch_ack_order_.front());
        if (it != batch_acks_.end() && it->second.expires > now &&
            remembered_ids_ + recipient_ids.size() <= kMaxRememberedIds)
          break;
        if (it != batch_acks_.end()) {
          remembered_ids_ -= it->second.recipient_ids.size();
          batch_acks_.erase(it);
        }
        batch_ack_order_.pop_front();
      }
      remembered_ids_ += recipient_ids.size();
      const uint64_t id = next_batch_ack_++;
      if (next_batch_ack_ == (uint64_t{1} << 40)) next_batch_ack_ = kBatchAckBase;
      batch_acks_[id] = BatchAck{std::move(recipient_ids), now + ack_memory_};
      batch_ack_order_.push_back(id);
      p.id = id;
    }
    send(std::move(p));
  });
}

void BatchingEmitter::batching_socket(const std::string& user_id, bool connected) {
  std::lock_guard lock(mutex_);
  auto& count = batching_sockets_[user_id];
  count += connected ? 1 : -1;
  if (count <= 0) batching_sockets_.erase(user_id);
}

std::vector<std::string> BatchingEmitter::take_batch_ack(uint64_t ack_id) {
  std::lock_guard lock(mutex_);
  auto it = batch_acks_.find(ack_id);
  if (it == batch_acks_.end()) return {};
  auto ids = std::move(it->second.recipient_ids);
  remembered_ids_ -= ids.size();
  batch_acks_.erase(it);
  return ids;
}

} // namespace herald::app
