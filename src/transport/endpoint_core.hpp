// The endpoint's state on its executor: packet paths, the connection-ID table that routes
// each packet to its connection, the ALPN router for accepted connections and the table of
// dialed connections reused per (peer, ALPN).
#pragma once

#include <asio/any_io_executor.hpp>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "address_validation.hpp"
#include "alpn_router.hpp"
#include "connection_host.hpp"
#include "connection_options.hpp"
#include "mosaik/transport/endpoint.hpp"
#include "quic_connection.hpp"
#include "tls_identity.hpp"
#include "traffic_counters.hpp"

namespace mosaik::transport::detail {

class EndpointCore final : public ConnectionHost, public std::enable_shared_from_this<EndpointCore> {
 public:
  [[nodiscard]] static std::expected<std::shared_ptr<EndpointCore>, BindError> create(
      const SecretKey& key, const EndpointConfig& config, asio::any_io_executor executor,
      std::shared_ptr<void> keepalive);
  ~EndpointCore();

  const PublicKeyBytes& public_key() const { return identity_.public_key(); }
  std::vector<UdpEndpoint> local_addresses() const;
  asio::any_io_executor executor() const { return executor_; }

  void register_alpn(std::string alpn, AlpnRouter::Handler handler) {
    router_.add(std::move(alpn), std::move(handler));
  }
  asio::awaitable<std::expected<Connection, ConnectError>> connect(EndpointAddr peer,
                                                                   std::string alpn);
  void shutdown();
  bool set_faults(const FaultConfig& faults);
  // Connections handshaking or open (closing and draining ones are already gone for use).
  std::size_t open_connections() const;
  // Bytes, packets, connections and refused handshakes: atomics, readable from any thread.
  TrafficStats traffic() const { return traffic_->snapshot(); }
  std::uint64_t buffered_receive_bytes() const { return buffered_receive_bytes_; }

  // ConnectionHost
  void register_cid(const ngtcp2_cid& cid, QuicConnection& conn) override;
  void unregister_cid(const ngtcp2_cid& cid) override;
  bool admits_alpn(QuicConnection& conn, const std::string& alpn) override;
  void on_accepted(QuicConnection& conn) override;
  void on_finished(QuicConnection& conn) override;
  void on_buffered_receive_changed(QuicConnection& conn, std::int64_t delta) override;

 private:
  struct PathSlot;  // a packet path and the sink that tags packets with it
  EndpointCore(TlsIdentity identity, const EndpointConfig& config, asio::any_io_executor executor,
               std::shared_ptr<void> keepalive);
  void on_packet(PathSlot& slot, const UdpEndpoint& from, std::span<const std::uint8_t> packet);
  void accept_new(PathSlot& slot, const UdpEndpoint& from, std::span<const std::uint8_t> packet);
  // Answers without a connection (Retry, INVALID_TOKEN close); best effort like any datagram.
  void send_stateless(PathSlot& slot, const UdpEndpoint& to, const std::vector<std::uint8_t>& packet);
  void flush_dirty();
  void handshake_done(QuicConnection& conn);
  PathSlot* slot_for(const UdpEndpoint& remote);
  PacketPath* path_to(const UdpEndpoint& remote);  // the path a dial to `remote` goes out on
  // Dialing (dial.cpp): the addresses worth trying, best first, and one attempt of a race.
  struct DialRace;
  std::vector<UdpEndpoint> dial_order(const EndpointAddr& peer);
  static asio::awaitable<void> run_attempt(std::shared_ptr<DialRace> race,
                                           std::shared_ptr<QuicConnection> conn, UdpEndpoint address);

  TlsIdentity identity_;
  ConnectionOptions options_;
  std::size_t max_connections_;
  std::size_t max_pending_handshakes_;
  std::size_t max_pending_handshakes_per_source_;
  std::size_t retry_from_pending_handshakes_;
  AddressValidation address_validation_;
  std::uint64_t max_buffered_receive_bytes_per_connection_;
  std::uint64_t max_buffered_receive_bytes_;
  std::uint64_t buffered_receive_bytes_ = 0;
  asio::any_io_executor executor_;
  std::shared_ptr<void> keepalive_;
  std::vector<std::unique_ptr<PathSlot>> paths_;
  std::vector<FaultControl*> fault_controls_;
  AlpnRouter router_;
  std::unordered_map<std::string, QuicConnection*> by_cid_;
  std::unordered_map<QuicConnection*, std::shared_ptr<QuicConnection>> connections_;
  // Written here, read by Endpoint::traffic(); shared with each path's CountingPath.
  std::shared_ptr<TrafficCounters> traffic_ = std::make_shared<TrafficCounters>();
  void count_connections() {
    traffic_->connections.store(connections_.size(), std::memory_order_relaxed);
  }
  // Accepted connections still handshaking, by the address their Initial came from.
  std::unordered_map<QuicConnection*, asio::ip::address> pending_handshakes_;
  std::map<asio::ip::address, std::size_t> pending_by_source_;
  std::map<std::pair<PublicKeyBytes, std::string>, std::weak_ptr<QuicConnection>> dialed_;
  std::vector<std::weak_ptr<QuicConnection>> dirty_;
  std::map<PublicKeyBytes, UdpEndpoint> last_good_;  // the address a dial last won through
  bool shut_down_ = false;
};

}  // namespace mosaik::transport::detail
