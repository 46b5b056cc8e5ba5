#include "safety_checker.hpp"

#include <fmt/format.h>

namespace mosaik::sim {

using groups::Index;
using groups::Term;
using groups::raft::Core;
using groups::raft::Entry;

std::uint64_t entry_hash(const Entry& e) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ e.kind;
  for (auto b : e.data) h = (h ^ b) * 0x100000001B3ull;
  return h;
}

void SafetyChecker::violation(std::string what) {
  if (violations_.size() < 40) violations_.push_back(std::move(what));
}

void SafetyChecker::on_leader(const groups::raft::NodeId& id, const Core& core) {
  const auto key = std::make_pair(core.incarnation(), core.term().value);
  auto [it, inserted] = leaders_.emplace(key, id);
  if (!inserted && it->second != id)
    violation(fmt::format("election safety: two leaders in term {} ({} and {})", core.term(), it->second, id));
  // Leader completeness: every entry committed in an earlier term is in its log. (A stale
  // candidate may still win an old term; it need not hold entries committed in later ones.)
  const auto& log = core.log();
  static const std::vector<Applied> none;
  const auto found = committed_.find(core.incarnation());
  const auto& committed = found == committed_.end() ? none : found->second;
  for (std::uint64_t i = log.first_index().value; i <= committed.size(); ++i) {
    const auto& c = committed[i - 1];
    if (c.committed_by >= core.term()) continue;
    if (i > log.last_index().value) {
      violation(fmt::format("leader completeness: leader {} of term {} ends at {}, before committed entry {}", id,
                            core.term(), log.last_index(), i));
      break;
    }
    const auto& e = log.at(Index(i));
    if (e.term != c.term || entry_hash(e) != c.hash)
      violation(fmt::format("leader completeness: leader {} of term {} lacks committed entry {}", id, core.term(), i));
  }
}

void SafetyChecker::on_apply(std::uint64_t node, const Entry& e, Index expected_index, Term term,
                             std::uint64_t incarnation) {
  if (e.index != expected_index)
    violation(fmt::format("node {} applied {} where {} was next", node, e.index, expected_index));
  const auto i = e.index.value;
  if (i == 0) return;
  if (!committed_.contains(incarnation) && !committed_.empty())
    violation(fmt::format("incarnation split: node {} applies entries of incarnation {:x} while {:x} holds committed "
                          "ones (a second group founded; docs/decisions/0400)",
                          node, incarnation, committed_.begin()->first));
  auto& committed = committed_[incarnation];
  if (i == committed.size() + 1) {
    committed.push_back({e.term, entry_hash(e), term});
  } else if (i <= committed.size()) {
    const auto& c = committed[i - 1];
    if (c.term != e.term || c.hash != entry_hash(e))
      violation(fmt::format("state-machine safety: node {} applied term {} at {} where term {} was applied", node,
                            e.term, i, c.term));
  } else {
    violation(fmt::format("node {} applied {} beyond the known committed prefix {}", node, i, committed.size()));
  }
}

void SafetyChecker::check_log_matching(const std::vector<const Core*>& cores) {
  for (std::size_t a = 0; a < cores.size(); ++a) {
    for (std::size_t b = a + 1; b < cores.size(); ++b) {
      const auto& la = cores[a]->log();
      const auto& lb = cores[b]->log();
      if (cores[a]->incarnation() != cores[b]->incarnation()) continue;
      const auto lo = std::max(la.first_index(), lb.first_index());
      const auto hi = std::min(la.last_index(), lb.last_index());
      // The highest index where both hold the same term: everything before must be equal.
      Index top(0);
      for (auto i = hi; i >= lo && !i.is_zero(); i = i.prev()) {
        if (la.at(i).term == lb.at(i).term) {
          top = i;
          break;
        }
      }
      for (auto i = lo; i <= top; i = i.next()) {
        if (!(la.at(i) == lb.at(i))) {
          violation(fmt::format("log matching: {} and {} agree at {} but differ at {}", cores[a]->id(),
                                cores[b]->id(), top, i));
          break;
        }
      }
    }
  }
}

}  // namespace mosaik::sim
