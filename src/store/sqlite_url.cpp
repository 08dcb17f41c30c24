#include "store/sqlite_url.hpp"

namespace herald::store {

std::optional<std::string> sqlite_path_from_url(std::string_view url) {
  constexpr std::string_view prefix = "sqlite://";
  if (url.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view path = url.substr(prefix.size());
  if (path.empty()) return std::nullopt;
  return std::string(path);
}

} // namespace herald::store
