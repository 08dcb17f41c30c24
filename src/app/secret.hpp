#pragma once
// The HS256 secret Herald uses when auth.jwt_secret is unset (SPEC section 8): generated once
// and kept beside the database, so that `herald token` run in the same place signs tokens
// the server accepts, and tokens survive a restart.

#include <filesystem>
#include <string>

namespace herald::app {

// The secret kept in `file`: its content without surrounding white space when it exists;
// otherwise 32 fresh random bytes (base64url), written with mode 0600 so that no partial or
// world-readable file is ever visible, and returned. When two processes race, both return
// the one that was written first. Throws std::system_error when the file cannot be read or
// written, std::runtime_error when it is empty.
std::string load_or_create_secret(const std::filesystem::path& file);

// Where the generated secret lives: `herald.secret` in the directory of the SQLite database
// file (`sqlite://herald.db` -> `./herald.secret`, `sqlite:///var/lib/h/h.db` ->
// `/var/lib/h/herald.secret`), or in the working directory for any other store.
std::filesystem::path default_secret_path(const std::string& store_url);

} // namespace herald::app
