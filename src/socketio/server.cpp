#include "socketio/server.hpp"

#include "socketio/client.hpp"

namespace herald::socketio {

Server::Server(core::LoopGroup& loops, ServerOptions options)
    : loops_(loops), options_(std::move(options)),
      engine_(loops_, options_.engine,
              [this](engineio::Session& session, const transport::HttpRequest& request) {
                Handshake hs;
                hs.query = request.query;
                hs.authorization = std::string(request.header("Authorization"));
                hs.remote_address = request.remote_address;
                return std::make_unique<Client>(*this, session, std::move(hs));
              }) {}

Server::~Server() = default;

Namespace& Server::of(std::string_view name) {
  std::string key(name.empty() || name.front() != '/' ? "/" + std::string(name) : std::string(name));
  auto it = namespaces_.find(key);
  if (it != namespaces_.end()) return *it->second;
  auto nsp = std::make_unique<Namespace>(*this, key, loops_.size());
  auto& ref = *nsp;
  namespaces_.emplace(key, std::move(nsp));
  return ref;
}

Namespace* Server::find(std::string_view name) {
  auto it = namespaces_.find(name);
  return it == namespaces_.end() ? nullptr : it->second.get();
}

void Server::on_request(transport::HttpRequest&& request, transport::Responder responder) {
  if (!engine_.matches(request.path))
    return responder.send(transport::HttpResponse::text(404, "not found\n"));
  engine_.handle_request(std::move(request), std::move(responder));
}

void Server::on_upgrade(transport::HttpRequest&& request, transport::PendingUpgrade upgrade) {
  if (!engine_.matches(request.path)) return upgrade.reject(404, "not found\n");
  engine_.handle_upgrade(std::move(request), std::move(upgrade));
}

} // namespace herald::socketio
