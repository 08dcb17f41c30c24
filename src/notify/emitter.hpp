#pragma once
// How the domain reaches sockets without knowing them: the application implements this
// over Socket.IO (room user:{id} of /notifications), tests implement it with a recorder.

#include "notify/repository_types.hpp"

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald::notify {

struct UserEvent {
  std::string user_id;
  std::string event;
  boost::json::object payload;
  // When set, the packet asks for an acknowledgement under this Socket.IO ack id.
  std::optional<uint64_t> ack_id;
};

class Emitter {
public:
  virtual ~Emitter() = default;
  // Sends each event to every socket of its user, on whichever loop or node they are.
  // Thread-safe; a fan-out is one call so that it costs one hop per loop.
  virtual void to_users(std::vector<UserEvent> events) = 0;
  // notification:new of `n` to each recipient, with its own recipient_id and ack id. The
  // default makes one UserEvent each; an emitter may share the encoding between them.
  virtual void new_notification(const Notification& n, const std::vector<RecipientRef>& recipients);
};

// notification:new for one recipient: the payload with its recipient_id, and the ack id
// that names its record.
UserEvent new_notification_event(const Notification& n, std::string user_id, std::string_view recipient_id);

// A Socket.IO ack id that names a recipient record, so that a receipt needs no state per
// send: ids at or above 2^40 are recipient ids shifted up; clients echo them untouched.
std::optional<uint64_t> ack_id_for_recipient(std::string_view recipient_id);
std::optional<std::string> recipient_for_ack_id(uint64_t ack_id);

} // namespace herald::notify
