#include "notify/payloads.hpp"

#include "notify/delivery_status.hpp"

#include <boost/json/array.hpp>

namespace herald::notify {
namespace json = boost::json;

json::object type_json(const NotificationType& t) {
  return json::object{{"id", t.id}, {"name", t.name}, {"icon", t.icon}, {"color", t.color}};
}

// Exactly the directory's fields (SPEC section 4): the id is the one in the path.
json::object user_json(const User& u) {
  return json::object{{"username", u.username},
                      {"display_name", u.display_name},
                      {"departments", json::array(u.departments.begin(), u.departments.end())}};
}

json::object new_payload(const Notification& n, std::string_view recipient_id) {
  json::object o;
  o.reserve(9);
  o["id"] = n.id;
  o["title"] = n.title;
  o["content"] = n.content;
  o["content_html"] = n.content_html;
  o["type"] = type_json(n.type);
  o["sender"] = json::object{
      {"id", n.sender.id}, {"username", n.sender.username}, {"display_name", n.sender.display_name}};
  o["created_at"] = core::format_iso8601(n.created_at);
  o["recipient_id"] = recipient_id;
  return o;
}

json::object inbox_item_json(const InboxItem& item) {
  auto o = new_payload(item.notification, item.recipient.recipient_id);
  o["read_at"] =
      item.recipient.read_at ? json::value(core::format_iso8601(*item.recipient.read_at)) : nullptr;
  o["delivery_status"] = to_string(item.recipient.delivery_status);
  return o;
}

} // namespace herald::notify
