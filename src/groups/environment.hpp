#pragma once
// Where a group's shell gets time and randomness: the node's monotonic clock and a
// CSPRNG-seeded generator in production, virtual ones in a simulation. The consensus core
// reads neither; the shell passes both in (DESIGN.md: time and randomness through one
// interface).
//
//   auto env = std::make_unique<SystemEnvironment>();
//   core.tick(env->now());   options.random = [&env] { return env->random(); };

#include <chrono>
#include <cstdint>
#include <random>

#include "groups/raft/types.hpp"
#include "mosaik/primitives/digest.hpp"

namespace mosaik::groups::detail {

class Environment {
 public:
  virtual ~Environment() = default;
  // Monotonic: the same epoch as the steady clock the shell's timers use.
  [[nodiscard]] virtual raft::Time now() const = 0;
  virtual std::uint64_t random() = 0;
};

class SystemEnvironment final : public Environment {
 public:
  SystemEnvironment() {
    const auto seed = Digest::random();
    std::seed_seq seq(seed.as_bytes().begin(), seed.as_bytes().end());
    rng_.seed(seq);
  }
  [[nodiscard]] raft::Time now() const override { return std::chrono::steady_clock::now().time_since_epoch(); }
  std::uint64_t random() override { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

}  // namespace mosaik::groups::detail
