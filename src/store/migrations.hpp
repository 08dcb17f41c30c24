#pragma once
// The schema as an ordered list of migrations. PRAGMA user_version holds how many have
// been applied; a migration is never edited once released, only followed by another.

#include "notify/result.hpp"

namespace herald::store {

class Connection;

// The version a fully migrated database has.
int latest_schema_version();

// Applies the migrations the database lacks; answers the resulting version. Runs inside
// the caller's write transaction, so a failure leaves the database as it was. invalid
// when the database is newer than this program. `target` stops earlier (tests build an
// old schema with it to test the later migrations).
notify::Result<int> apply_migrations(Connection& conn, int target = latest_schema_version());

} // namespace herald::store
