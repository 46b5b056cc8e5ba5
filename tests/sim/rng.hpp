#pragma once
// The simulator's randomness: one seed derives every sub-seed (TigerBeetle's VOPR), so a
// schedule replays exactly from the seed it prints.
//
//   SimRng rng(derive_seed(seed, Stream::Network));  if (rng.chance(0.3)) drop();

#include <cstdint>

namespace mosaik::sim {

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The sub-seed of `stream` (a fixed label per consumer: network, nemesis, clients, node k).
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t s = seed ^ (stream * 0xD1B54A32D192ED03ull);
  return splitmix64(s);
}

// xoshiro256**: small, fast, good enough for schedules.
class SimRng {
 public:
  explicit SimRng(std::uint64_t seed) {
    for (auto& w : s_) w = splitmix64(seed);
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) (n > 0).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  // Uniform in [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + below(hi - lo + 1); }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

enum Stream : std::uint64_t {
  Network = 1, Nemesis = 2, Clients = 3, Options = 4, Tuning = 5, Disk = 6, Script = 7, Acks = 8, Sync = 9, SyncDelays = 10, Replay = 11,
  NodeBase = 100
};

}  // namespace mosaik::sim
