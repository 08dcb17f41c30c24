#pragma once
// The JSON shapes of SPEC sections 3 and 4, built in one place so that the socket events
// and the HTTP API can never disagree about a field.

#include "notify/repository_types.hpp"

#include <boost/json/object.hpp>

namespace herald::notify {

boost::json::object type_json(const NotificationType& type);
boost::json::object user_json(const User& user);
// notification:new: {id, title, content, content_html, type, sender, created_at, recipient_id}
boost::json::object new_payload(const Notification& notification, std::string_view recipient_id);
// An inbox item: the notification:new payload plus read_at and delivery_status.
boost::json::object inbox_item_json(const InboxItem& item);

} // namespace herald::notify
