#include "mosaik/streams/config.hpp"

#include <algorithm>
#include <cmath>

namespace mosaik::streams {

std::chrono::milliseconds ExponentialBackoff::base_delay(std::uint32_t attempt) const {
  const double grown = static_cast<double>(initial_interval.count()) *
                       std::pow(multiplier, static_cast<double>(std::min<std::uint32_t>(attempt, 64)));
  const double capped = std::min(grown, static_cast<double>(max_interval.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped));
}

std::expected<Config, ConfigError> Config::Builder::build() const {
  const auto& b = backoff_;
  if (b.initial_interval.count() <= 0 || b.max_interval < b.initial_interval) {
    return std::unexpected(ConfigError{"backoff intervals must be positive and max >= initial"});
  }
  if (!(b.multiplier >= 1.0)) return std::unexpected(ConfigError{"backoff multiplier must be >= 1"});
  if (!(b.randomization_factor >= 0.0 && b.randomization_factor <= 1.0)) {
    return std::unexpected(ConfigError{"backoff randomization_factor must be within [0, 1]"});
  }
  if (b.max_elapsed_time && b.max_elapsed_time->count() <= 0) {
    return std::unexpected(ConfigError{"backoff max_elapsed_time must be positive"});
  }
  if (max_pending_handshakes_ == 0) {
    return std::unexpected(ConfigError{"max_pending_handshakes must be positive"});
  }
  Config c;
  c.backoff_ = b;
  c.max_pending_handshakes_ = max_pending_handshakes_;
  return c;
}

}  // namespace mosaik::streams
