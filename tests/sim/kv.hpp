#pragma once
// The simulator's replicated state machine: a tiny key-value register store. A command is
// Put(key, value) in 9 bytes; values are unique per schedule, 0 means "never written".

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "groups/raft/types.hpp"

namespace mosaik::sim {

inline constexpr std::size_t kKeys = 4;

struct Put {
  std::uint8_t key = 0;
  std::uint64_t value = 0;
};

inline groups::raft::Bytes encode_put(const Put& p) {
  groups::raft::Bytes b(9);
  b[0] = p.key;
  for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<std::uint8_t>(p.value >> (8 * i));
  return b;
}

inline std::optional<Put> decode_put(std::span<const std::uint8_t> b) {
  if (b.size() != 9 || b[0] >= kKeys) return std::nullopt;
  Put p{b[0], 0};
  for (int i = 0; i < 8; ++i) p.value |= std::uint64_t{b[1 + i]} << (8 * i);
  return p;
}

struct KvState {
  std::array<std::uint64_t, kKeys> values{};
  void apply(const groups::raft::Entry& e) {
    if (e.entry_kind() != groups::raft::EntryKind::Command) return;
    if (auto p = decode_put(e.data)) values[p->key] = p->value;
  }
};

}  // namespace mosaik::sim
