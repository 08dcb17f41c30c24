#pragma once
// The PostgreSQL schema as an ordered list of migrations, recorded in schema_version.
// Several nodes may start at once: migrations run under a transaction-level advisory
// lock, so one node migrates and the others then find the work done.

#include "notify/result.hpp"

namespace herald::store {

class PgConnection;

// The version a fully migrated PostgreSQL database has.
int latest_pg_schema_version();

// Applies the migrations the database lacks; answers the resulting version. Runs inside
// the caller's transaction, so a failure leaves the database as it was. invalid when the
// database is newer than this program.
notify::Result<int> apply_pg_migrations(PgConnection& conn);

} // namespace herald::store
