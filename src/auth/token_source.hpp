#pragma once
// Where a client's JWT comes from (SPEC section 2): handshake auth, query, then header.

#include <optional>
#include <string>
#include <string_view>

namespace herald::auth {

// The token from the first source that yields a non-empty one, in the order handshake
// `auth.token`, query `token`, `Authorization` header. Surrounding white space and one
// `Bearer ` prefix (any case) are removed. nullopt when no source carries a token.
std::optional<std::string> extract_token(std::optional<std::string_view> auth_token,
                                         std::optional<std::string_view> query_token,
                                         std::optional<std::string_view> authorization_header);

// One source, normalised as extract_token does; empty when nothing is left.
std::string_view strip_bearer(std::string_view value);

} // namespace herald::auth
