#include "auth/token_source.hpp"

#include <array>

namespace herald::auth {
namespace {

constexpr std::string_view kWhiteSpace = " \t\r\n\f\v";

std::string_view trim(std::string_view s) {
  const auto begin = s.find_first_not_of(kWhiteSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kWhiteSpace) - begin + 1);
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

} // namespace

std::string_view strip_bearer(std::string_view value) {
  value = trim(value);
  constexpr std::string_view kScheme = "bearer";
  // The scheme counts only when white space follows it: "Bearerxyz" is left to fail verification.
  if (value.size() > kScheme.size() && iequals_ascii(value.substr(0, kScheme.size()), kScheme) &&
      kWhiteSpace.find(value[kScheme.size()]) != std::string_view::npos)
    value = trim(value.substr(kScheme.size()));
  else if (iequals_ascii(value, kScheme))
    value = {};
  return value;
}

std::optional<std::string> extract_token(std::optional<std::string_view> auth_token,
                                         std::optional<std::string_view> query_token,
                                         std::optional<std::string_view> authorization_header) {
  for (const auto& source : std::array{auth_token, query_token, authorization_header}) {
    if (!source) continue;
    const std::string_view token = strip_bearer(*source);
    if (!token.empty()) return std::string(token);
  }
  return std::nullopt;
}

} // namespace herald::auth
