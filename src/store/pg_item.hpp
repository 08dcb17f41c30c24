#pragma once
// Reads the rows selected with HERALD_ITEM_COLUMNS (codec.hpp) from a PostgreSQL result.

#include "notify/repository_types.hpp"
#include "store/pg_connection.hpp"

#include <vector>

namespace herald::store {

notify::InboxItem read_pg_item(const PgResult& rows, int row);
std::vector<notify::InboxItem> read_pg_items(const PgResult& rows);

} // namespace herald::store
