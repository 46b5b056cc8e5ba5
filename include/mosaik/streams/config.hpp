#pragma once
// streams::Config: the subsystem's settings (the seed has one: the consumers' reconnection
// backoff; we add the producer's bound on pending handshakes), and the ExponentialBackoff
// policy consumers use between attempts.
//
//   Network::builder(id).with_streams(streams::Config::builder().with_backoff(
//       ExponentialBackoff{.max_elapsed_time = std::chrono::seconds(120)}));

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>

namespace mosaik::streams {

// How long delivering what producers queued may take when they close: the last handle of
// a producer going, and a node's shutdown (Network::kDefaultFlushDeadline is this).
inline constexpr std::chrono::milliseconds kDefaultFlushDeadline{2000};

// Delays grow from initial_interval by `multiplier` up to max_interval, each randomized by
// ±randomization_factor; retrying stops once max_elapsed_time has passed since the first
// failure (nullopt: never). The defaults are the seed's (backoff crate): 500 ms, ×1.5,
// 60 s, ±50 %, and the streams config's 5 minutes.
struct ExponentialBackoff {
  std::chrono::milliseconds initial_interval{500};
  double multiplier = 1.5;
  std::chrono::milliseconds max_interval{60'000};
  std::optional<std::chrono::milliseconds> max_elapsed_time = std::chrono::minutes(5);
  double randomization_factor = 0.5;

  // The un-randomized delay before retry number `attempt` (0 = first retry).
  std::chrono::milliseconds base_delay(std::uint32_t attempt) const;
  bool operator==(const ExponentialBackoff&) const = default;
};

struct ConfigError {
  std::string message;
};

class Config {
 public:
  static constexpr std::size_t kDefaultMaxPendingHandshakes = 256;

  class Builder {
   public:
    Builder& with_backoff(ExponentialBackoff backoff) {
      backoff_ = backoff;
      return *this;
    }
    // Subscriptions a producer node holds in their handshake at once (accepted, Subscribe
    // not read yet); more are closed with Cancelled until some finish. Must be positive.
    Builder& with_max_pending_handshakes(std::size_t n) {
      max_pending_handshakes_ = n;
      return *this;
    }
    // Fails when the policy could never produce a delay (non-positive intervals, multiplier
    // below 1, randomization outside [0, 1]) or max_pending_handshakes is 0.
    [[nodiscard]] std::expected<Config, ConfigError> build() const;

   private:
    ExponentialBackoff backoff_;
    std::size_t max_pending_handshakes_ = kDefaultMaxPendingHandshakes;
  };
  static Builder builder() { return Builder(); }

  const ExponentialBackoff& backoff() const { return backoff_; }
  std::size_t max_pending_handshakes() const { return max_pending_handshakes_; }

 private:
  ExponentialBackoff backoff_;
  std::size_t max_pending_handshakes_ = kDefaultMaxPendingHandshakes;
};

}  // namespace mosaik::streams
