#include "cluster/redis_adapter.hpp"

#include "cluster/msgpack.hpp"
#include "core/thread_name.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <mutex>
#include <random>
#include <set>

namespace herald::cluster {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

// The Node adapter's request types.
enum RequestType : int64_t {
  sockets = 0,
  all_rooms = 1,
  remote_join = 2,
  remote_leave = 3,
  remote_disconnect = 4,
  remote_fetch = 5,
  broadcast_with_ack = 7,
  broadcast_client_count = 8,
};

constexpr auto kFirstBackoff = std::chrono::milliseconds(100);

// Six characters, as uid2(6) makes: tells this node's own messages apart.
std::string make_uid() {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string uid(6, ' ');
  for (auto& c : uid)
    c = alphabet[rd() % alphabet.size()];
  return uid;
}

// A packet as the Node adapter publishes it, {type, data, nsp[, id]}, from its wire frames;
// nullopt for anything but an event or an ack.
std::optional<json::object> packet_object(const socketio::EncodedPacket& frames,
                                          std::vector<std::string>& binaries) {
  if (frames.empty() || frames.front()->binary) return std::nullopt;
  auto text = frames.front()->payload();
  if (text.empty()) return std::nullopt;
  text.remove_prefix(1); // the Engine.IO message type
  auto p = socketio::decode(text);
  if (!p) return std::nullopt;
  int64_t type;
  switch (p->type) {
  case socketio::PacketType::event:
  case socketio::PacketType::binary_event:
    type = 2;
    break;
  case socketio::PacketType::ack:
  case socketio::PacketType::binary_ack:
    type = 3;
    break;
  default:
    return std::nullopt;
  }
  for (std::size_t i = 1; i < frames.size(); ++i)
    binaries.emplace_back(frames[i]->payload());
  json::object o{{"type", type}, {"data", std::move(p->data)}, {"nsp", p->nsp}};
  if (p->id) o["id"] = *p->id;
  return o;
}

json::array room_array(const std::vector<std::string>& rooms) {
  json::array a;
  a.reserve(rooms.size());
  for (const auto& r : rooms)
    a.emplace_back(r);
  return a;
}

// Room names as JavaScript gives them: strings, or numbers (a Set may hold either).
std::vector<std::string> room_names(const json::value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& r : v->get_array()) {
    if (r.is_string())
      out.emplace_back(r.get_string());
    else if (r.is_int64())
      out.push_back(std::to_string(r.get_int64()));
    else if (r.is_uint64())
      out.push_back(std::to_string(r.get_uint64()));
  }
  return out;
}

socketio::BroadcastOptions selection(const json::value* opts) {
  socketio::BroadcastOptions o;
  if (const auto* obj = opts ? opts->if_object() : nullptr) {
    o.rooms = room_names(obj->if_contains("rooms"));
    o.except = room_names(obj->if_contains("except"));
  }
  return o;
}

std::string string_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// What loops collect for one request, under a lock: they run at once.
struct Collected {
  std::mutex mutex;
  json::array items;
  std::set<std::string> names;
  bool found = false;
};

} // namespace

RedisAdapter::RedisAdapter(socketio::Namespace& nsp, RedisAdapterOptions options)
    : nsp_(nsp), options_(std::move(options)), uid_(make_uid()),
      channel_(options_.key + "#" + nsp.name() + "#"),
      request_channel_(options_.key + "-request#" + nsp.name() + "#"),
      response_channel_(options_.key + "-response#" + nsp.name() + "#"), work_(io_.get_executor()),
      publisher_retry_(io_), subscriber_retry_(io_) {}

RedisAdapter::~RedisAdapter() { stop(); }

void RedisAdapter::start() {
  asio::post(io_, [this] {
    connect_publisher();
    connect_subscriber();
  });
  thread_ = std::thread([this] {
    core::name_this_thread("herald-cluster");
    io_.run();
  });
}

void RedisAdapter::stop() {
  if (stopped_.exchange(true)) return;
  asio::post(io_, [this] {
    publisher_retry_.cancel();
    subscriber_retry_.cancel();
    if (publisher_) publisher_->close();
    if (subscriber_) subscriber_->close();
    publisher_.reset();
    subscriber_.reset();
    work_.reset();
  });
  if (thread_.joinable()) thread_.join();
  connected_ = false;
}

RedisAdapterStats RedisAdapter::stats() const {
  return {published_.load(), received_.load(), dropped_.load(), connected_.load()};
}

void RedisAdapter::connect_publisher() {
  publisher_up_ = false;
  publisher_ = std::make_shared<RedisConnection>(io_, options_.max_buffered);
  publisher_->open(
      options_.endpoint,
      [this, refused_logged = false](RedisReply&& reply) mutable {
        if (reply.type == RedisReply::Type::error && !refused_logged) {
          spdlog::warn("cluster: Redis refused a publish: {}", reply.str);
          refused_logged = true; // once per connection: every publish would say the same
        }
        if (reply.type == RedisReply::Type::status && reply.str == "PONG") {
          publisher_backoff_ = {};
          publisher_up_ = true;
          update_connected();
        }
      },
      [this](const std::string& reason) {
        publisher_up_ = false;
        schedule_reconnect(false, reason);
      });
  publisher_->command({"PING"});
}

void RedisAdapter::update_connected() {
  const bool up = publisher_up_ && subscriptions_ == 2;
  if (up == connected_) return;
  connected_ = up;
  if (!up) return;
  if (away_logged_)
    spdlog::info("cluster: Redis at {}:{} is back", options_.endpoint.host, options_.endpoint.port);
  else
    spdlog::info("cluster: fan-out through Redis at {}:{} (node {})", options_.endpoint.host,
                 options_.endpoint.port, uid_);
  away_logged_ = false;
}

void RedisAdapter::connect_subscriber() {
  subscriptions_ = 0;
  subscriber_ = std::make_shared<RedisConnection>(io_, options_.max_buffered);
  subscriber_->open(
      options_.endpoint, [this](RedisReply&& reply) { on_subscriber_reply(std::move(reply)); },
      [this](const std::string& reason) {
        subscriptions_ = 0;
        schedule_reconnect(true, reason);
      });
  subscriber_->command({"PSUBSCRIBE", channel_ + "*"});
  subscriber_->command({"SUBSCRIBE", request_channel_});
}

void RedisAdapter::schedule_reconnect(bool subscriber, const std::string& reason) {
  if (stopped_) return;
  update_connected();
  auto& backoff = subscriber ? subscriber_backoff_ : publisher_backoff_;
  backoff = backoff.count() == 0 ? kFirstBackoff : std::min(backoff * 2, options_.max_backoff);
  if (!away_logged_) {
    spdlog::warn(
        "cluster: lost Redis at {}:{} ({}); reconnecting, broadcasts to other nodes are dropped meanwhile",
        options_.endpoint.host, options_.endpoint.port, reason);
    away_logged_ = true;
  }
  auto& timer = subscriber ? subscriber_retry_ : publisher_retry_;
  timer.expires_after(backoff);
  timer.async_wait([this, subscriber](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    subscriber ? connect_subscriber() : connect_publisher();
  });
}

void RedisAdapter::on_subscriber_reply(RedisReply&& reply) {
  if (reply.type != RedisReply::Type::array || reply.elements.empty()) {
    if (reply.type == RedisReply::Type::error)
      spdlog::warn("cluster: Redis refused a subscription: {}", reply.str);
    return;
  }
  auto& e = reply.elements;
  const std::string_view kind = e[0].str;
  if (kind == "pmessage" && e.size() == 4) return on_broadcast(e[2].str, e[3].str);
  if (kind == "message" && e.size() == 3) {
    if (e[1].str == request_channel_) on_request(e[2].str);
    return;
  }
  if ((kind == "psubscribe" || kind == "subscribe") && ++subscriptions_ == 2) {
    subscriber_backoff_ = {};
    update_connected();
  }
}

bool RedisAdapter::admit(std::size_t messages) {
  // Bounded like the connection's buffer: a thread starved of CPU must not let broadcasts
  // (and the recipient lists of fan-outs) pile up without limit.
  if (queued_.fetch_add(messages, std::memory_order_relaxed) + messages > options_.max_queued) {
    queued_.fetch_sub(messages, std::memory_order_relaxed);
    dropped_.fetch_add(messages, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void RedisAdapter::publish(std::shared_ptr<const socketio::EncodedPacket> frames,
                           const socketio::BroadcastOptions& options) {
  if (!admit(1)) return;
  asio::post(io_, [this, frames = std::move(frames), options] {
    send(*frames, options);
    queued_.fetch_sub(1, std::memory_order_relaxed);
  });
}

void RedisAdapter::publish_fan_out(std::shared_ptr<const socketio::RoomFanout> fanout) {
  if (!admit(fanout->size())) return;
  asio::post(io_, [this, fanout = std::move(fanout)] {
    std::string scratch;
    socketio::BroadcastOptions options;
    options.rooms.resize(1);
    for (std::size_t i = 0; i < fanout->size(); ++i) {
      const auto frames = fanout->packet(i);
      if (frames.empty()) continue;
      options.rooms[0] = fanout->room(i, scratch);
      send(frames, options);
    }
    queued_.fetch_sub(fanout->size(), std::memory_order_relaxed);
  });
}

void RedisAdapter::send(const socketio::EncodedPacket& frames, const socketio::BroadcastOptions& options) {
  std::vector<std::string> binaries;
  auto packet = packet_object(frames, binaries);
  if (!packet) return;
  json::object opts{{"rooms", room_array(options.rooms)},
                    {"except", room_array(options.except)},
                    {"flags", json::object{}}};
  const auto message =
      msgpack::encode(json::array{json::string(uid_), std::move(*packet), std::move(opts)}, binaries);
  auto channel = channel_;
  if (options.rooms.size() == 1) channel.append(options.rooms.front()).append("#");
  if (publisher_ && publisher_->command({"PUBLISH", channel, message})) {
    published_.fetch_add(1, std::memory_order_relaxed);
  } else {
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

void RedisAdapter::on_broadcast(std::string_view channel, std::string_view message) {
  if (!channel.starts_with(channel_)) return;
  auto decoded = msgpack::decode(message);
  const auto* parts = decoded ? decoded->json.if_array() : nullptr;
  if (!parts || parts->size() < 2) {
    spdlog::debug("cluster: ignored a malformed broadcast on {}", channel);
    return;
  }
  if (const auto* uid = (*parts)[0].if_string(); uid && *uid == uid_) return; // our own
  const auto* packet = (*parts)[1].if_object();
  if (!packet) return;
  const auto* nsp = packet->if_contains("nsp");
  if ((nsp && nsp->is_string() ? std::string_view(nsp->get_string()) : std::string_view("/")) != nsp_.name())
    return;
  const auto* type = packet->if_contains("type");
  if (!type || !type->is_int64() || (type->get_int64() != 2 && type->get_int64() != 5)) return;
  const auto* data = packet->if_contains("data");
  if (!data || !socketio::event_name(*data)) return;

  socketio::Packet p;
  p.type = socketio::PacketType::event;
  p.nsp = nsp_.name();
  if (const auto* id = packet->if_contains("id"); id && id->is_int64() && id->get_int64() >= 0)
    p.id = static_cast<uint64_t>(id->get_int64());
  p.data = *data;
  p.buffers = std::move(decoded->binaries);
  auto options = selection(parts->size() > 2 ? &(*parts)[2] : nullptr);
  received_.fetch_add(1, std::memory_order_relaxed);
  nsp_.broadcast_local(std::make_shared<const socketio::EncodedPacket>(socketio::encode_for_wire(p)),
                       std::move(options));
}

void RedisAdapter::on_request(std::string_view message) {
  json::value request;
  if (!message.empty() && message.front() == '{') {
    boost::system::error_code ec;
    request = json::parse(message, ec);
    if (ec) return;
  } else if (auto decoded = msgpack::decode(message)) {
    request = std::move(decoded->json);
  }
  const auto* req = request.if_object();
  if (!req || string_of(*req, "uid") == uid_) return;
  const auto* type = req->if_contains("type");
  if (!type || !type->is_int64()) return;
  const json::value request_id = req->contains("requestId") ? req->at("requestId") : json::value();
  auto collected = std::make_shared<Collected>();
  // Posts the answer once every loop has had its say.
  auto answer = [this, collected](std::function<json::object(Collected&)> make) {
    return [this, collected, make = std::move(make)] {
      auto body = json::serialize(make(*collected));
      asio::post(io_, [this, body = std::move(body)]() mutable { respond(std::move(body)); });
    };
  };

  switch (type->get_int64()) {
  case sockets: {
    socketio::BroadcastOptions o;
    o.rooms = room_names(req->if_contains("rooms"));
    nsp_.for_each_local(
        std::move(o),
        [collected](socketio::Socket& s) {
          std::lock_guard lock(collected->mutex);
          collected->items.emplace_back(s.id());
        },
        answer([request_id](Collected& c) {
          return json::object{{"requestId", request_id}, {"sockets", std::move(c.items)}};
        }));
    break;
  }
  case all_rooms:
    nsp_.for_each_local(
        {},
        [collected](socketio::Socket& s) {
          auto rooms = s.rooms();
          std::lock_guard lock(collected->mutex);
          collected->names.insert(rooms.begin(), rooms.end());
        },
        answer([request_id](Collected& c) {
          json::array rooms;
          for (const auto& r : c.names)
            rooms.emplace_back(r);
          return json::object{{"requestId", request_id}, {"rooms", std::move(rooms)}};
        }));
    break;
  case remote_join:
  case remote_leave:
  case remote_disconnect: {
    const auto kind = type->get_int64();
    const bool close = req->contains("close") && req->at("close").is_bool() && req->at("close").get_bool();
    auto act = [kind, close](socketio::Socket& s, const std::vector<std::string>& rooms) {
      if (kind == remote_disconnect) return s.disconnect(close);
      for (const auto& r : rooms)
        kind == remote_join ? s.join(r) : s.leave(r);
    };
    if (const auto* opts = req->if_contains("opts")) {
      // Every matching socket (socketsJoin, socketsLeave, disconnectSockets); no answer.
      auto rooms = room_names(req->if_contains("rooms"));
      nsp_.for_each_local(selection(opts), [act, rooms](socketio::Socket& s) { act(s, rooms); }, {});
      break;
    }
    // One socket by id: answered by the node that has it.
    const auto sid = string_of(*req, "sid");
    std::vector<std::string> room;
    if (const auto* r = req->if_contains("room"); r && r->is_string()) room.emplace_back(r->get_string());
    nsp_.for_each_local(
        {},
        [collected, sid, act, room](socketio::Socket& s) {
          if (s.id() != sid) return;
          act(s, room);
          std::lock_guard lock(collected->mutex);
          collected->found = true;
        },
        [this, collected, request_id] {
          if (!collected->found) return;
          auto body = json::serialize(json::object{{"requestId", request_id}});
          asio::post(io_, [this, body = std::move(body)]() mutable { respond(std::move(body)); });
        });
    break;
  }
  case remote_fetch:
    nsp_.for_each_local(
        selection(req->if_contains("opts")),
        [collected](socketio::Socket& s) {
          json::array rooms;
          for (auto& r : s.rooms())
            rooms.emplace_back(r);
          json::object details{{"id", s.id()},
                               {"handshake", json::object{}},
                               {"rooms", std::move(rooms)},
                               {"data", json::object{}}};
          std::lock_guard lock(collected->mutex);
          collected->items.push_back(std::move(details));
        },
        answer([request_id](Collected& c) {
          return json::object{{"requestId", request_id}, {"sockets", std::move(c.items)}};
        }));
    break;
  case broadcast_with_ack:
    // Herald's sockets answer acks as delivery receipts, so a broadcast that collects
    // acks is not delivered here: this node reports no clients, and the sender stops waiting.
    respond(json::serialize(json::object{
        {"type", int64_t{broadcast_client_count}}, {"requestId", request_id}, {"clientCount", 0}}));
    break;
  default:
    break; // server-side emits: this node has no handlers for them
  }
}

void RedisAdapter::respond(std::string response) {
  if (!publisher_ || !publisher_->command({"PUBLISH", response_channel_, response}))
    dropped_.fetch_add(1, std::memory_order_relaxed);
}

} // namespace herald::cluster
