#include "core/ids.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <openssl/rand.h>
#include <stdexcept>

namespace herald::core {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view in, const char* alphabet, bool pad) {
  const std::size_t whole = in.size() / 3;
  const std::size_t rest = in.size() % 3;
  std::string out(whole * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1), '=');
  char* o = out.data();
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (std::size_t n = 0; n < whole; ++n, p += 3) {
    const unsigned v = (p[0] << 16) | (p[1] << 8) | p[2];
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    *o++ = alphabet[(v >> 6) & 63];
    *o++ = alphabet[v & 63];
  }
  if (rest != 0) {
    const unsigned v = (p[0] << 16) | (rest == 2 ? p[1] << 8 : 0);
    *o++ = alphabet[(v >> 18) & 63];
    *o++ = alphabet[(v >> 12) & 63];
    if (rest == 2) *o++ = alphabet[(v >> 6) & 63];
  }
  return out;
}

// Character -> 6-bit value, -1 outside the alphabet; built once (JWTs decode three parts
// per handshake).
constexpr std::array<int8_t, 256> decode_table(const char* alphabet) {
  std::array<int8_t, 256> table{};
  for (auto& v : table)
    v = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr auto kStdTable = decode_table(kStd);
constexpr auto kUrlTable = decode_table(kUrl);

std::optional<std::string> decode(std::string_view in, bool url) {
  const auto& table = url ? kUrlTable : kStdTable;
  if (!url) {
    if (in.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && !in.empty() && in.back() == '=') {
      in.remove_suffix(1);
      ++padding;
    }
  }
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (const char c : in) {
    const int v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

} // namespace

std::string random_token(std::size_t n) {
  // Drawn from a per-thread block of CSPRNG output: one RAND_bytes call (with its locks and
  // its fork check) per 4 KiB instead of per token. Every byte is handed out once.
  constexpr std::size_t kBlock = 4096;
  thread_local std::array<unsigned char, kBlock> block;
  thread_local std::size_t used = kBlock;
  std::string bytes(n, '\0');
  for (std::size_t done = 0; done < n;) {
    if (used == kBlock) {
      if (RAND_bytes(block.data(), static_cast<int>(kBlock)) != 1)
        throw std::runtime_error("RAND_bytes failed");
      used = 0;
    }
    const std::size_t take = std::min(n - done, kBlock - used);
    std::memcpy(bytes.data() + done, block.data() + used, take);
    // Handed-out bytes leave no copy behind in the block.
    std::memset(block.data() + used, 0, take);
    used += take;
    done += take;
  }
  return base64url_encode(bytes);
}

std::string base64_encode(std::string_view bytes) { return encode(bytes, kStd, true); }
std::string base64url_encode(std::string_view bytes) { return encode(bytes, kUrl, false); }
std::optional<std::string> base64_decode(std::string_view text) { return decode(text, false); }
std::optional<std::string> base64url_decode(std::string_view text) { return decode(text, true); }

} // namespace herald::core
