// Faults drawn from the seed: partitions (halves, bridge, isolated leader, one way), crashes,
// restarts with and without state, pauses, departures and joins, within a budget that keeps
// a majority of every membership recoverable.
#include "run.hpp"

namespace mosaik::sim::detail {

using namespace std::chrono_literals;

using groups::raft::FailReason;

bool Run::may_take_one_more() const {
  bool any_config = false;
  for (std::uint32_t s = 0; s < cluster_->size(); ++s) {
    const auto* core = cluster_->core(s);
    if (!core || core->membership().voters.empty()) continue;
    any_config = true;
    const auto& voters = core->membership().voters;
    std::size_t down = 0;
    for (const auto& v : voters) {
      auto slot = cluster_->slot_of(v);
      if (!slot || !cluster_->alive(*slot)) ++down;
    }
    if (down + 1 > (voters.size() - 1) / 2) return false;
  }
  if (any_config) return true;
  std::size_t down = 0;  // before genesis: the founders
  for (std::uint32_t s = 0; s < cluster_->size(); ++s) down += cluster_->alive(s) ? 0 : 1;
  return down + 1 <= (params_.nodes - 1) / 2;
}

void Run::nemesis_step() {
  // Node faults start once the group exists: before genesis they only postpone it, since
  // genesis waits for all bootstrap_expect founders (partitions still hit genesis itself).
  const bool born = [&] {
    for (std::uint32_t s = 0; s < cluster_->size(); ++s)
      if (cluster_->core(s) && !cluster_->core(s)->log().last_index().is_zero()) return true;
    return false;
  }();
  const bool may_take_one = born && may_take_one_more();
  const auto n = static_cast<std::uint32_t>(cluster_->size());
  auto pick = [&](auto pred) -> std::optional<std::uint32_t> {
    std::vector<std::uint32_t> c;
    for (std::uint32_t s = 0; s < n; ++s)
      if (pred(s)) c.push_back(s);
    if (c.empty()) return std::nullopt;
    return c[nemesis_.below(c.size())];
  };
  ++faults_;
  switch (nemesis_.below(params_.classic ? 9 : 10)) {
    case 0: cluster_->network().heal(); break;
    case 1:
      if (!params_.partitions) break;
      cluster_->network().heal();
      {  // random halves
        std::vector<char> side(n);
        for (auto& s : side) s = nemesis_.chance(0.5) ? 1 : 0;
        for (std::uint32_t a = 0; a < n; ++a)
          for (std::uint32_t b = a + 1; b < n; ++b)
            if (side[a] != side[b]) cluster_->network().cut(a, b);
      }
      break;
    case 2:
      if (!params_.partitions) break;
      cluster_->network().heal();
      {  // a bridge node sees both halves, which do not see each other
        const auto bridge = static_cast<std::uint32_t>(nemesis_.below(n));
        std::vector<char> side(n);
        for (auto& s : side) s = nemesis_.chance(0.5) ? 1 : 0;
        for (std::uint32_t a = 0; a < n; ++a)
          for (std::uint32_t b = a + 1; b < n; ++b)
            if (a != bridge && b != bridge && side[a] != side[b]) cluster_->network().cut(a, b);
      }
      break;
    case 3:
      if (!params_.partitions) break;
      if (auto l = cluster_->leader()) {  // isolate the leader
        cluster_->network().heal();
        for (std::uint32_t s = 0; s < n; ++s)
          if (s != *l) cluster_->network().cut(*l, s);
      }
      break;
    case 4:
      if (params_.crashes && may_take_one)
        if (auto s = pick([&](auto s) { return cluster_->alive(s); })) cluster_->crash(*s);
      break;
    case 5:
      if (auto s = pick([&](auto s) { return cluster_->crashed(s); })) cluster_->restart(*s);
      break;
    case 6:
      if (params_.state_loss && may_take_one && cluster_->now() - last_state_loss_ > 4s)
        if (auto s = pick([&](auto s) { return cluster_->core(s) != nullptr; })) {
          cluster_->restart_fresh(*s);
          last_state_loss_ = cluster_->now();
        }
      break;
    case 7:
      if (params_.pauses && born) {
        if (auto s = pick([&](auto s) { return cluster_->paused(s); })) {
          cluster_->resume(*s);
        } else if (may_take_one) {
          if (auto s = pick([&](auto s) { return cluster_->alive(s); })) cluster_->pause(*s);
        }
      }
      break;
    case 8:
      if (params_.churn && may_take_one && cluster_->now() - last_state_loss_ > 4s) {
        if (nemesis_.chance(0.5)) {
          if (auto s = pick([&](auto s) { return cluster_->alive(s); })) cluster_->depart(*s);
        } else if (cluster_->size() < params_.nodes + 4) {
          cluster_->join();
        }
        last_state_loss_ = cluster_->now();
      }
      break;
    case 9:
      if (!params_.partitions || !params_.harsh.one_way) break;
      cluster_->network().heal();
      {  // one-way cuts: each node loses a random set of its outgoing links
        const auto from = static_cast<std::uint32_t>(nemesis_.below(n));
        for (std::uint32_t s = 0; s < n; ++s)
          if (s != from && nemesis_.chance(0.6)) cluster_->network().cut_one_way(from, s);
        if (nemesis_.chance(0.5)) {
          const auto to = static_cast<std::uint32_t>(nemesis_.below(n));
          for (std::uint32_t s = 0; s < n; ++s)
            if (s != to && nemesis_.chance(0.6)) cluster_->network().cut_one_way(s, to);
        }
      }
      break;
  }
  cluster_->refresh_bonds();
}

void Run::heal() {
  cluster_->network().heal();
  cluster_->network().faults = LinkFaults{};
  for (std::uint32_t s = 0; s < cluster_->size(); ++s) {
    if (cluster_->paused(s)) cluster_->resume(s);
    if (cluster_->crashed(s)) cluster_->restart(s);
  }
  cluster_->refresh_bonds();
}

}  // namespace mosaik::sim::detail
