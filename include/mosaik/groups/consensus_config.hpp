#pragma once
// Consensus parameters every member of a group must share: they are hashed into the GroupId
// (digest()), so a node with different values forms a different group.
//
//   auto config = ConsensusConfig::builder().with_election_timeout(1s).build();
//   auto reader = ConsensusConfig{}.deprioritize_leadership();   // local only, not in digest
//
// Beyond the seed's parameters: bootstrap_expect (genesis waits for that many members, as
// Consul's option of that name) and member_timeout (a member whose bond stays down that long
// is removed by the leader). See docs/decisions/0100-raft-membership-and-quorum.md.

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <string>

#include <mosaik/primitives/digest.hpp>

namespace mosaik::groups {

// Returned by ConsensusConfig::Builder::try_build when the parameters cannot work together.
struct ConfigError {
  std::string message;
};

class ConsensusConfig {
 public:
  using Duration = std::chrono::nanoseconds;
  class Builder;

  static Builder builder();

  // The seed's parameters, with the seed's defaults.
  Duration heartbeat_interval = std::chrono::milliseconds(500);      // leader heartbeats and bond pings
  Duration heartbeat_jitter = std::chrono::milliseconds(150);        // subtracted at random from each interval
  std::uint32_t max_missed_heartbeats = 10; // bond considered dead after this many
  Duration election_timeout = std::chrono::seconds(2);           // follower waits this long for a leader
  Duration election_timeout_jitter = std::chrono::milliseconds(500); // added at random to each election timeout
  Duration bootstrap_delay = std::chrono::seconds(3);            // extra wait before the group's first election
  Duration forward_timeout = std::chrono::seconds(2);            // a command forwarded to the leader, or one
                                                                 // appended that nobody can commit for us
  Duration query_timeout = std::chrono::seconds(2);              // a strong query confirmed by the leader
  // mosaik C++ additions (docs/decisions/0100).
  std::uint32_t bootstrap_expect = 1;       // members known before genesis may start
  Duration member_timeout = std::chrono::seconds(30);            // bond down this long: leader removes the member

  // Local only (not part of digest()): multiplies election timeout and bootstrap delay.
  std::uint32_t leadership_factor = 1;

  // Multiplies this node's election timeout and bootstrap delay (default 3x). Local only.
  [[nodiscard]] ConsensusConfig deprioritize_leadership() const {
    return deprioritize_leadership_by(3);
  }
  [[nodiscard]] ConsensusConfig deprioritize_leadership_by(std::uint32_t factor) const;

  // Why these values cannot work (empty when they can).
  [[nodiscard]] std::expected<void, ConfigError> validate() const;

  // BLAKE3 of the shared parameters in a fixed order: the config's part of the GroupId.
  [[nodiscard]] Digest digest() const;

  friend bool operator==(const ConsensusConfig&, const ConsensusConfig&) = default;
};

class ConsensusConfig::Builder {
 public:
  Builder& with_heartbeat_interval(Duration d) { c_.heartbeat_interval = d; return *this; }
  Builder& with_heartbeat_jitter(Duration d) { c_.heartbeat_jitter = d; return *this; }
  Builder& with_max_missed_heartbeats(std::uint32_t n) { c_.max_missed_heartbeats = n; return *this; }
  Builder& with_election_timeout(Duration d) { c_.election_timeout = d; return *this; }
  Builder& with_election_timeout_jitter(Duration d) { c_.election_timeout_jitter = d; return *this; }
  Builder& with_bootstrap_delay(Duration d) { c_.bootstrap_delay = d; return *this; }
  Builder& with_forward_timeout(Duration d) { c_.forward_timeout = d; return *this; }
  Builder& with_query_timeout(Duration d) { c_.query_timeout = d; return *this; }
  Builder& with_bootstrap_expect(std::uint32_t n) { c_.bootstrap_expect = n; return *this; }
  Builder& with_member_timeout(Duration d) { c_.member_timeout = d; return *this; }

  // The config, or why its values cannot work together.
  [[nodiscard]] std::expected<ConsensusConfig, ConfigError> try_build() const;
  // The config; throws std::invalid_argument on values that cannot work (a programming error).
  [[nodiscard]] ConsensusConfig build() const;

 private:
  ConsensusConfig c_;
};

inline ConsensusConfig::Builder ConsensusConfig::builder() { return Builder{}; }

}  // namespace mosaik::groups
