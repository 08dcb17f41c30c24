#pragma once
// A throwaway PostgreSQL server for the tests of one process: initdb into a fresh temp
// dir, started on first use on a free port of 127.0.0.1, stopped when the process exits.
// Each test takes a fresh database of its own. As root, the server runs as the postgres
// user (PostgreSQL refuses to run as root). The binaries are PostgreSQL 15's
// (HERALD_PG_BIN overrides the directory); when they are missing, server() throws with a
// message saying so, and the test fails: it never skips silently.

#include <filesystem>
#include <string>

namespace herald::store::test {

class PgServer {
public:
  // The process's server, started on the first call. Throws std::runtime_error when it
  // cannot start.
  static PgServer& instance();
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Creates an empty database; answers its postgres:// URL.
  std::string create_database();
  // Stops and starts the server on the same port and data: every open session is lost.
  void restart();

private:
  PgServer();
  void start();
  void stop();
  // Runs a PostgreSQL program as the server's user; throws with its output on failure.
  void run(const std::string& program, const std::string& args, const std::string& log_name);

  std::filesystem::path bin_;
  std::filesystem::path dir_;
  int port_ = 0;
  int databases_ = 0;
  bool as_postgres_user_ = false;
};

} // namespace herald::store::test
