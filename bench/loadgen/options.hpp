#pragma once
// Command line of herald-bench: `herald-bench [scenario...] --key value ...`.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace herald::bench {

struct Options {
  std::vector<std::string> scenarios; // connect always runs first; then these in order
  std::string host = "127.0.0.1";
  uint16_t port = 3000;
  std::optional<uint16_t> producer_port; // the API of another node (cluster runs); default: port
  std::string path = "/socket.io/";
  std::string nsp = "/notifications";
  std::string secret;
  std::size_t connections = 1000;
  std::size_t departments = 10;
  std::size_t first_user = 0;
  std::size_t max_pending = 256;
  double connect_rate = 0; // handshakes started per second; 0: as fast as max_pending allows
  // The last `paced_connections` of the ramp are started at `paced_rate` per second, open
  // loop: their latency is the handshake latency at that offered rate. (A closed loop of
  // max_pending in flight measures capacity; its latency is max_pending / rate by Little's law.)
  std::size_t paced_connections = 0;
  double paced_rate = 10'000;
  double hold_seconds = 10; // idle hold after the ramp (memory and idle CPU)
  double ramp_timeout = 120;
  std::optional<int> server_pid;
  std::string producer_token; // JWT with role service, or
  std::string api_key;        // X-Api-Key
  int api_connections = 4;
  double notify_rate = 1000;  // targeted: notifications per second
  double notify_seconds = 10; // targeted: how long
  int broadcast_repeat = 3;
  int burst_size = 10;
  double drain_seconds = 10; // longest wait for late receipts
  bool allow_loss = false;
  bool ack = false; // answer each notification's Socket.IO ack, as a client's callback would
  std::string label;
  std::string out; // JSON result file; stdout when empty
};

// Parses argv; throws std::invalid_argument with a message naming the flag.
Options parse_options(int argc, char** argv);
std::string usage();

} // namespace herald::bench
