#pragma once
// A person in the directory. Departments decide who receives department notifications.

#include <optional>
#include <string>
#include <vector>

namespace herald::notify {

struct User {
  std::string id;
  std::string username;     // empty when never told
  std::string display_name; // empty when never told
  std::vector<std::string> departments;

  bool operator==(const User&) const = default;
};

// A partial update of a User: a field left unset keeps its stored value (PUT /users/{id}
// merges; connections update the directory from their token's claims).
struct UserUpdate {
  std::string id;
  std::optional<std::string> username;
  std::optional<std::string> display_name;
  std::optional<std::vector<std::string>> departments; // replaces the whole set when given
};

} // namespace herald::notify
