#pragma once
// The REST API under /api/v1 (SPEC section 4): producers create notifications and manage
// the directory and the types; users read and change their inbox. Every answer is JSON;
// every error is {error: {code, message}}. Handlers never block a loop: store work
// completes on the store's thread, which answers through the Responder.

#include "auth/principal.hpp"
#include "auth/verifier.hpp"
#include "core/clock.hpp"
#include "notify/service.hpp"
#include "transport/http_server.hpp"

#include <boost/json/object.hpp>
#include <string>
#include <vector>

namespace herald::api {

struct ApiOptions {
  std::vector<std::string> api_keys; // accepted in X-Api-Key
};

// Who is calling: a producer (API key or a service/admin token) or a user.
struct Caller {
  bool producer = false;
  std::optional<auth::Principal> principal; // from the token, when there was one
};

class Api {
public:
  Api(notify::Service& service, const auth::Verifier& verifier, const core::Clock& clock, ApiOptions options);

  // Any request whose path starts with /api/v1/.
  void handle(transport::HttpRequest&& request, transport::Responder responder);

private:
  using Handler = void (Api::*)(transport::HttpRequest&, const Caller&, std::vector<std::string>&,
                                transport::Responder);
  enum class Who { producer, user };

  // The caller, or the 401/403 answer.
  std::variant<Caller, transport::HttpResponse> authenticate(const transport::HttpRequest& request,
                                                             Who who) const;

  void create_notification(transport::HttpRequest& req, const Caller& caller,
                           std::vector<std::string>& params, transport::Responder res);
  void list_inbox(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>& params,
                  transport::Responder res);
  void unread_count(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>& params,
                    transport::Responder res);
  void mark_read(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>& params,
                 transport::Responder res);
  void mark_unread(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>& params,
                   transport::Responder res);
  void read_all(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>& params,
                transport::Responder res);
  void put_user(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>& params,
                transport::Responder res);
  void get_user(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>& params,
                transport::Responder res);
  void list_types(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>& params,
                  transport::Responder res);
  void create_type(transport::HttpRequest& req, const Caller& caller, std::vector<std::string>& params,
                   transport::Responder res);
  // Stores a new type; an id made from its name (not given) that is taken is made unique.
  void store_type(notify::NotificationType type, bool id_given, std::shared_ptr<transport::Responder> res);

  struct Route {
    std::string method;
    std::vector<std::string> pattern; // path segments after /api/v1; "*" captures one
    Who who;
    Handler handler;
  };

  notify::Service& service_;
  const auth::Verifier& verifier_;
  const core::Clock& clock_;
  ApiOptions options_;
  std::vector<Route> routes_;
};

} // namespace herald::api
