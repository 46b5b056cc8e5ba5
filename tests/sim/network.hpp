#pragma once
// The simulated network: messages in flight ordered by delivery time, with loss,
// duplication, delay (hence reordering) and partitions (both ways or one way), all drawn from one seeded RNG.
//
//   SimNetwork net(seed);  net.faults.loss = 0.1;  net.send(now, from, to, msg);
//   while (auto d = net.pop_due(now)) deliver(*d);

#include <cstdint>
#include <optional>
#include <queue>
#include <set>
#include <vector>

#include "groups/raft/messages.hpp"
#include "rng.hpp"

namespace mosaik::sim {

using groups::raft::Message;
using groups::raft::Time;

struct LinkFaults {
  double loss = 0.0;         // probability a message is dropped
  double duplicate = 0.0;    // probability a message is delivered twice
  Time min_delay = Time(std::chrono::microseconds(100));
  Time max_delay = Time(std::chrono::milliseconds(2));
  double slow = 0.0;         // probability a message takes the slow path instead
  Time slow_max_delay = Time(std::chrono::milliseconds(500));
};

struct Delivery {
  Time at;
  std::uint64_t seq;
  std::uint32_t from;
  std::uint32_t to;
  std::uint64_t to_epoch;  // the receiver's life it was sent to: a restart loses it
  Message message;
};

class SimNetwork {
 public:
  explicit SimNetwork(std::uint64_t seed) : rng_(seed) {}

  LinkFaults faults;

  void send(Time now, std::uint32_t from, std::uint32_t to, std::uint64_t to_epoch, Message m);
  [[nodiscard]] std::optional<Time> next_due() const;
  // The earliest delivery due at or before `now`.
  [[nodiscard]] std::optional<Delivery> pop_due(Time now);

  // Partitions: cut(a, b) stops both directions, cut_one_way(from, to) only one. A bond
  // (a connection) needs both directions, so connected() asks for both.
  void heal() { cut_.clear(); }
  void cut(std::uint32_t a, std::uint32_t b) {
    cut_.insert(key(a, b));
    cut_.insert(key(b, a));
  }
  void cut_one_way(std::uint32_t from, std::uint32_t to) { cut_.insert(key(from, to)); }
  [[nodiscard]] bool delivers(std::uint32_t from, std::uint32_t to) const {
    return from == to || !cut_.contains(key(from, to));
  }
  [[nodiscard]] bool connected(std::uint32_t a, std::uint32_t b) const { return delivers(a, b) && delivers(b, a); }
  [[nodiscard]] std::size_t in_flight() const { return queue_.size(); }

 private:
  static std::uint64_t key(std::uint32_t from, std::uint32_t to) { return (std::uint64_t{from} << 32) | to; }
  struct Later {
    bool operator()(const Delivery& x, const Delivery& y) const {
      return x.at != y.at ? x.at > y.at : x.seq > y.seq;
    }
  };
  SimRng rng_;
  std::uint64_t seq_ = 0;
  std::priority_queue<Delivery, std::vector<Delivery>, Later> queue_;
  std::set<std::uint64_t> cut_;
};

}  // namespace mosaik::sim
