#pragma once
// Unguessable identifiers and the base64 variants the protocols need.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herald::core {

// `n` bytes from OpenSSL's CSPRNG, base64url-encoded without padding.
std::string random_token(std::size_t n);

std::string base64_encode(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);
// Returns nullopt on any character outside the alphabet or a bad length.
std::optional<std::string> base64_decode(std::string_view text);
// Accepts unpadded input, as JWTs use it.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace herald::core
