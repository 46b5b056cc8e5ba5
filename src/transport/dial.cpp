// Dialing a peer at every address it advertises: attempts start 250 ms apart (RFC 8305's
// connection attempt delay) in the order last-good first, the first handshake to complete
// wins and the others are cancelled. A peer bound to several interfaces (LAN, VPN, a
// container bridge) is reached through whichever answers, without waiting out a handshake
// timeout per unreachable address.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

#include "endpoint_core.hpp"
#include "signal.hpp"

namespace mosaik::transport::detail {
namespace {

constexpr std::chrono::milliseconds kDialStagger{250};
// Peers whose last good address is remembered; beyond it the memory starts over.
constexpr std::size_t kRememberedPeers = 4096;

// Errors every address of the peer would give alike: the race stops at the first.
bool final_for_the_peer(ConnectError::Kind kind) {
  return kind == ConnectError::Kind::kPeerMismatch || kind == ConnectError::Kind::kInvalidAlpn ||
         kind == ConnectError::Kind::kInvalidNetworkProof || kind == ConnectError::Kind::kBusy;
}

// The reason label of a failed attempt (kNoAddress never comes from an attempt).
DialFailure dial_failure(ConnectError::Kind kind) {
  switch (kind) {
    case ConnectError::Kind::kBusy: return DialFailure::kBusy;
    case ConnectError::Kind::kPeerMismatch: return DialFailure::kPeerMismatch;
    case ConnectError::Kind::kInvalidAlpn: return DialFailure::kInvalidAlpn;
    case ConnectError::Kind::kInvalidNetworkProof: return DialFailure::kInvalidNetworkProof;
    case ConnectError::Kind::kTimedOut: return DialFailure::kTimedOut;
    case ConnectError::Kind::kClosed: return DialFailure::kClosed;
    case ConnectError::Kind::kNoAddress:
    case ConnectError::Kind::kHandshakeFailed: break;
  }
  return DialFailure::kHandshakeFailed;
}

// Whether `peer` still names the address a connection was dialed to. A peer that restarted
// with the same key (a node with a data dir) listens on a new port: the connection to its
// previous process looks open until the idle timeout, but nothing answers on it. Links
// already on such a connection keep it; a new dial does not reuse it. A dial that names no
// address has nothing fresher to go by.
bool still_advertised(const EndpointAddr& peer, const UdpEndpoint& dialed_to) {
  return peer.direct_addresses.empty() || peer.direct_addresses.contains(dialed_to);
}

}  // namespace

// The attempts of one dial, shared by the coroutines that wait on each.
struct EndpointCore::DialRace {
  explicit DialRace(asio::any_io_executor executor) : changed(std::move(executor)) {}
  Signal changed;
  std::size_t running = 0;
  std::shared_ptr<QuicConnection> winner;
  UdpEndpoint winner_address;
  std::optional<ConnectError> final_error;
  std::vector<ConnectError::Kind> failed;  // attempts that failed before the race was decided
  ConnectError last{ConnectError::Kind::kNoAddress, std::nullopt,
                    "the peer's address holds no address this endpoint can reach"};
  bool decided() const { return winner != nullptr || final_error.has_value(); }
};

std::vector<UdpEndpoint> EndpointCore::dial_order(const EndpointAddr& peer) {
  std::vector<UdpEndpoint> order;
  for (const auto& address : peer.direct_addresses) {
    // An unspecified address names no host (a wildcard bind advertised by mistake).
    if (address.address().is_unspecified() || address.port() == 0) continue;
    if (path_to(address) != nullptr) order.push_back(address);
  }
  if (auto good = last_good_.find(peer.id.as_bytes()); good != last_good_.end()) {
    if (auto it = std::find(order.begin(), order.end(), good->second); it != order.end()) {
      std::rotate(order.begin(), it, it + 1);
    }
  }
  return order;
}

asio::awaitable<void> EndpointCore::run_attempt(std::shared_ptr<DialRace> race,
                                                std::shared_ptr<QuicConnection> conn,
                                                UdpEndpoint address) {
  auto ready = co_await conn->wait_established();
  --race->running;
  if (ready && !race->decided()) {
    race->winner = conn;
    race->winner_address = address;
  } else if (ready) {
    conn->close(close_reason::Cancelled);  // another address won
  } else {
    if (!race->decided()) race->failed.push_back(ready.error().kind);  // else we cancelled it
    race->last = ready.error();
    if (final_for_the_peer(ready.error().kind) && !race->decided()) race->final_error = ready.error();
  }
  race->changed.notify();
}

asio::awaitable<std::expected<Connection, ConnectError>> EndpointCore::connect(EndpointAddr peer,
                                                                               std::string alpn) {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  const auto key = std::make_pair(peer.id.as_bytes(), alpn);
  // A connection to the peer for this ALPN, open or being dialed, is shared (unless it is
  // closing once its data is delivered: a link opened on it would fail, or it goes to an
  // address the peer no longer advertises). When the one waited on loses its race, the
  // table names the winner by the time this wakes.
  for (int reuse = 0; reuse < 3; ++reuse) {
    auto it = dialed_.find(key);
    if (it == dialed_.end()) break;
    auto existing = it->second.lock();
    if (!existing || !existing->reusable() || !still_advertised(peer, existing->remote())) {
      dialed_.erase(it);
      break;
    }
    auto ready = co_await existing->wait_established();
    if (ready) co_return Connection(existing, keepalive_);
    if (auto again = dialed_.find(key); again != dialed_.end() && again->second.lock() == existing) {
      dialed_.erase(again);
    }
  }

  auto race = std::make_shared<DialRace>(executor_);
  std::vector<std::shared_ptr<QuicConnection>> attempts;
  const auto order = dial_order(peer);
  asio::steady_timer stagger(executor_);
  for (std::size_t i = 0; i < order.size() && !race->decided() && !shut_down_; ++i) {
    const auto& address = order[i];
    auto conn = QuicConnection::create_client(executor_, *this, *path_to(address), identity_,
                                              options_, {address, key.first, alpn});
    if (!conn) {
      race->last = ConnectError{ConnectError::Kind::kHandshakeFailed, std::nullopt, conn.error()};
      continue;
    }
    connections_.emplace(conn->get(), *conn);
    count_connections();
    if (attempts.empty()) dialed_[key] = *conn;  // a concurrent dial waits on this one
    attempts.push_back(*conn);
    ++race->running;
    asio::co_spawn(executor_, run_attempt(race, *conn, address), asio::detached);
    if (i + 1 == order.size()) break;
    // The next address once the stagger passes, or at once when every attempt so far failed.
    stagger.expires_after(kDialStagger);
    while (!race->decided() && race->running > 0) {
      auto woke = co_await (race->changed.wait() || stagger.async_wait(asio::use_awaitable));
      if (woke.index() == 1) break;
    }
  }
  while (!race->decided() && race->running > 0) {
    if (!co_await race->changed.wait()) break;
  }
  for (auto& attempt : attempts) {
    if (attempt != race->winner && attempt->state() == QuicConnection::State::kHandshaking) {
      attempt->close(close_reason::Cancelled);
    }
  }
  // Each attempt that failed on its own counts (the metrics' outbound handshake failures).
  if (!shut_down_) {
    for (const auto kind : race->failed) traffic_->failed(dial_failure(kind));
  }
  if (shut_down_) {
    co_return std::unexpected(ConnectError{ConnectError::Kind::kClosed,
                                           close_reason::GracefulShutdown,
                                           "the endpoint is shutting down"});
  }
  if (!race->winner) {
    if (auto it = dialed_.find(key); it != dialed_.end() && it->second.expired()) dialed_.erase(it);
    co_return std::unexpected(race->final_error.value_or(race->last));
  }
  dialed_[key] = race->winner;
  if (last_good_.size() >= kRememberedPeers) last_good_.clear();
  last_good_[key.first] = race->winner_address;
  co_return Connection(race->winner, keepalive_);
}

}  // namespace mosaik::transport::detail
