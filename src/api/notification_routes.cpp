// POST /api/v1/notifications: validate, resolve the sender, store, fan out, answer 201.

#include "api/api.hpp"
#include "api/http_error.hpp"
#include "api/json_body.hpp"
#include "notify/markdown.hpp"

namespace herald::api {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTitle = 1'000;
constexpr std::size_t kMaxTargets = 100'000;

notify::Sender system_sender() { return notify::Sender{"system", "system", "System"}; }

} // namespace

void Api::create_notification(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>&,
                              transport::Responder res) {
  const auto received_at = clock_.steady_now();
  auto parsed = parse_object(req.body);
  if (auto* err = std::get_if<std::string>(&parsed))
    return res.send(error_response(400, "INVALID_PAYLOAD", *err));
  const auto& body = std::get<json::object>(parsed);

  notify::CreateNotificationRequest request;
  std::optional<std::string> sender_id;
  try {
    auto title = string_field(body, "title");
    auto content = string_field(body, "content");
    if (!title || title->empty()) throw BodyError{"title is required"};
    if (title->size() > kMaxTitle) throw BodyError{"title is longer than 1000 characters"};
    if (!content) throw BodyError{"content is required"};
    const auto format_name = string_field(body, "content_format").value_or("markdown");
    const auto format = notify::parse_content_format(format_name);
    if (!format) throw BodyError{"content_format must be \"markdown\" or \"text\""};
    request.title = std::move(*title);
    request.content = std::move(*content);
    request.content_html = notify::render_content_html(request.content, *format);
    request.type_id = id_field(body, "type").value_or("system");
    sender_id = id_field(body, "sender_id");
    request.idempotency_key = string_field(body, "idempotency_key");
    if (request.idempotency_key && request.idempotency_key->empty())
      throw BodyError{"idempotency_key is empty"};

    const auto* targets = body.if_contains("targets");
    if (!targets || !targets->is_object())
      throw BodyError{"targets is required: {users?, departments?, broadcast?}"};
    const auto& t = targets->as_object();
    request.targets.users = id_list_field(t, "users").value_or(std::vector<std::string>{});
    request.targets.departments = id_list_field(t, "departments").value_or(std::vector<std::string>{});
    request.targets.broadcast = bool_field(t, "broadcast").value_or(false);
    if (request.targets.users.size() + request.targets.departments.size() > kMaxTargets)
      throw BodyError{"too many targets"};
    if (request.targets.users.empty() && request.targets.departments.empty() && !request.targets.broadcast)
      throw BodyError{"targets names nobody: give users, departments or broadcast: true"};
  } catch (const BodyError& e) {
    return res.send(error_response(400, "INVALID_PAYLOAD", e.message));
  }

  // The sender: sender_id found in the directory, else the producer token's subject, else
  // system (SPEC section 4).
  std::optional<notify::Sender> fallback;
  if (caller.principal) {
    const auto& p = *caller.principal;
    fallback = notify::Sender{p.user_id, p.username.empty() ? p.user_id : p.username,
                              p.display_name.empty() ? (p.username.empty() ? p.user_id : p.username)
                                                     : p.display_name};
    if (!sender_id) sender_id = p.user_id; // its directory entry, when it has one, wins
  }
  auto store = [this, received_at](notify::CreateNotificationRequest request, transport::Responder res) {
    service_.create(
        std::move(request), received_at,
        [res = share(std::move(res))](notify::Result<notify::CreatedNotification> created) mutable {
          if (!created) return res->send(store_error_response(created.error()));
          json::object body{{"id", created->notification.id},
                            {"recipient_count", created->recipient_count},
                            {"created_at", core::format_iso8601(created->notification.created_at)}};
          auto response = json_response(201, body);
          if (created->replayed) response.with_header("Idempotent-Replayed", "true");
          res->send(std::move(response));
        });
  };
  if (!sender_id) {
    request.sender = system_sender();
    return store(std::move(request), std::move(res));
  }
  auto shared_res = share(std::move(res));
  service_.repository().get_user(*sender_id, [store, request = std::move(request), fallback,
                                              shared_res](notify::Result<notify::User> user) mutable {
    if (user) {
      const auto& u = *user;
      const auto& name = u.username.empty() ? u.id : u.username;
      request.sender = notify::Sender{u.id, name, u.display_name.empty() ? name : u.display_name};
    } else {
      request.sender = fallback ? *fallback : system_sender();
    }
    store(std::move(request), std::move(*shared_res));
  });
}

} // namespace herald::api
