#include "membership_codec.hpp"

#include <mosaik/primitives/wire.hpp>

namespace mosaik::groups::raft {

Bytes encode_membership(const Membership& m) { return wire::encode(m); }

std::optional<Membership> decode_membership(std::span<const std::uint8_t> bytes) {
  auto m = wire::decode<Membership>(bytes);
  if (!m || !m->well_formed() || m->voters.empty()) return std::nullopt;
  return std::move(*m);
}

}  // namespace mosaik::groups::raft
