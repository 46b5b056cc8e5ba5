#pragma once
// The bond handshake's proof of the group key (the seed's mutual proof of knowledge), bound to
// one TLS session: HMAC-SHA512-256 keyed by the key's bond-proof key, over 32 bytes the TLS
// exporter (RFC 5705) derives for this group and the prover's role, then both peer ids
// (prover first). Nothing secret crosses the wire; a proof is worthless on another
// connection, for another group, or echoed back by the other side.
//
//   auto exported = exported_for_bond(connection, group, BondRole::kInitiator);
//   Digest mine = bond_proof(*exported, key, self, peer);

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "mosaik/groups/group_key.hpp"
#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/connection.hpp"

namespace mosaik::groups::detail {

enum class BondRole : std::uint8_t { kInitiator, kAcceptor };

using Exported = std::array<std::uint8_t, 32>;

// The session's exporter value for `role`'s proof in `group`; on the connection's executor.
[[nodiscard]] std::expected<Exported, std::string> exported_for_bond(const transport::Connection& connection,
                                                                    const GroupId& group, BondRole role);

// The proof `prover` owes `verifier` for that exporter value.
[[nodiscard]] Digest bond_proof(const Exported& exported, const GroupKey& key, const PeerId& prover,
                                const PeerId& verifier);

// Constant time.
[[nodiscard]] bool proofs_equal(const Digest& a, const Digest& b);

}  // namespace mosaik::groups::detail
