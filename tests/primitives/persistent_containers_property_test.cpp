// Property tests (RapidCheck) of the persistent containers behind the collections: any
// sequence of operations leaves PersistentVector, PersistentSet and PersistentPriorityQueue
// equal to a std container given the same operations, trees stay balanced, and a copy
// taken before the operations never changes.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "mosaik/primitives/persistent_priority_queue.hpp"
#include "mosaik/primitives/persistent_set.hpp"
#include "mosaik/primitives/persistent_vector.hpp"

namespace mosaik {
namespace {

// One generated operation: a kind and two small operands, interpreted per container.
struct Op {
  std::uint8_t kind = 0;
  std::int32_t a = 0;
  std::int32_t b = 0;
};

rc::Gen<std::vector<Op>> ops(std::uint8_t kinds) {
  return rc::gen::container<std::vector<Op>>(rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::inRange<std::uint8_t>(0, kinds)),
      rc::gen::set(&Op::a, rc::gen::inRange<std::int32_t>(0, 64)),
      rc::gen::set(&Op::b, rc::gen::inRange<std::int32_t>(-1000, 1000))));
}

bool balanced(int height, std::size_t size) {
  return height <= 1.45 * std::log2(static_cast<double>(size) + 2) + 1;
}

std::vector<std::int32_t> as_vector(const PersistentVector<std::int32_t>& v) { return {v.begin(), v.end()}; }

RC_GTEST_PROP(PersistentContainersProperty, vector_matches_std_vector, ()) {
  const auto program = *ops(9);
  PersistentVector<std::int32_t> v;
  std::vector<std::int32_t> model;
  std::vector<std::pair<PersistentVector<std::int32_t>, std::vector<std::int32_t>>> snapshots;
  for (const auto& op : program) {
    const std::size_t at = model.empty() ? 0 : static_cast<std::size_t>(op.a) % model.size();
    switch (op.kind) {
      case 0: v.push_back(op.b); model.push_back(op.b); break;
      case 1: v.push_front(op.b); model.insert(model.begin(), op.b); break;
      case 2: {
        const std::size_t pos = static_cast<std::size_t>(op.a) % (model.size() + 1);
        v.insert(pos, op.b);
        model.insert(model.begin() + static_cast<std::ptrdiff_t>(pos), op.b);
        break;
      }
      case 3:
        if (!model.empty()) { v.erase(at); model.erase(model.begin() + static_cast<std::ptrdiff_t>(at)); }
        break;
      case 4:
        if (!model.empty()) { v.set(at, op.b); model[at] = op.b; }
        break;
      case 5: RC_ASSERT(v.pop_back() == !model.empty()); if (!model.empty()) model.pop_back(); break;
      case 6: RC_ASSERT(v.pop_front() == !model.empty()); if (!model.empty()) model.erase(model.begin()); break;
      case 7: {
        const std::size_t keep = static_cast<std::size_t>(op.a) % (model.size() + 1);
        v.truncate(keep);
        model.resize(keep);
        break;
      }
      default: snapshots.emplace_back(v, model); break;
    }
    RC_ASSERT(v.size() == model.size());
    RC_ASSERT(balanced(v.height(), v.size()));
  }
  RC_ASSERT(as_vector(v) == model);
  for (std::size_t i = 0; i < model.size(); ++i) RC_ASSERT(v[i] == model[i]);
  if (!model.empty()) {
    RC_ASSERT(*v.front() == model.front());
    RC_ASSERT(*v.back() == model.back());
  }
  RC_ASSERT(v.get(model.size()) == nullptr);
  for (const auto& [snap, snap_model] : snapshots) RC_ASSERT(as_vector(snap) == snap_model);
}

RC_GTEST_PROP(PersistentContainersProperty, set_matches_std_set, ()) {
  const auto program = *ops(4);
  PersistentSet<std::int32_t> s;
  std::set<std::int32_t> model;
  std::vector<std::pair<PersistentSet<std::int32_t>, std::set<std::int32_t>>> snapshots;
  for (const auto& op : program) {
    switch (op.kind) {
      case 0: RC_ASSERT(s.insert(op.a) == model.insert(op.a).second); break;
      case 1: RC_ASSERT(s.erase(op.a) == (model.erase(op.a) == 1)); break;
      case 2: RC_ASSERT(s.contains(op.a) == model.contains(op.a)); break;
      default: snapshots.emplace_back(s, model); break;
    }
    RC_ASSERT(s.size() == model.size());
    RC_ASSERT(balanced(s.height(), s.size()));
  }
  RC_ASSERT(std::vector<std::int32_t>(s.begin(), s.end()) == std::vector<std::int32_t>(model.begin(), model.end()));
  for (const auto& [snap, snap_model] : snapshots)
    RC_ASSERT(std::vector<std::int32_t>(snap.begin(), snap.end()) ==
              std::vector<std::int32_t>(snap_model.begin(), snap_model.end()));
  // A set is a subset of itself and of a superset, and not of a set missing one of its elements.
  RC_ASSERT(s.is_subset_of(s));
  if (!model.empty()) {
    auto smaller = s;
    smaller.erase(*model.begin());
    RC_ASSERT(smaller.is_subset_of(s));
    RC_ASSERT(!s.is_subset_of(smaller));
  }
}

using Queue = PersistentPriorityQueue<std::int32_t, std::int32_t, std::int32_t>;
using Entry = std::tuple<std::int32_t, std::int32_t, std::int32_t>;

// The model: key -> (priority, value); its ascending order is sorted (priority, key).
std::vector<Entry> ascending(const std::map<std::int32_t, std::pair<std::int32_t, std::int32_t>>& model) {
  std::vector<Entry> out;
  for (const auto& [k, pv] : model) out.emplace_back(pv.first, k, pv.second);
  std::sort(out.begin(), out.end(),
            [](const Entry& x, const Entry& y) { return std::tie(std::get<0>(x), std::get<1>(x)) < std::tie(std::get<0>(y), std::get<1>(y)); });
  return out;
}

std::vector<Entry> ascending(const Queue& q) {
  std::vector<Entry> out;
  q.for_each_ascending([&](auto p, auto k, auto v) { out.emplace_back(p, k, v); });
  return out;
}

RC_GTEST_PROP(PersistentContainersProperty, priority_queue_matches_a_map_sorted_by_priority, ()) {
  const auto program = *ops(8);
  Queue q;
  std::map<std::int32_t, std::pair<std::int32_t, std::int32_t>> model;
  std::vector<std::pair<Queue, std::vector<Entry>>> snapshots;
  for (const auto& op : program) {
    const std::int32_t key = op.a;
    const std::int32_t priority = op.b % 50;  // ties are common
    switch (op.kind) {
      case 0: q.insert(priority, key, op.b); model[key] = {priority, op.b}; break;
      case 1: RC_ASSERT(q.erase(key) == (model.erase(key) == 1)); break;
      case 2: {
        const bool had = model.contains(key);
        RC_ASSERT(q.update_priority(key, priority) == had);
        if (had) model[key].first = priority;
        break;
      }
      case 3: {
        const bool had = model.contains(key);
        RC_ASSERT(q.update_value(key, op.b) == had);
        if (had) model[key].second = op.b;
        break;
      }
      case 4: {
        // [lo, hi) by one bound kind, (lo, hi] by the other.
        const std::int32_t lo = std::min(priority, (op.a % 50) - 25);
        const std::int32_t hi = std::max(priority, (op.a % 50) - 25);
        const bool half_open = op.a % 2 == 0;
        const auto removed = half_open ? q.erase_range(Queue::Bound::included(lo), Queue::Bound::excluded(hi))
                                       : q.erase_range(Queue::Bound::excluded(lo), Queue::Bound::included(hi));
        std::size_t expected = 0;
        std::erase_if(model, [&](const auto& kv) {
          const auto p = kv.second.first;
          const bool in = half_open ? (p >= lo && p < hi) : (p > lo && p <= hi);
          expected += in ? 1 : 0;
          return in;
        });
        RC_ASSERT(removed == expected);
        break;
      }
      case 5: {
        const auto before = ascending(model);
        RC_ASSERT(q.pop_min() == !before.empty());
        if (!before.empty()) model.erase(std::get<1>(before.front()));
        break;
      }
      case 6: snapshots.emplace_back(q, ascending(model)); break;
      default: {
        const auto* found = q.find(key);
        RC_ASSERT((found != nullptr) == model.contains(key));
        if (found != nullptr) RC_ASSERT(*found == model[key]);
        break;
      }
    }
    RC_ASSERT(q.size() == model.size());
  }
  const auto want = ascending(model);
  RC_ASSERT(ascending(q) == want);
  std::vector<Entry> desc;
  q.for_each_descending([&](auto p, auto k, auto v) { desc.emplace_back(p, k, v); });
  RC_ASSERT(std::equal(desc.begin(), desc.end(), want.rbegin(), want.rend()));
  if (!want.empty()) {
    RC_ASSERT(*q.min() == want.front());
    RC_ASSERT(*q.max() == want.back());
  } else {
    RC_ASSERT(!q.min().has_value());
  }
  for (const auto& [snap, snap_want] : snapshots) RC_ASSERT(ascending(snap) == snap_want);
}

}  // namespace
}  // namespace mosaik
