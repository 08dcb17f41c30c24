#pragma once
// store.url schemes that name a PostgreSQL database.

#include <string_view>

namespace herald::store {

// postgres://... or postgresql://..., as libpq reads them.
inline bool is_pg_url(std::string_view url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

} // namespace herald::store
