#include "notify/result.hpp"

namespace herald::notify {

const char* to_string(StoreErrc code) {
  switch (code) {
  case StoreErrc::not_found:
    return "not_found";
  case StoreErrc::conflict:
    return "conflict";
  case StoreErrc::invalid:
    return "invalid";
  case StoreErrc::unavailable:
    return "unavailable";
  case StoreErrc::io:
    return "io";
  }
  return "io"; // unreachable: every enumerator is handled above
}

} // namespace herald::notify
