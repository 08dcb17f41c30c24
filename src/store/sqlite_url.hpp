#pragma once
// store.url -> the path SQLite opens.

#include <optional>
#include <string>
#include <string_view>

namespace herald::store {

// "sqlite://herald.db" -> "herald.db" (relative to the working directory),
// "sqlite:///abs/path.db" -> "/abs/path.db", "sqlite://:memory:" -> ":memory:".
// nullopt for other schemes (postgres://) and for an empty path.
std::optional<std::string> sqlite_path_from_url(std::string_view url);

} // namespace herald::store
