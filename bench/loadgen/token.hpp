#pragma once
// HS256 JWTs minted by the load generator itself, so a run of 19,000 connections does not
// spawn 19,000 `herald token` processes; the server verifies them like any other token.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::bench {

// Standard base64 (`url` false, with padding) or base64url (`url` true, no padding).
std::string base64(std::string_view bytes, bool url);

// A token for `sub` with the given departments and roles, valid from now for `ttl_seconds`.
std::string mint_hs256(std::string_view secret, std::string_view sub,
                       const std::vector<std::string>& departments, const std::vector<std::string>& roles,
                       int64_t ttl_seconds);

} // namespace herald::bench
