#include "handshake.hpp"

#include <fmt/format.h>

#include "mosaik/groups/close_reasons.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "proof.hpp"

namespace mosaik::groups::detail {
namespace {

using transport::CloseReason;

std::unexpected<BondRefused> refuse(transport::RawLink& link, const CloseReason& reason, std::string detail) {
  link.close(reason);
  return std::unexpected(BondRefused{reason, false, std::move(detail)});
}

// The peer's next handshake frame, or why there is none.
asio::awaitable<std::expected<wire::Bytes, BondRefused>> next_frame(transport::RawLink& link,
                                                                    std::chrono::milliseconds timeout) {
  auto frame = co_await with_timeout(link.recv_frame(), timeout);
  if (!frame) co_return refuse(link, close_reason::Timeout, "no handshake within the timeout");
  if (!*frame) {
    const auto& e = frame->error();
    co_return std::unexpected(BondRefused{e.reason, e.remote, fmt::format("{}", e)});
  }
  co_return std::move(**frame);
}

}  // namespace

asio::awaitable<std::expected<Bonded, BondRefused>> initiate_bond(
    transport::Connection connection, BondTerms terms, std::chrono::milliseconds timeout) {
  const PeerId peer = connection.peer_id();
  auto opened = co_await connection.open_link(kMaxHandshakeFrame);
  if (!opened) {
    co_return std::unexpected(BondRefused{opened.error().reason, opened.error().remote, fmt::format("{}", opened.error())});
  }
  transport::RawLink link = std::move(*opened);
  auto mine = exported_for_bond(connection, terms.group, BondRole::kInitiator);
  auto theirs = exported_for_bond(connection, terms.group, BondRole::kAcceptor);
  if (!mine || !theirs) co_return refuse(link, transport::close_reason::Cancelled, "TLS exporter failed");
  const HandshakeStart start{terms.network, terms.group, terms.member, bond_proof(*mine, terms.key, terms.self, peer),
                             terms.observer};
  auto sent = co_await link.send_frame(wire::encode(start));
  if (!sent) co_return std::unexpected(BondRefused{sent.error().reason, sent.error().remote, fmt::format("{}", sent.error())});
  auto frame = co_await next_frame(link, timeout);
  if (!frame) co_return std::unexpected(std::move(frame.error()));
  auto end = wire::decode<HandshakeEnd>(*frame);
  if (!end) co_return refuse(link, close_reason::InvalidHandshake, "undecodable HandshakeEnd: " + end.error().message());
  if (!proofs_equal(end->proof, bond_proof(*theirs, terms.key, peer, terms.self)))
    co_return refuse(link, close_reason::InvalidProof, "the acceptor did not prove the group key");
  co_return Bonded{std::move(link), terms.group, end->member, end->observer};
}

asio::awaitable<std::expected<Bonded, BondRefused>> accept_bond(transport::RawLink link, NetworkId network,
                                                                PeerId self, FindGroup find_group,
                                                                std::chrono::milliseconds timeout) {
  link.set_max_frame_size(kMaxHandshakeFrame);
  auto frame = co_await next_frame(link, timeout);
  if (!frame) co_return std::unexpected(std::move(frame.error()));
  auto start = wire::decode<HandshakeStart>(*frame);
  if (!start) co_return refuse(link, close_reason::InvalidHandshake, "undecodable HandshakeStart: " + start.error().message());
  if (start->network != network)
    co_return refuse(link, transport::close_reason::DifferentNetwork, fmt::format("network {}", start->network));
  auto local = find_group(start->group);
  if (!local) co_return refuse(link, close_reason::GroupNotFound, fmt::format("no member of group {}", start->group));
  const auto connection = link.connection();
  const PeerId peer = connection.peer_id();
  auto theirs = exported_for_bond(connection, start->group, BondRole::kInitiator);
  auto mine = exported_for_bond(connection, start->group, BondRole::kAcceptor);
  if (!mine || !theirs) co_return refuse(link, transport::close_reason::Cancelled, "TLS exporter failed");
  if (!proofs_equal(start->proof, bond_proof(*theirs, local->key, peer, self)))
    co_return refuse(link, close_reason::InvalidProof, "the initiator did not prove the group key");
  const HandshakeEnd end{local->member, bond_proof(*mine, local->key, self, peer), local->observer};
  auto sent = co_await link.send_frame(wire::encode(end));
  if (!sent) co_return std::unexpected(BondRefused{sent.error().reason, sent.error().remote, fmt::format("{}", sent.error())});
  co_return Bonded{std::move(link), start->group, start->member, start->observer};
}

}  // namespace mosaik::groups::detail
