#pragma once
// The files the inbox page needs, embedded at build time (web/embed.cmake).

#include <string_view>

namespace herald::web {

// GET /: the inbox page.
std::string_view inbox_page();
// GET /assets/socket.io.min.js: the official browser client, from npm.
std::string_view socketio_client();

} // namespace herald::web
