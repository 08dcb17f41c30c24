#pragma once
// notify::Emitter over Socket.IO, with the opt-in batching of SPEC section 3: sockets that
// asked for it (handshake auth.batch: true or query batch=1) are in the rooms `batch` and
// `batch:user:{id}`; their notification:new events wait `batch_window`, and a burst of
// several leaves as one notification:batch {notifications, unread_count}. Every other
// socket, and every other event, goes out at once.

#include "core/loop_group.hpp"
#include "notify/emitter.hpp"
#include "notify/repository.hpp"
#include "socketio/namespace.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace herald::app {

class BatchingEmitter final : public notify::Emitter {
public:
  BatchingEmitter(socketio::Namespace& nsp, core::LoopGroup& loops, notify::Repository& repository,
                  std::chrono::milliseconds batch_window, std::chrono::milliseconds ack_timeout);

  void to_users(std::vector<notify::UserEvent> events) override;
  // Serializes the payload once; each loop splices in the ids of the recipients it has
  // sockets for.
  void new_notification(const notify::Notification& n,
                        const std::vector<notify::RecipientRef>& recipients) override;
  // The recipient ids acknowledged by the Socket.IO ack of a notification:batch, if
  // `ack_id` names one (each batch is acknowledged once, as a whole).
  std::vector<std::string> take_batch_ack(uint64_t ack_id);
  // Counts the user's sockets that opted in; notifications of other users are never held.
  void batching_socket(const std::string& user_id, bool connected);
  // Builds one notification:batch of `events` (notification:new events of `user_id`) with
  // the user's unread count as it is now, and hands it to `send` on a store thread; its
  // ack acknowledges every notification in it.
  void make_batch(const std::string& user_id, std::vector<notify::UserEvent> events,
                  std::function<void(socketio::Packet)> send);

private:
  struct Pending {
    std::vector<notify::UserEvent> events;
  };
  // Queues the event `make()` builds when `user_id` has a batching socket (and builds it
  // only then); true if it did.
  template <class MakeEvent>
  bool hold_for_batch(const std::string& user_id, MakeEvent&& make, std::vector<std::string>& to_schedule);
  void schedule_flushes(const std::vector<std::string>& users);
  void send_to_batching(const std::string& user_id, socketio::Packet packet);
  void flush(const std::string& user_id);

  socketio::Namespace& nsp_;
  core::LoopGroup& loops_;
  notify::Repository& repository_;
  std::chrono::milliseconds window_;
  std::chrono::milliseconds ack_memory_;
  std::mutex mutex_;
  std::unordered_map<std::string, Pending> pending_;
  std::unordered_map<std::string, int> batching_sockets_; // users with an opted-in socket
  struct BatchAck {
    std::vector<std::string> recipient_ids;
    std::chrono::steady_clock::time_point expires;
  };
  // Bounded by ack_memory_ and by kMaxRememberedIds: every connect of a batching socket
  // may add one, so a client reconnecting in a loop must not grow it without end.
  std::unordered_map<uint64_t, BatchAck> batch_acks_;
  std::deque<uint64_t> batch_ack_order_;
  std::size_t remembered_ids_ = 0; // recipient ids over all of batch_acks_
  uint64_t next_batch_ack_;
};

// The text of notification:new for each recipient of one notification: the payload is
// serialized once, and each recipient's id (and the ack id made from it) spliced in.
class NewNotificationEncoder {
public:
  NewNotificationEncoder(std::string_view nsp, const notify::Notification& n);
  // The Engine.IO message carrying the packet, built in one allocation; nullopt when
  // `recipient_id` is not a record id.
  std::optional<engineio::SharedOutFrame> frame(std::string_view recipient_id) const;

private:
  static constexpr std::string_view kTail = R"("}])";
  std::string packet_head_; // Socket.IO event type and namespace, before the ack id
  std::string head_;        // the serialized event with an empty recipient_id, cut before its closing quote
};

// The Socket.IO packet of one user event (for a direct send to one socket).
socketio::Packet event_packet(notify::UserEvent&& event);

} // namespace herald::app
