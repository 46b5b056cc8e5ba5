#include <mosaik/groups/consensus_config.hpp>

#include <stdexcept>

#include <mosaik/primitives/blake3.hpp>

namespace mosaik::groups {

ConsensusConfig ConsensusConfig::deprioritize_leadership_by(std::uint32_t factor) const {
  ConsensusConfig c = *this;
  c.leadership_factor = factor == 0 ? 1 : factor;
  return c;
}

std::expected<void, ConfigError> ConsensusConfig::validate() const {
  auto fail = [](const char* why) { return std::unexpected(ConfigError{why}); };
  if (heartbeat_interval <= Duration::zero()) return fail("heartbeat_interval must be positive");
  if (heartbeat_jitter < Duration::zero() || heartbeat_jitter >= heartbeat_interval)
    return fail("heartbeat_jitter must be in [0, heartbeat_interval)");
  if (max_missed_heartbeats == 0) return fail("max_missed_heartbeats must be at least 1");
  if (election_timeout <= heartbeat_interval)
    return fail("election_timeout must exceed heartbeat_interval");
  if (election_timeout_jitter < Duration::zero()) return fail("election_timeout_jitter must not be negative");
  if (bootstrap_delay < Duration::zero()) return fail("bootstrap_delay must not be negative");
  if (forward_timeout <= Duration::zero()) return fail("forward_timeout must be positive");
  if (query_timeout <= Duration::zero()) return fail("query_timeout must be positive");
  if (bootstrap_expect == 0) return fail("bootstrap_expect must be at least 1");
  if (member_timeout < election_timeout) return fail("member_timeout must be at least election_timeout");
  if (leadership_factor == 0) return fail("leadership_factor must be at least 1");
  return {};
}

Digest ConsensusConfig::digest() const {
  blake3::Hasher h;
  h.update(std::string_view{"mosaik.groups.consensus_config.v1"});
  auto put = [&h](std::uint64_t v) {
    std::array<std::uint8_t, 8> le{};
    for (int i = 0; i < 8; ++i) le[i] = static_cast<std::uint8_t>(v >> (8 * i));
    h.update(std::span<const std::uint8_t>(le));
  };
  auto ns = [](Duration d) { return static_cast<std::uint64_t>(d.count()); };
  put(ns(heartbeat_interval));
  put(ns(heartbeat_jitter));
  put(max_missed_heartbeats);
  put(ns(election_timeout));
  put(ns(election_timeout_jitter));
  put(ns(bootstrap_delay));
  put(ns(forward_timeout));
  put(ns(query_timeout));
  put(bootstrap_expect);
  put(ns(member_timeout));
  return Digest::from_bytes(h.finalize());
}

std::expected<ConsensusConfig, ConfigError> ConsensusConfig::Builder::try_build() const {
  if (auto ok = c_.validate(); !ok) return std::unexpected(ok.error());
  return c_;
}

ConsensusConfig ConsensusConfig::Builder::build() const {
  auto c = try_build();
  if (!c) throw std::invalid_argument(c.error().message);
  return *c;
}

}  // namespace mosaik::groups
