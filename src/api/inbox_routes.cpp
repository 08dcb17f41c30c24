// The user's inbox: /api/v1/me/notifications and its read state. A recipient id that is
// not the caller's answers 404, never someone else's data (the store checks ownership).

#include "api/api.hpp"
#include "api/http_error.hpp"
#include "notify/payloads.hpp"

#include <boost/json/array.hpp>
#include <charconv>

namespace herald::api {
namespace json = boost::json;

namespace {

json::object read_change_json(const std::string& recipient_id, const notify::ReadChange& c) {
  return json::object{
      {"recipient_id", recipient_id},
      {"notification_id", c.notification_id},
      {"read_at", c.read_at ? json::value(core::format_iso8601(*c.read_at)) : json::value(nullptr)}};
}

} // namespace

void Api::list_inbox(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>&,
                     transport::Responder res) {
  notify::InboxQuery q;
  q.user_id = caller.principal->user_id;
  auto params = transport::parse_query_params(req.query);
  if (!params) return res.send(error_response(400, "INVALID_PAYLOAD", "malformed query string"));
  for (const auto& [key, value] : *params) {
    if (key == "unread") {
      if (value == "true" || value == "1")
        q.unread = true;
      else if (value == "false" || value == "0")
        q.unread = false;
      else if (!value.empty())
        return res.send(error_response(400, "INVALID_PAYLOAD", "unread must be true or false"));
    } else if (key == "limit") {
      int limit = 0;
      const auto& v = value;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
      if (ec != std::errc() || ptr != v.data() + v.size() || limit < 1 || limit > 100)
        return res.send(error_response(400, "INVALID_PAYLOAD", "limit must be an integer from 1 to 100"));
      q.limit = limit;
    } else if (key == "cursor") {
      if (!value.empty()) q.cursor = value;
    }
  }
  service_.repository().list_inbox(
      std::move(q), [res = share(std::move(res))](notify::Result<notify::InboxPage> page) {
        if (!page) {
          if (page.error().code == notify::StoreErrc::invalid)
            return res->send(error_response(400, "INVALID_PAYLOAD", "cursor is not valid"));
          return res->send(store_error_response(page.error()));
        }
        json::array items;
        items.reserve(page->items.size());
        for (const auto& item : page->items)
          items.push_back(notify::inbox_item_json(item));
        json::object body{
            {"notifications", std::move(items)},
            {"next_cursor", page->next_cursor ? json::value(*page->next_cursor) : json::value(nullptr)},
            {"unread_count", page->unread_count}};
        res->send(json_response(200, body));
      });
}

void Api::unread_count(transport::HttpRequest&, const Caller& caller, std::vector<std::string>&,
                       transport::Responder res) {
  service_.repository().unread_count(caller.principal->user_id,
                                     [res = share(std::move(res))](notify::Result<std::int64_t> n) {
                                       if (!n) return res->send(store_error_response(n.error()));
                                       res->send(json_response(200, json::object{{"unread_count", *n}}));
                                     });
}

void Api::mark_read(transport::HttpRequest&, const Caller& caller, std::vector<std::string>& params,
                    transport::Responder res) {
  const auto rid = params.at(0);
  service_.mark_read(caller.principal->user_id, rid,
                     [res = share(std::move(res)), rid](notify::Result<notify::ReadChange> c) {
                       if (!c) return res->send(store_error_response(c.error()));
                       res->send(json_response(200, read_change_json(rid, *c)));
                     });
}

void Api::mark_unread(transport::HttpRequest&, const Caller& caller, std::vector<std::string>& params,
                      transport::Responder res) {
  const auto rid = params.at(0);
  service_.mark_unread(caller.principal->user_id, rid,
                       [res = share(std::move(res)), rid](notify::Result<notify::ReadChange> c) {
                         if (!c) return res->send(store_error_response(c.error()));
                         res->send(json_response(200, json::object{{"recipient_id", rid},
                                                                   {"notification_id", c->notification_id}}));
                       });
}

void Api::read_all(transport::HttpRequest&, const Caller& caller, std::vector<std::string>&,
                   transport::Responder res) {
  const auto at = clock_.wall_now();
  service_.mark_all_read(
      caller.principal->user_id, at, [res = share(std::move(res)), at](notify::Result<std::int64_t> n) {
        if (!n) return res->send(store_error_response(n.error()));
        res->send(
            json_response(200, json::object{{"marked_count", *n}, {"read_at", core::format_iso8601(at)}}));
      });
}

} // namespace herald::api
