#include "app/herald_server.hpp"

#include "api/api.hpp"
#include "app/batching_emitter.hpp"
#include "app/http_router.hpp"
#include "app/secret.hpp"
#include "auth/key_set.hpp"
#include "auth/sign.hpp"
#include "auth/verifier.hpp"
#include "cluster/redis_adapter.hpp"
#include "core/ids.hpp"
#include "core/loop_group.hpp"
#include "notify/service.hpp"
#include "realtime/gateway.hpp"
#include "socketio/client.hpp"
#include "socketio/server.hpp"
#include "store/pg_repository.hpp"
#include "store/pg_url.hpp"
#include "store/sqlite_repository.hpp"
#include "transport/http_server.hpp"

#include "notify/payloads.hpp"

#include <csignal>
#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <mutex>
#include <spdlog/spdlog.h>
#include <vector>

namespace herald::app {
namespace {

// Signs and verifies one throwaway token before the first client comes: OpenSSL loads its
// provider and pages in its signature code on first use (about 2 MB), which the first
// handshake would otherwise wait for. A throwaway HS256 key serves whatever algorithm is
// configured: the provider and the hashing are shared.
void warm_up_signatures() {
  const auto key = core::random_token(32);
  auth::VerifierOptions options;
  options.secret = key;
  auto verifier = auth::Verifier::create(std::move(options));
  const auto token = auth::sign({{"sub", "warm-up"}, {"exp", 4'102'444'800}}, auth::Algorithm::HS256, key);
  if (verifier && token) (void)verifier->verify(*token, std::chrono::system_clock::now());
}

auth::Verifier make_verifier(const Config& config) {
  auth::VerifierOptions o;
  o.algorithm = auth::parse_algorithm(config.auth.algorithm).value_or(auth::Algorithm::HS256);
  if (o.algorithm == auth::Algorithm::HS256) {
    o.secret = resolve_jwt_secret(config);
  } else if (config.auth.jwks_file) {
    o.jwks_json = auth::read_key_file(config.auth.jwks_file->string()).value();
  } else if (config.auth.public_key_file) {
    o.public_key_pem = auth::read_key_file(config.auth.public_key_file->string()).value();
  }
  o.issuer = config.auth.issuer;
  o.audience = config.auth.audience;
  o.leeway = std::chrono::duration_cast<std::chrono::seconds>(config.auth.leeway);
  auto verifier = auth::Verifier::create(std::move(o));
  if (!verifier) throw ConfigError("auth", "auth: " + verifier.error().message);
  return std::move(*verifier);
}

socketio::ServerOptions socketio_options(const Config& config, const core::Clock& clock) {
  socketio::ServerOptions o;
  o.engine.path = config.server.path;
  o.engine.ping_interval = config.server.ping_interval;
  o.engine.ping_timeout = config.server.ping_timeout;
  o.engine.max_payload = config.server.max_payload;
  o.engine.cors_origins = config.server.cors_origins;
  o.engine.clock = &clock;
  // The gateway reads the token once; an idle connection should not carry it.
  o.retain_handshake = false;
  return o;
}

} // namespace

std::string resolve_jwt_secret(const Config& config) {
  if (config.auth.jwt_secret) return *config.auth.jwt_secret;
  return load_or_create_secret(default_secret_path(config.store.url));
}

// A PostgreSQL URL shares the store with every node on the same database; anything else
// is SQLite's (which refuses a scheme it does not know).
std::unique_ptr<notify::Repository> open_store(const Config& config) {
  auto opened = [](auto repo) -> std::unique_ptr<notify::Repository> {
    if (!repo) throw ConfigError("store.url", "store.url: cannot open the store: " + repo.error().message);
    return std::move(*repo);
  };
  if (store::is_pg_url(config.store.url)) return opened(store::PgRepository::open(config.store.url));
  return opened(store::SqliteRepository::open(config.store.url));
}

// The Redis adapter for cluster.redis_url, attached to the namespace; null when unset.
std::shared_ptr<cluster::RedisAdapter> cluster_adapter(const Config& config, socketio::Namespace& nsp) {
  if (!config.cluster.redis_url) return nullptr;
  std::string error;
  auto endpoint = cluster::parse_redis_url(*config.cluster.redis_url, error);
  if (!endpoint) throw ConfigError("cluster.redis_url", "cluster.redis_url: " + error);
  if (config.store.url.starts_with("sqlite:"))
    spdlog::warn("cluster: every node has its own SQLite store: a notification reaches the other nodes' "
                 "sockets, but their receipts and inboxes read their own store; share a PostgreSQL store "
                 "between Herald nodes");
  cluster::RedisAdapterOptions options;
  options.endpoint = std::move(*endpoint);
  auto adapter = std::make_shared<cluster::RedisAdapter>(nsp, std::move(options));
  nsp.set_adapter(adapter);
  return adapter;
}

realtime::GatewayOptions gateway_options(const Config& config) {
  realtime::GatewayOptions o;
  o.reject_mode = config.auth.reject_mode == RejectMode::event ? realtime::RejectMode::event
                                                               : realtime::RejectMode::connect_error;
  o.leeway = std::chrono::duration_cast<std::chrono::seconds>(config.auth.leeway);
  o.limits.max_connections_per_user = config.limits.max_connections_per_user;
  o.limits.max_events_per_minute = config.limits.max_events_per_minute;
  o.limits.ban_duration = config.limits.ban_duration;
  return o;
}

notify::DeliveryPolicy delivery_policy(const Config& config) {
  return notify::DeliveryPolicy{config.delivery.ack_timeout, config.delivery.retry_backoff};
}

namespace {

// Users whose directory entry is known current: hash of the user id -> digest of the last
// claims written. 32-bit hashes in an open-addressing table (8 bytes a slot, at most 3/4
// full): some 11 to 21 bytes per user, where a node-based map of 64-bit pairs costs 40.
// Two users whose id hashes collide share an entry, which costs at most a redundant write,
// or a skipped one if their claims' digests collide too.
class DirectorySeen {
public:
  // Records `digest` for `user_hash`; false when it was already the one recorded.
  bool update(std::size_t user_hash, std::size_t digest) {
    const auto key = fold(user_hash);
    const auto value = static_cast<uint32_t>(fold(digest));
    std::lock_guard lock(mutex_);
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    auto& slot = find(key);
    if (slot.key == key && slot.digest == value) return false;
    if (slot.key == 0) ++size_;
    slot = {key, value};
    return true;
  }
  // The next update for `user_hash` reports a change (its write failed, so it is retried).
  void forget(std::size_t user_hash) {
    const auto key = fold(user_hash);
    std::lock_guard lock(mutex_);
    if (slots_.empty()) return;
    if (auto& slot = find(key); slot.key == key) slot.digest = 0; // no folded digest is 0
  }

private:
  struct Slot {
    uint32_t key = 0; // 0: free
    uint32_t digest = 0;
  };
  // 64 to 32 bits; never 0, the mark of a free slot.
  static uint32_t fold(std::size_t h) {
    const auto k = static_cast<uint32_t>(h ^ (h >> 32));
    return k == 0 ? 1 : k;
  }
  // The slot holding `key`, or the free slot where it goes.
  Slot& find(uint32_t key) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = (key * 2654435769u) & mask; // Fibonacci hashing spreads the low bits
    while (slots_[i].key != 0 && slots_[i].key != key)
      i = (i + 1) & mask;
    return slots_[i];
  }
  void grow() {
    auto old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    for (const auto& s : old)
      if (s.key != 0) find(s.key) = s;
  }

  std::mutex mutex_;
  std::vector<Slot> slots_; // a power of two in size
  std::size_t size_ = 0;
};

} // namespace

struct HeraldServer::Impl {
  Impl(Config c, const core::Clock& clk)
      : config(std::move(c)), clock(clk), verifier(make_verifier(config)), repository(open_store(config)),
        loops(config.server.threads), io(loops, socketio_options(config, clock)),
        emitter(io.of(realtime::kNamespace), loops, *repository, config.delivery.batch_window,
                config.delivery.ack_timeout),
        service(*repository, emitter, clock, delivery_policy(config)),
        gateway(io, verifier, gateway_options(config), clock, gateway_hooks()),
        api(service, verifier, clock, api::ApiOptions{config.auth.api_keys}), router(io),
        http(loops, router, http_limits()), cluster(cluster_adapter(config, io.of(realtime::kNamespace))) {
    router.set_api([this](transport::HttpRequest&& req, transport::Responder res) {
      api.handle(std::move(req), std::move(res));
    });
    notifications = &io.of(realtime::kNamespace);
    router.set_metrics_source([this] { return service_metrics(); });
  }

  transport::HttpLimits http_limits() const {
    transport::HttpLimits l;
    l.max_body_bytes = config.server.max_payload;
    l.websocket.max_message = config.server.max_payload;
    return l;
  }

  realtime::GatewayHooks gateway_hooks() {
    realtime::GatewayHooks h;
    h.on_authenticated = [this](const auth::Principal& p) {
      // The directory learns users and their departments from their tokens; a reconnect
      // with the same claims costs no write.
      std::size_t digest =
          std::hash<std::string>{}(p.username) ^ (std::hash<std::string>{}(p.display_name) << 1);
      for (const auto& d : p.departments)
        digest = digest * 31 + std::hash<std::string>{}(d);
      if (!directory_seen.update(std::hash<std::string>{}(p.user_id), digest)) return;
      notify::UserUpdate u;
      u.id = p.user_id;
      if (!p.username.empty()) u.username = p.username;
      if (!p.display_name.empty()) u.display_name = p.display_name;
      u.departments = p.departments;
      repository->learn_user(std::move(u),
                             [this, user = p.user_id](notify::Result<notify::UpsertUserResult> r) {
                               if (r) return;
                               // Not written (store full or failing): the user's next connect tries again.
                               directory_seen.forget(std::hash<std::string>{}(user));
                             });
    };
    h.on_connected = [this](socketio::Socket& socket, const auth::Principal& p) {
      redeliver(socket, p.user_id);
    };
    h.on_acknowledge = [this](const std::string& user, const std::string& rid,
                              std::function<void(realtime::AckOutcome)> done) {
      service.acknowledge(user, rid, [done = std::move(done)](notify::Result<void> r) {
        if (r) return done(realtime::AckOutcome::ok);
        done(r.error().code == notify::StoreErrc::not_found ? realtime::AckOutcome::forbidden
                                                            : realtime::AckOutcome::unavailable);
      });
    };
    h.on_batching_socket = [this](const std::string& user, bool connected) {
      emitter.batching_socket(user, connected);
    };
    h.on_packet_ack = [this](const std::string& user, uint64_t ack_id) {
      if (auto rid = notify::recipient_for_ack_id(ack_id)) {
        service.acknowledge(user, *rid, [](notify::Result<void>) {});
        return;
      }
      for (auto& rid : emitter.take_batch_ack(ack_id))
        service.acknowledge(user, rid, [](notify::Result<void>) {});
    };
    return h;
  }

  // Sends a user's undelivered notifications, oldest first, to the socket that just connected.
  void redeliver(socketio::Socket& socket, const std::string& user_id) {
    constexpr int kRedeliverLimit = 500;
    const auto loop = socket.client().session().loop_index();
    // Pending records created from now on reach the socket live, through its room.
    const auto cutoff = clock.wall_now();
    service.undelivered_for_connect(
        user_id, kRedeliverLimit,
        [this, loop, cutoff,
         weak = socket.weak_from_this()](notify::Result<std::vector<notify::InboxItem>> items) {
          if (!items || items->empty()) return;
          loops.post(loop, [this, loop, weak, cutoff, items = std::move(*items)]() mutable {
            auto s = weak.lock();
            if (!s || !s->connected()) return;
            std::vector<notify::UserEvent> events;
            for (auto& item : items) {
              if (item.recipient.delivery_status == notify::DeliveryStatus::pending &&
                  item.notification.created_at >= cutoff)
                continue;
              events.push_back(notify::new_notification_event(item.notification, item.recipient.user_id,
                                                              item.recipient.recipient_id));
            }
            // A socket that opted in gets several as one notification:batch (SPEC 3).
            if (events.size() > 1 && s->in(realtime::kBatchRoom)) {
              const auto user = events.front().user_id;
              return emitter.make_batch(user, std::move(events), [this, loop, weak](socketio::Packet p) {
                loops.post(loop, [weak, p = std::move(p)]() mutable {
                  if (auto s = weak.lock(); s && s->connected()) s->send_packet(p);
                });
              });
            }
            for (auto& e : events) {
              auto packet = event_packet(std::move(e));
              s->send_packet(packet);
            }
          });
        });
  }

  std::string service_metrics() const {
    const auto& m = service.metrics();
    std::string out;
    auto counter = [&out](std::string_view name, std::string_view help, uint64_t v,
                          std::string_view labels = {}) {
      out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{}{} {}\n", name, help, name, name, labels, v);
    };
    counter("herald_notifications_created_total", "Notifications stored.", m.notifications_created.load());
    counter("herald_events_in_total", "Socket.IO events received from clients on /notifications.",
            notifications->events_in());
    counter("herald_events_out_total",
            "Socket.IO events sent to clients on /notifications (each socket counts).",
            notifications->events_out());
    out +=
        "# HELP herald_deliveries_total Delivery events by status.\n# TYPE herald_deliveries_total counter\n";
    out += fmt::format("herald_deliveries_total{{status=\"sent\"}} {}\n", m.deliveries_sent.load());
    out += fmt::format("herald_deliveries_total{{status=\"delivered\"}} {}\n", m.deliveries_delivered.load());
    out += fmt::format("herald_deliveries_total{{status=\"failed\"}} {}\n", m.deliveries_failed.load());
    out += fmt::format("herald_deliveries_total{{status=\"permanent_failure\"}} {}\n",
                       m.deliveries_permanent_failure.load());
    out += fmt::format("herald_deliveries_total{{status=\"retried\"}} {}\n", m.retries_sent.load());
    out += m.api_to_emit.render("herald_api_to_emit_seconds",
                                "Time from the API call to the emit of notification:new, stored first.");
    if (cluster) {
      const auto c = cluster->stats();
      counter("herald_cluster_published_total", "Broadcasts sent to the other nodes through Redis.",
              c.published);
      counter("herald_cluster_received_total", "Broadcasts from other nodes delivered here.", c.received);
      counter("herald_cluster_dropped_total",
              "Broadcasts not sent to the other nodes: Redis away or too slow.", c.dropped);
      out += fmt::format(
          "# HELP herald_cluster_connected Whether the node is connected and subscribed to Redis.\n"
          "# TYPE herald_cluster_connected gauge\nherald_cluster_connected {}\n",
          c.connected ? 1 : 0);
    }
    return out;
  }

  Config config;
  const core::Clock& clock;
  const socketio::Namespace* notifications = nullptr; // io's /notifications, for its event counters
  auth::Verifier verifier;
  std::unique_ptr<notify::Repository> repository;
  core::LoopGroup loops;
  socketio::Server io;
  BatchingEmitter emitter;
  notify::Service service;
  realtime::Gateway gateway;
  api::Api api;
  HttpRouter router;
  transport::HttpServer http;
  std::shared_ptr<cluster::RedisAdapter> cluster; // null without cluster.redis_url
  bool started = false;
  bool stopped = false;
  DirectorySeen directory_seen;
};

HeraldServer::HeraldServer(Config config, const core::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(config), clock)) {}

HeraldServer::~HeraldServer() { stop(); }

uint16_t HeraldServer::start() {
  auto& i = *impl_;
  warm_up_signatures();
  const auto port = i.http.listen(i.config.server.listen_host, i.config.server.listen_port);
  if (i.cluster) i.cluster->start();
  i.loops.start();
  i.service.start_scheduler();
  i.started = true;
  return port;
}

void HeraldServer::stop() {
  auto& i = *impl_;
  if (!i.started || i.stopped) return;
  i.stopped = true;
  i.http.stop();
  i.service.stop_scheduler();
  i.io.engine().close_all();
  i.loops.stop();
  i.loops.join();
  if (i.cluster) i.cluster->stop();
  i.repository->close();
}

int HeraldServer::run(const std::optional<std::filesystem::path>& port_file) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr); // loop threads inherit the mask
  const auto port = start();
  const auto& host = impl_->config.server.listen_host;
  spdlog::info("herald listening on {}:{} (socket.io path {}, {} event loops, store {})", host, port,
               impl_->config.server.path, impl_->config.server.threads, redact_url(impl_->config.store.url));
  const auto shown = host == "0.0.0.0" || host == "::" ? std::string("localhost") : host;
  // A hint for people; JSON logs stay pure JSON lines.
  if (impl_->config.log.format == core::LogFormat::text) {
    // Name the binary as it can be run from here: it is rarely on PATH.
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec || exe.empty()) exe = "herald";
    std::fprintf(stderr,
                 "To try it:\n  token=$(%s token --user alice --dept eng)\n"
                 "  open http://%s:%u/?token=$token\n"
                 "  %s send --title Hello --content 'It *works*' --user alice\n",
                 exe.c_str(), shown.c_str(), static_cast<unsigned>(port), exe.c_str());
  }
  if (port_file) std::ofstream(*port_file) << port << "\n";
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("herald: signal {}, shutting down", sig);
  stop();
  return 0;
}

} // namespace herald::app
