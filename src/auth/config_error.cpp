#include "auth/config_error.hpp"

#include <boost/throw_exception.hpp>

#include <stdexcept>

namespace herald::auth {

void throw_exception_from_error(ConfigError const& error, boost::source_location const& loc) {
  boost::throw_exception(std::runtime_error(error.message), loc);
}

} // namespace herald::auth
