#pragma once
// The JWS signature algorithms Herald accepts. Exactly one is configured per server.

#include <optional>
#include <string_view>

namespace herald::auth {

enum class Algorithm { HS256, RS256, ES256 };

// The JWS `alg` name: "HS256", "RS256" or "ES256".
std::string_view to_string(Algorithm algorithm);
// Parses a configuration or header value; exact case, as JWS names are case-sensitive.
std::optional<Algorithm> parse_algorithm(std::string_view name);

} // namespace herald::auth
