#include "options.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <stdexcept>

namespace herald::bench {

std::string usage() {
  return R"(usage: herald-bench [connect|targeted|broadcast|burst|churn]... --secret S [options]
  connect always runs first: it ramps the connections, then holds them idle.
  --host H --port P --path /socket.io/ --nsp /notifications   the server
  --producer-port P           post notifications to this port instead (another node of a cluster)
  --secret S                 HS256 secret; client tokens are minted from it (sub u<N>, departments [d<N % D>])
  --connections N            clients in this process (at most 19000: one process opens at most 20,000 files)
  --departments D            (10)      --first-user K   user number of client 0 (0)
  --connect-rate R           handshakes started per second (0: as fast as --max-pending allows)
  --max-pending M            handshakes in flight at once (256)
  --paced K --paced-rate R   the last K connections start at R per second, open loop, their
                             latency measured from the scheduled start (0, 10000)
  --hold S                   seconds to hold the connections idle (10)
  --server-pid PID           sample the server's VmRSS and CPU time from /proc
  --producer-token JWT | --api-key K     producer credentials for POST /api/v1/notifications
  --api-connections C        keep-alive HTTP connections of the producer (4; at least --burst)
  --notify-rate R --notify-seconds S     targeted: R notifications per second for S seconds (1000, 10)
  --broadcast-repeat N       broadcast: repetitions (3)     --burst K   burst: broadcasts back to back (10)
  --drain S                  longest wait for late receipts (10)
  --allow-loss               exit 0 even when notifications were lost or duplicated
  --ack                      acknowledge every notification (the Socket.IO ack), so the server stores receipts
  --label L --out FILE       result label; JSON result file (default: stdout)
)";
}

Options parse_options(int argc, char** argv) {
  Options o;
  auto number = [](const std::string& flag, const std::string& v) {
    std::size_t used = 0;
    double d = 0;
    try {
      d = std::stod(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || d < 0) throw std::invalid_argument(flag + ": \"" + v + "\" is not a number");
    return d;
  };
  using Setter = std::function<void(const std::string&, const std::string&)>;
  auto size = [&](std::size_t& field) -> Setter {
    return [&](const std::string& f, const std::string& v) { field = std::size_t(number(f, v)); };
  };
  auto real = [&](double& field) -> Setter {
    return [&](const std::string& f, const std::string& v) { field = number(f, v); };
  };
  auto integer = [&](int& field) -> Setter {
    return [&](const std::string& f, const std::string& v) { field = int(number(f, v)); };
  };
  auto text = [](std::string& field) -> Setter {
    return [&](const std::string&, const std::string& v) { field = v; };
  };
  const std::map<std::string, Setter> flags{
      {"--host", text(o.host)},
      {"--port", [&](const std::string& f, const std::string& v) { o.port = uint16_t(number(f, v)); }},
      {"--producer-port",
       [&](const std::string& f, const std::string& v) { o.producer_port = uint16_t(number(f, v)); }},
      {"--path", text(o.path)},
      {"--nsp", text(o.nsp)},
      {"--secret", text(o.secret)},
      {"--connections", size(o.connections)},
      {"--departments", size(o.departments)},
      {"--first-user", size(o.first_user)},
      {"--max-pending", size(o.max_pending)},
      {"--connect-rate", real(o.connect_rate)},
      {"--paced", size(o.paced_connections)},
      {"--paced-rate", real(o.paced_rate)},
      {"--hold", real(o.hold_seconds)},
      {"--ramp-timeout", real(o.ramp_timeout)},
      {"--server-pid", [&](const std::string& f, const std::string& v) { o.server_pid = int(number(f, v)); }},
      {"--producer-token", text(o.producer_token)},
      {"--api-key", text(o.api_key)},
      {"--api-connections", integer(o.api_connections)},
      {"--notify-rate", real(o.notify_rate)},
      {"--notify-seconds", real(o.notify_seconds)},
      {"--broadcast-repeat", integer(o.broadcast_repeat)},
      {"--burst", integer(o.burst_size)},
      {"--drain", real(o.drain_seconds)},
      {"--label", text(o.label)},
      {"--out", text(o.out)},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--allow-loss") {
      o.allow_loss = true;
      continue;
    }
    if (arg == "--ack") {
      o.ack = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      static const std::vector<std::string> known{"connect", "targeted", "broadcast", "burst", "churn"};
      if (std::find(known.begin(), known.end(), arg) == known.end())
        throw std::invalid_argument("unknown scenario \"" + arg + "\"");
      if (arg != "connect") o.scenarios.push_back(arg);
      continue;
    }
    std::string value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw std::invalid_argument(arg + " needs a value");
    }
    const auto it = flags.find(arg);
    if (it == flags.end()) throw std::invalid_argument("unknown option " + arg);
    it->second(arg, value);
  }
  if (o.secret.empty()) throw std::invalid_argument("--secret is required");
  if (o.connections == 0) throw std::invalid_argument("--connections must be at least 1");
  if (o.connections > 19'000)
    throw std::invalid_argument("--connections: one process holds at most 19000 (20,000 open files); "
                                "run more processes with --first-user");
  if (o.api_connections < 1) o.api_connections = 1;
  return o;
}

} // namespace herald::bench
