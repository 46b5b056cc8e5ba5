#pragma once
// The bond handshake of /mosaik/groups/1, on one bidirectional stream per bond:
//   initiator -> acceptor: HandshakeStart {network, group, proof}
//   acceptor -> initiator: HandshakeEnd {proof}
// Each proof shows the key is known on this TLS session (proof.hpp). A refusal closes the
// stream with the seed's reason: InvalidHandshake (undecodable), DifferentNetwork,
// GroupNotFound, InvalidProof, Timeout. The connection stays: other bonds may share it.
//
//   auto link = co_await initiate_bond(connection, terms, 2s);       // expected<RawLink, BondRefused>
//   auto bond = co_await accept_bond(std::move(raw), network, self, find_key, 2s);

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
  Digest proof;
  MOSAIK_WIRE_FIELDS(network, group, proof);
};

struct HandshakeEnd {
  Digest proof;
  MOSAIK_WIRE_FIELDS(proof);
};

// Both handshake messages are a hundred bytes or so; a bond raises the limit afterwards.
inline constexpr std::size_t kMaxHandshakeFrame = 1024;

struct BondRefused {
  transport::CloseReason reason;
  bool remote = false;  // the peer refused (else we did, or the link failed)
  std::string detail;
};

// What the initiator proves: membership of `group` of `network`, as `self`.
struct BondTerms {
  NetworkId network;
  GroupId group;
  GroupKey key;
  PeerId self;
};

[[nodiscard]] asio::awaitable<std::expected<transport::RawLink, BondRefused>> initiate_bond(
    transport::Connection connection, BondTerms terms, std::chrono::milliseconds timeout);

// The acceptor's groups: the key of a group this node is a member of.
using FindGroupKey = std::function<std::optional<GroupKey>(const GroupId&)>;

struct AcceptedBond {
  transport::RawLink link;
  GroupId group;
};

[[nodiscard]] asio::awaitable<std::expected<AcceptedBond, BondRefused>> accept_bond(
    transport::RawLink link, NetworkId network, PeerId self, FindGroupKey find_key,
    std::chrono::milliseconds timeout);

}  // namespace mosaik::groups::detail
