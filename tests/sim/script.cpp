// Scripted adversarial schedules (issue 19), run instead of random node faults by some seeds;
// timing and the nodes chosen still come from the seed. Each is a small phase machine
// stepped every 5 ms of the chaos phase; a phase that waits too long ends the script.
//   Figure8: the Raft paper's Figure 8. A leader's entry reaches one follower; the rest elect
//     a leader that appends its own entry and is cut off; it crashes, a third leader carries
//     the first entry to a majority (it must not commit it by counting: §5.4.2); that leader
//     crashes and the second comes back, able to overwrite the first entry.
//   PinnedOldLeader: clients stay on a leader cut off (both ways or one way) while the rest
//     elect another and move on, then the partition heals.
//   MembershipInPartition: the leader is cut off with a minority; the majority side gains a
//     member and loses another before the partition heals and one more member joins.
#include "run.hpp"

namespace mosaik::sim::detail {

using namespace std::chrono_literals;

namespace {
constexpr Time kPhaseLimit = 6s;
}

void Run::script_step() {
  if (script_done()) return;
  const Time now = cluster_->now();
  auto& net = cluster_->network();
  const auto n = static_cast<std::uint32_t>(cluster_->size());
  auto next = [&](Time after) {
    ++script_phase_;
    script_at_ = now + after;
  };
  auto give_up_after = [&](Time limit) {
    if (now - script_at_ > limit) script_phase_ = -1;
  };
  auto isolate = [&](std::uint32_t x) {
    for (std::uint32_t s = 0; s < n; ++s)
      if (s != x) net.cut(x, s);
  };
  auto other_than = [&](auto excluded) -> std::optional<std::uint32_t> {
    std::vector<std::uint32_t> c;
    for (std::uint32_t s = 0; s < n; ++s)
      if (cluster_->alive(s) && !excluded(s)) c.push_back(s);
    if (c.empty()) return std::nullopt;
    return c[script_rng_.below(c.size())];
  };
  if (now < script_at_) return;
  const auto leader = cluster_->leader();
  switch (params_.script) {
    case Script::None: return;
    case Script::Figure8:
      switch (script_phase_) {
        case 0:  // a settled leader A; one follower B will share its next entry
          if (now < 1500ms || !leader) return;
          script_a_ = *leader;
          script_term_ = cluster_->core(script_a_)->term();
          if (auto b = other_than([&](auto s) { return s == script_a_; })) {
            script_b_ = *b;
          } else {
            script_phase_ = -1;
            return;
          }
          net.heal();
          for (std::uint32_t s = 0; s < n; ++s)
            if (s != script_a_ && s != script_b_) net.cut(script_a_, s), net.cut(script_b_, s);
          script_put(script_a_);
          return next(0ms);
        case 1:  // the majority side elects W; W appends its own entry, cut off from everyone
          give_up_after(kPhaseLimit);
          if (!leader || *leader == script_a_ || *leader == script_b_ ||
              cluster_->core(*leader)->term() <= script_term_)
            return;
          script_w_ = *leader;
          isolate(script_w_);
          script_put(script_w_);
          return next(200ms);
        case 2:  // W crashes; everyone else reconnects and elects a third leader
          cluster_->crash(script_w_);
          net.heal();
          script_term_ = cluster_->core(script_a_) ? cluster_->core(script_a_)->term() : script_term_;
          return next(0ms);
        case 3:
          give_up_after(kPhaseLimit);
          if (!leader || *leader == script_w_) return;
          script_a_ = *leader;
          return next(Time(std::chrono::milliseconds(script_rng_.between(20, 400))));
        case 4:  // the third leader crashes, W comes back
          if (may_take_one_more()) cluster_->crash(script_a_);
          cluster_->restart(script_w_);
          return next(2s);
        default:
          cluster_->restart(script_a_);
          script_phase_ = -1;
          return;
      }
    case Script::PinnedOldLeader:
      switch (script_phase_) {
        case 0:
          if (now < 1s || !leader) return;
          script_a_ = *leader;
          for (auto& c : clients_)
            if (!c.scripted && script_rng_.chance(0.6)) c.pinned = script_a_;
          net.heal();
          switch (script_rng_.below(3)) {
            case 0: isolate(script_a_); break;
            case 1:  // it hears nobody: its heartbeats still arrive
              for (std::uint32_t s = 0; s < n; ++s) net.cut_one_way(s, script_a_);
              break;
            default:  // nobody hears it: it still receives votes and appends
              for (std::uint32_t s = 0; s < n; ++s) net.cut_one_way(script_a_, s);
              break;
          }
          return next(Time(std::chrono::milliseconds(script_rng_.between(1000, 4000))));
        case 1:
          net.heal();
          return next(1s);
        default:
          for (auto& c : clients_) c.pinned.reset();
          script_phase_ = -1;
          return;
      }
    case Script::MembershipInPartition:
      switch (script_phase_) {
        case 0: {
          if (now < 1s || !leader) return;
          script_a_ = *leader;
          net.heal();
          std::vector<char> minority(n, 0);
          minority[script_a_] = 1;
          if (n > 3)
            if (auto b = other_than([&](auto s) { return s == script_a_; })) minority[*b] = 1;
          for (std::uint32_t x = 0; x < n; ++x)
            for (std::uint32_t y = x + 1; y < n; ++y)
              if (minority[x] != minority[y]) net.cut(x, y);
          const auto joined = cluster_->join();
          for (std::uint32_t s = 0; s < n; ++s)
            if (minority[s]) net.cut(joined, s);
          script_b_ = joined;
          return next(1s);
        }
        case 1:
          if (may_take_one_more())
            if (auto gone = other_than([&](auto s) {
                  return s == script_a_ || s == script_b_ || !net.connected(s, script_b_);
                }))
              cluster_->depart(*gone);
          return next(Time(std::chrono::milliseconds(script_rng_.between(1000, 3000))));
        default:
          net.heal();
          cluster_->join();
          script_phase_ = -1;
          return;
      }
  }
}

}  // namespace mosaik::sim::detail
