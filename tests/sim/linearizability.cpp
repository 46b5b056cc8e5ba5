#include "linearizability.hpp"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

namespace mosaik::sim {
namespace {

using Op = History::Op;

struct Event {
  std::uint64_t time;
  bool is_return;
  std::size_t op;
  Event* prev = nullptr;
  Event* next = nullptr;
  Event* match = nullptr;  // call -> its return
};

struct CacheKey {
  std::vector<std::uint64_t> bits;
  std::uint64_t value;
  bool operator==(const CacheKey&) const = default;
};
struct CacheHash {
  std::size_t operator()(const CacheKey& k) const {
    std::uint64_t h = k.value * 0x9E3779B97F4A7C15ull;
    for (auto w : k.bits) h = (h ^ w) * 0x100000001B3ull;
    return h;
  }
};

// One register's history, searched depth-first (Lowe's refinement of Wing & Gong).
enum class Verdict { Ok, Violation, Inconclusive };

Verdict check_register(const std::vector<Op>& ops, std::uint64_t max_steps) {
  const std::size_t n = ops.size();
  std::vector<Event> events;
  events.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    events.push_back({ops[i].call, false, i});
    events.push_back({ops[i].ret, true, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    return a.op < b.op;  // unknown returns share "infinity"
  });
  std::vector<Event*> call_of(n), ret_of(n);
  for (auto& e : events) (e.is_return ? ret_of : call_of)[e.op] = &e;
  Event head{0, false, 0};
  Event* prev = &head;
  for (auto& e : events) {
    prev->next = &e;
    e.prev = prev;
    prev = &e;
  }
  for (std::size_t i = 0; i < n; ++i) call_of[i]->match = ret_of[i];

  auto lift = [](Event* call) {
    call->prev->next = call->next;
    if (call->next) call->next->prev = call->prev;
    Event* r = call->match;
    r->prev->next = r->next;
    if (r->next) r->next->prev = r->prev;
  };
  auto unlift = [](Event* call) {
    Event* r = call->match;
    r->prev->next = r;
    if (r->next) r->next->prev = r;
    call->prev->next = call;
    if (call->next) call->next->prev = call;
  };

  std::vector<std::uint64_t> linearized((n + 63) / 64, 0);
  std::uint64_t value = 0;
  std::unordered_set<CacheKey, CacheHash> cache;
  struct Frame { Event* call; std::uint64_t value; };
  std::vector<Frame> stack;
  Event* entry = head.next;
  std::uint64_t steps = 0;
  while (head.next != nullptr) {
    if (++steps > max_steps) return Verdict::Inconclusive;
    if (!entry->is_return) {
      const Op& op = ops[entry->op];
      const bool put = op.kind == History::Kind::Put;
      const bool legal = put || op.value == value;
      if (legal) {
        const std::uint64_t next_value = put ? op.value : value;
        linearized[entry->op / 64] |= std::uint64_t{1} << (entry->op % 64);
        if (cache.insert(CacheKey{linearized, next_value}).second) {
          stack.push_back({entry, value});
          value = next_value;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[entry->op / 64] &= ~(std::uint64_t{1} << (entry->op % 64));
      }
      entry = entry->next;
    } else {
      if (stack.empty()) return Verdict::Violation;
      Frame f = stack.back();
      stack.pop_back();
      value = f.value;
      linearized[f.call->op / 64] &= ~(std::uint64_t{1} << (f.call->op % 64));
      unlift(f.call);
      entry = f.call->next;
    }
  }
  return Verdict::Ok;
}

}  // namespace

LinearizabilityResult check_linearizable(const History& h) {
  std::vector<std::vector<Op>> per_key;
  for (const auto& op : h.ops()) {
    if (op.discarded) continue;
    if (op.kind == History::Kind::Get && op.ret == History::kNever) continue;  // no effect
    if (op.key >= per_key.size()) per_key.resize(op.key + 1);
    per_key[op.key].push_back(op);
  }
  for (std::size_t key = 0; key < per_key.size(); ++key) {
    const auto verdict = check_register(per_key[key], 20'000'000);
    if (verdict == Verdict::Violation)
      return {false, false, fmt::format("key {}: {} operations admit no linearization", key, per_key[key].size())};
    if (verdict == Verdict::Inconclusive)
      return {false, true, fmt::format("key {}: search budget exhausted", key)};
  }
  return {};
}

}  // namespace mosaik::sim
