#pragma once
// Membership entries carry a msgpack-encoded Membership; decoding checks it is well formed.

#include <optional>
#include <span>

#include "types.hpp"

namespace mosaik::groups::raft {

[[nodiscard]] Bytes encode_membership(const Membership& m);
// nullopt unless the bytes decode to a well-formed membership with at least one voter.
[[nodiscard]] std::optional<Membership> decode_membership(std::span<const std::uint8_t> bytes);

}  // namespace mosaik::groups::raft
