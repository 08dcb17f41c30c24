#include "auth/algorithm.hpp"

namespace herald::auth {

std::string_view to_string(Algorithm algorithm) {
  switch (algorithm) {
  case Algorithm::HS256:
    return "HS256";
  case Algorithm::RS256:
    return "RS256";
  case Algorithm::ES256:
    return "ES256";
  }
  return "unknown";
}

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  for (const auto a : {Algorithm::HS256, Algorithm::RS256, Algorithm::ES256}) {
    if (to_string(a) == name) return a;
  }
  return std::nullopt;
}

} // namespace herald::auth
