#pragma once
// groups::Config: node-wide settings of the groups subsystem (the seed's "groups::Config";
// per-group consensus timing is ConsensusConfig). Given to NetworkBuilder::with_groups.
//
//   Network::builder(id).with_groups(groups::Config::builder().with_handshake_timeout(1s));

#include <chrono>
#include <expected>

#include "mosaik/groups/consensus_config.hpp"

namespace mosaik::groups {

struct Config {
  // How long a bond handshake with a remote member may take.
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(2);

  class Builder;
  static Builder builder();
};

class Config::Builder {
 public:
  Builder& with_handshake_timeout(std::chrono::milliseconds d) {
    config_.handshake_timeout = d;
    return *this;
  }

  [[nodiscard]] std::expected<Config, ConfigError> build() const {
    if (config_.handshake_timeout <= std::chrono::milliseconds::zero()) {
      return std::unexpected(ConfigError{"handshake_timeout must be positive"});
    }
    return config_;
  }

 private:
  Config config_;
};

inline Config::Builder Config::builder() { return Builder{}; }

}  // namespace mosaik::groups
