#pragma once
// Reading request bodies strictly: a field of the wrong type is an error that names the
// field, never a silent default.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace herald::api {

// The body as a JSON object, or the reason it is not one.
std::variant<boost::json::object, std::string> parse_object(std::string_view body);

// Each reader: nullopt when absent (or null); throws BodyError on a wrong type.
struct BodyError {
  std::string message;
};
std::optional<std::string> string_field(const boost::json::object& o, std::string_view key);
// Strings, or integers written as numbers (ids): ["a", 42] -> {"a", "42"}.
std::optional<std::vector<std::string>> id_list_field(const boost::json::object& o, std::string_view key);
std::optional<bool> bool_field(const boost::json::object& o, std::string_view key);
// An id: a non-empty string or a non-negative integer.
std::optional<std::string> id_field(const boost::json::object& o, std::string_view key);

} // namespace herald::api
