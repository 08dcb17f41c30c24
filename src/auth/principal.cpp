#include "auth/principal.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string_view>

namespace herald::auth {
namespace {

namespace json = boost::json;

bool absent(const json::value* v) { return v == nullptr || v->is_null(); }

// A string, or an integer in decimal: issuers often use numeric database ids.
std::optional<std::string> id_string(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  return std::nullopt;
}

// Optional string claim: nullopt result means wrong type.
std::optional<std::string> optional_string(const json::object& claims, std::string_view name) {
  const auto* v = claims.if_contains(name);
  if (absent(v)) return std::string();
  if (!v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

// Array of ids, deduplicated in order; nullopt when it is not one.
std::optional<std::vector<std::string>> id_list(const json::object& claims, std::string_view name,
                                                bool allow_numbers) {
  std::vector<std::string> out;
  const auto* v = claims.if_contains(name);
  if (absent(v)) return out;
  if (!v->is_array()) return std::nullopt;
  for (const auto& item : v->get_array()) {
    auto id = allow_numbers
                  ? id_string(item)
                  : (item.is_string() ? std::optional<std::string>(item.get_string()) : std::nullopt);
    if (!id || id->empty()) return std::nullopt;
    if (std::find(out.begin(), out.end(), *id) == out.end()) out.push_back(std::move(*id));
  }
  return out;
}

// exp as a time point, clamped to what WallTime can hold (a year-3000 exp must not overflow).
std::optional<core::WallTime> wall_time(double seconds) {
  using Seconds = std::chrono::duration<double>;
  const double max = std::chrono::duration_cast<Seconds>(core::WallTime::max().time_since_epoch()).count();
  const double min = std::chrono::duration_cast<Seconds>(core::WallTime::min().time_since_epoch()).count();
  if (seconds >= max) return core::WallTime::max();
  if (seconds <= min) return core::WallTime::min();
  return core::WallTime(std::chrono::duration_cast<core::WallTime::duration>(Seconds(seconds)));
}

} // namespace

boost::system::result<Principal, TokenError> principal_from_claims(const json::object& claims) {
  Principal p;
  // `sub` wins when present; `user_id` is the older claim some issuers still send.
  const json::value* id = claims.if_contains("sub");
  if (absent(id)) id = claims.if_contains("user_id");
  if (absent(id)) return TokenError::missing_user_id;
  auto user_id = id_string(*id);
  if (!user_id || user_id->empty()) return TokenError::missing_user_id;
  p.user_id = std::move(*user_id);

  auto departments = id_list(claims, "departments", true);
  auto roles = id_list(claims, "roles", false);
  auto username = optional_string(claims, "username");
  auto display_name = optional_string(claims, "display_name");
  if (!departments || !roles || !username || !display_name) return TokenError::invalid_claims;
  p.departments = std::move(*departments);
  p.roles = std::move(*roles);
  p.username = std::move(*username);
  p.display_name = !display_name->empty() ? std::move(*display_name)
                   : !p.username.empty()  ? p.username
                                          : p.user_id;

  if (const auto* exp = claims.if_contains("exp"); !absent(exp)) {
    if (!exp->is_number()) return TokenError::invalid_claims;
    boost::system::error_code ec;
    const double seconds = exp->to_number<double>(ec);
    // NaN (Boost.JSON reads "0e310" so) is no time, and converting it to one is undefined.
    if (ec || !std::isfinite(seconds)) return TokenError::invalid_claims;
    p.expires_at = wall_time(seconds);
  }
  return p;
}

bool is_producer(const Principal& principal) {
  return std::any_of(principal.roles.begin(), principal.roles.end(),
                     [](const std::string& role) { return role == "service" || role == "admin"; });
}

} // namespace herald::auth
