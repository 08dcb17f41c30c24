#include "pg_server.hpp"

#include <libpq-fe.h>

#include <arpa/inet.h>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <pwd.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace herald::store::test {
namespace {

namespace fs = std::filesystem;

// A port nobody listens on right now. Another process may take it before the server
// binds it: start() then tries another.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  if (port == 0) throw std::runtime_error("no free port on 127.0.0.1");
  return port;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

PgServer& PgServer::instance() {
  // Destroyed at exit, which stops the server.
  static std::unique_ptr<PgServer> server(new PgServer());
  return *server;
}

PgServer::PgServer() {
  const char* bin = std::getenv("HERALD_PG_BIN");
  bin_ = bin ? bin : "/usr/lib/postgresql/15/bin";
  if (!fs::exists(bin_ / "initdb") || !fs::exists(bin_ / "pg_ctl")) {
    throw std::runtime_error("PostgreSQL server binaries not found in " + bin_.string() +
                             " (set HERALD_PG_BIN, or install postgresql: scripts/setup.sh)");
  }
  std::string pattern = (fs::temp_directory_path() / "herald-pg-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  as_postgres_user_ = ::geteuid() == 0;
  if (as_postgres_user_) {
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) throw std::runtime_error("running as root, but there is no postgres user to run the server as");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw std::runtime_error("chown of the temp dir failed");
  }
  // --no-sync and fsync=off: a test database need not survive a power cut.
  run("initdb", "-D " + (dir_ / "data").string() + " -U postgres -A trust --no-sync -E UTF8 --locale=C",
      "initdb.log");
  port_ = free_port();
  for (int attempt = 0;; ++attempt) {
    try {
      start();
      break;
    } catch (const std::exception&) {
      if (attempt == 2) throw;
      port_ = free_port();
    }
  }
}

PgServer::~PgServer() {
  try {
    stop();
  } catch (const std::exception&) {
    // The server may be down already; the directory goes either way.
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void PgServer::run(const std::string& program, const std::string& args, const std::string& log_name) {
  const fs::path log = dir_ / log_name;
  std::string command = (bin_ / program).string() + " " + args + " > " + log.string() + " 2>&1";
  if (as_postgres_user_) command = "runuser -u postgres -- sh -c '" + command + "'";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("PostgreSQL for the tests: " + program + " failed:\n" + read_file(log));
  }
}

void PgServer::start() {
  run("pg_ctl",
      "-D " + (dir_ / "data").string() + " -l " + (dir_ / "server.log").string() + " -w -o \"-p " +
          std::to_string(port_) + " -k " + dir_.string() +
          " -c listen_addresses=127.0.0.1 -c fsync=off\" start",
      "pg_ctl.log");
}

void PgServer::stop() { run("pg_ctl", "-D " + (dir_ / "data").string() + " -m fast -w stop", "pg_ctl.log"); }

void PgServer::restart() {
  stop();
  start();
}

std::string PgServer::create_database() {
  const std::string base = "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/";
  const std::string name = "test_" + std::to_string(++databases_);
  PGconn* conn = PQconnectdb((base + "postgres").c_str());
  std::unique_ptr<PGconn, decltype(&PQfinish)> guard(conn, &PQfinish);
  if (PQstatus(conn) != CONNECTION_OK)
    throw std::runtime_error(std::string("cannot connect to the test server: ") + PQerrorMessage(conn));
  PGresult* r = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) throw std::runtime_error(std::string("CREATE DATABASE failed: ") + PQerrorMessage(conn));
  return base + name;
}

} // namespace herald::store::test
