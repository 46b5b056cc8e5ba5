#pragma once
// The bond handshake of /mosaik/groups/1, on one bidirectional stream per bond:
//   initiator -> acceptor: HandshakeStart {network, group, member, proof}
//   acceptor -> initiator: HandshakeEnd {member, proof}
// `member` is the sender's identity inside the group's consensus (its PeerId and storage
// epoch, docs/decisions/0100): Raft messages on the bond are addressed by it.
// Each proof shows the key is known on this TLS session (proof.hpp). A refusal closes the
// stream with the seed's reason: InvalidHandshake (undecodable), DifferentNetwork,
// GroupNotFound, InvalidProof, Timeout. The connection stays: other bonds may share it.
//
//   auto bond = co_await initiate_bond(connection, terms, 2s);   // expected<Bonded, BondRefused>
//   auto bond = co_await accept_bond(std::move(raw), network, self, find_group, 2s);

#include <asio/awaitable.hpp>

#include <chrono>
#include <expected>
#include <functional>
#include <optional>
#include <string>

#include "mosaik/groups/group_key.hpp"
#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/transport/close_reason.hpp"
#include "mosaik/transport/connection.hpp"
#include "mosaik/transport/raw_link.hpp"

namespace mosaik::groups::detail {

struct HandshakeStart {
  NetworkId network;
  GroupId group;
  Digest member;
  Digest proof;
  bool observer = false;  // the sender only learns: never promoted to voter (docs/decisions/0800)
  MOSAIK_WIRE_FIELDS(network, group, member, proof, observer);
};

struct HandshakeEnd {
  Digest member;
  Digest proof;
  bool observer = false;
  MOSAIK_WIRE_FIELDS(member, proof, observer);
};

// Both handshake messages are a hundred bytes or so; a bond raises the limit afterwards.
inline constexpr std::size_t kMaxHandshakeFrame = 1024;

struct BondRefused {
  transport::CloseReason reason;
  bool remote = false;  // the peer refused (else we did, or the link failed)
  std::string detail;
};

// What the initiator proves: membership of `group` of `network`, as `self` (and `member`).
struct BondTerms {
  NetworkId network;
  GroupId group;
  GroupKey key;
  PeerId self;
  Digest member;
  bool observer = false;  // this member only learns
};

// A handshake that succeeded: the stream the bond lives on and who is at its other end.
struct Bonded {
  transport::RawLink link;
  GroupId group;
  Digest peer_member;
  bool peer_observer = false;  // the peer only learns: it must stay a learner
};

[[nodiscard]] asio::awaitable<std::expected<Bonded, BondRefused>> initiate_bond(
    transport::Connection connection, BondTerms terms, std::chrono::milliseconds timeout);

// The acceptor's side of a group it is a member of: the key, and its own member identity.
struct LocalMembership {
  GroupKey key;
  Digest member;
  bool observer = false;
};
using FindGroup = std::function<std::optional<LocalMembership>(const GroupId&)>;

[[nodiscard]] asio::awaitable<std::expected<Bonded, BondRefused>> accept_bond(
    transport::RawLink link, NetworkId network, PeerId self, FindGroup find_group,
    std::chrono::milliseconds timeout);

}  // namespace mosaik::groups::detail
