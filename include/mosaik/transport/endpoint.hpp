#pragma once
// Endpoint: a node's QUIC endpoint. It binds the configured UDP addresses, authenticates
// every connection by Ed25519 key (TLS 1.3), routes incoming connections to the handler of
// their ALPN and dials peers, reusing one connection per (peer, ALPN) it dialed.
//
//   auto ep = Endpoint::bind(SecretKey::generate(), {});            // own event-loop thread
//   ep->register_alpn("/mosaik/groups/1", [](Connection c) { ... });
//   auto conn = co_await ep->connect(peer_addr, "/mosaik/groups/1");
//
// The last Endpoint handle's destruction closes every connection with GracefulShutdown and
// joins the thread. Everything inside runs on one executor; no locks.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mosaik/primitives/keys.hpp"
#include "mosaik/primitives/network_secret.hpp"
#include "mosaik/transport/connection.hpp"
#include "mosaik/transport/endpoint_addr.hpp"
#include "mosaik/transport/errors.hpp"
#include "mosaik/transport/packet_path.hpp"
#include "mosaik/transport/traffic.hpp"

namespace mosaik::transport {

struct EndpointConfig {
  // One socket per address; port 0 picks a free port.
  std::vector<UdpEndpoint> addresses{UdpEndpoint(asio::ip::make_address("127.0.0.1"), 0)};
  // What addr() tells peers, when set (behind NAT, in a container: the address others
  // reach). Unset: each bound address, a wildcard one (0.0.0.0, ::) as every interface
  // address of its family with the bound port.
  std::vector<UdpEndpoint> advertised_addresses;
  // A peer silent this long is gone: with keep_alive well below it, a live peer is never
  // silent that long. A killed one is noticed within idle_timeout + keep_alive (a ping sent
  // after the last packet restarts the timer): 4 s (docs/decisions/0207).
  std::chrono::milliseconds idle_timeout{3'500};
  std::chrono::milliseconds keep_alive{500};          // the dialer pings an idle connection this often
  std::chrono::milliseconds handshake_timeout{10'000};
  std::uint64_t stream_window_bytes = 4 << 20;       // receive window per stream
  std::uint64_t connection_window_bytes = 16 << 20;  // receive window per connection
  std::uint64_t max_streams = 256;                   // concurrent links a peer may open
  std::uint64_t send_buffer_bytes = 4 << 20;         // unacknowledged bytes per link
  std::size_t max_connections = 4096;                // incoming connections held at once
  // Incoming handshakes in progress (each holds ~190 KB until done or handshake_timeout),
  // in all and from one IP address. Past any of these bounds a client that proved its
  // address (with a Retry token) is refused at once with CONNECTION_REFUSED (it fails with
  // ConnectError::Kind::kBusy and retries later); an unproven one is sent a Retry first,
  // and holds nothing either way (docs/decisions/0205, 0212).
  std::size_t max_pending_handshakes = 48;
  std::size_t max_pending_handshakes_per_source = 48;
  // With this many handshakes pending, a new client first proves its address with a Retry
  // round trip (one RTT more), so spoofed Initials hold no slot (0: always).
  std::size_t retry_from_pending_handshakes = 32;
  // Received bytes no link has taken yet as complete frames (unread data, unfinished
  // frames): a connection holding more than the first is closed with ResourceExhausted, and
  // so is the one holding the most when all together hold more than the second
  // (docs/decisions/0204).
  std::uint64_t max_buffered_receive_bytes_per_connection = 32 << 20;
  std::uint64_t max_buffered_receive_bytes = 256 << 20;
  // Set: every connection's two ends prove they hold this key before connect() returns it
  // or an ALPN handler sees it; a peer that does not is closed with InvalidNetworkProof
  // (docs/decisions/0206). Network::builder().with_network_secret() derives it from the
  // network secret. Unset: no proof is asked or given, and peers that ask are refused.
  std::optional<NetworkSecret> network_proof_key;
  // Test hooks for the other end's checks: a peer that holds the key but never sends its
  // proof, and one that sends its proof (when both hold a key) but admits every peer
  // without checking its proof or its lack of one.
  bool withhold_network_proof = false;
  bool skip_network_proof_checks = false;
  // Test hook: wraps every packet path in fault injection (adjustable with set_faults()).
  std::optional<FaultConfig> faults;
  // Replaces UDP (relays, simulated networks). Default: open_udp_path.
  PacketPathFactory packet_path_factory;
};

namespace detail {
class EndpointCore;
struct EndpointRuntime;
}  // namespace detail

class Endpoint {
 public:
  using AcceptHandler = std::function<void(Connection)>;

  // Runs on its own event-loop thread.
  [[nodiscard]] static std::expected<Endpoint, BindError> bind(const SecretKey& key,
                                                               EndpointConfig config = {});
  // Runs on the caller's executor (single-threaded: an io_context thread or a strand).
  [[nodiscard]] static std::expected<Endpoint, BindError> bind(const SecretKey& key,
                                                               EndpointConfig config,
                                                               asio::any_io_executor executor);

  PeerId id() const;
  EndpointAddr addr() const;
  asio::any_io_executor executor() const;

  // Installs the handler for connections that negotiate `alpn`; it runs on the executor.
  // Returns once the handler is active.
  void register_alpn(std::string alpn, AcceptHandler handler);

  // The open connection to (peer, alpn) this endpoint dialed before, or a new one.
  asio::awaitable<std::expected<Connection, ConnectError>> connect(EndpointAddr peer,
                                                                   std::string alpn);

  // Closes every connection with GracefulShutdown and stops accepting. Idempotent.
  asio::awaitable<void> shutdown();

  // QUIC connections handshaking or open now, dialed or accepted (a diagnostic: it waits
  // for the endpoint's executor).
  std::size_t open_connections() const;
  // Received bytes no link has taken yet, over every connection (bounded by
  // EndpointConfig::max_buffered_receive_bytes).
  std::uint64_t buffered_receive_bytes() const;
  // Bytes and packets in and out, connections held, refused handshakes by reason (counters:
  // it does not wait for the executor).
  TrafficStats traffic() const;

  // Test hook: changes fault injection; false when the endpoint was bound without it.
  bool set_faults(const FaultConfig& faults);

 private:
  struct State;
  explicit Endpoint(std::shared_ptr<State> state) : state_(std::move(state)) {}
  template <class F>
  auto query_core(F fn) const;
  std::shared_ptr<State> state_;
};

}  // namespace mosaik::transport
