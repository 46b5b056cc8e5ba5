#pragma once
// A Wing–Gong–Lowe (Porcupine-style) linearizability checker for a key-value register
// model. The history is split per key (registers compose) and each key is searched with
// memoisation of (linearized set, register value).
//
//   History h;  auto op = h.invoke(key, Kind::Put, 7);  h.complete(op, 0);
//   bool ok = check_linearizable(h).ok;
//
// A Put whose outcome is unknown (timeout, crash) keeps return time "infinity": it may take
// effect at any point after its call, or never. Failed-for-certain operations are removed.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace mosaik::sim {

class History {
 public:
  enum class Kind : std::uint8_t { Put, Get };
  static constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

  struct Op {
    std::uint8_t key;
    Kind kind;
    std::uint64_t value;  // Put: written; Get: observed (0 = never written)
    std::uint64_t call;
    std::uint64_t ret = kNever;
    bool discarded = false;
  };

  std::size_t invoke(std::uint8_t key, Kind kind, std::uint64_t put_value) {
    ops_.push_back(Op{key, kind, put_value, ++clock_});
    return ops_.size() - 1;
  }
  // The operation returned: for a Get, with the value it observed.
  void complete(std::size_t op, std::uint64_t observed) {
    if (ops_[op].kind == Kind::Get) ops_[op].value = observed;
    ops_[op].ret = ++clock_;
  }
  // It certainly had no effect (or is a read that never returned): drop it.
  void discard(std::size_t op) { ops_[op].discarded = true; }
  [[nodiscard]] const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
  std::uint64_t clock_ = 0;
};

struct LinearizabilityResult {
  bool ok = true;
  bool inconclusive = false;  // the search budget ran out: neither proven nor refuted
  std::string detail;  // the key and a short account when not linearizable
};

[[nodiscard]] LinearizabilityResult check_linearizable(const History& h);

}  // namespace mosaik::sim
