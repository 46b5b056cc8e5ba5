#pragma once
// Network: the entry point. It binds the node's QUIC endpoint, gives it its identity and
// composes the subsystems. Cheap to copy. `co_await network.shutdown()` leaves the network
// gracefully (see there); the last copy's destruction does the same if nobody did, then
// joins the node's thread.
//
//   auto network = co_await Network::create("my-app");        // defaults; throws on failure
//   auto built = co_await Network::builder("my-app").with_secret_key(sk).build();   // expected
//   Network::builder("my-app").with_network_secret(passphrase)   // admits only its holders
//   network.local().id();  network.discovery().catalog();

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mosaik/discovery/config.hpp"
#include "mosaik/discovery/discovery.hpp"
#include "mosaik/groups/config.hpp"
#include "mosaik/groups/groups.hpp"
#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/primitives/network_secret.hpp"
#include "mosaik/streams/config.hpp"
#include "mosaik/streams/streams.hpp"
#include "mosaik/transport/endpoint.hpp"
#include "mosaik/transport/endpoint_addr.hpp"

namespace mosaik {

// Relays are not implemented yet (docs/decisions/0004): both modes dial direct addresses.
enum class RelayMode { kDefault, kDisabled };

namespace network {

// The seed's network::Error: why NetworkBuilder::build() failed.
struct Error {
  enum class Kind {
    kMissingNetworkId,  // the zero digest is not a network id
    kBind,              // the QUIC endpoint could not bind
    kInvalidAddress,    // an address in with_addresses() cannot be bound
    kDiscoveryConfig,   // the discovery config failed validation
    kStreamsConfig,
    kGroupsConfig,
    kMetrics,           // the metrics server could not listen (with_metrics)
    kDataDir,           // the data dir cannot be created, read or locked, or is damaged (with_data_dir)
  };
  Kind kind;
  std::string message;
};

// Thrown by Network::create, whose defaults only fail when the machine cannot bind UDP.
struct BuildFailed : std::runtime_error {
  explicit BuildFailed(Error e) : std::runtime_error(e.message), error(std::move(e)) {}
  Error error;
};

}  // namespace network

namespace detail {
struct NetworkRuntime;
}

// The local node: identity and transport.
class LocalNode {
 public:
  explicit LocalNode(detail::NetworkRuntime* runtime) : runtime_(runtime) {}

  PeerId id() const;
  const SecretKey& secret_key() const;
  NetworkId network_id() const;
  EndpointAddr addr() const;  // peer id + the addresses the endpoint is bound to
  // Completes once the endpoint is bound and every subsystem's handler is installed
  // (build() already waited for that).
  asio::awaitable<void> online() const;
  transport::Endpoint& endpoint() const;

 private:
  detail::NetworkRuntime* runtime_;
};

class Network;

class NetworkBuilder {
 public:
  explicit NetworkBuilder(NetworkId id) : network_id_(id) {}

  NetworkBuilder& with_secret_key(SecretKey key);
  // Admits only nodes that hold the same secret: every connection's two ends prove it before
  // any protocol runs, and the DHT bootstrap record is keyed by it (docs/decisions/0206).
  // Without it, knowing the network id is enough to join. A passphrase is its UTF-8 bytes;
  // give it at least 128 random bits.
  NetworkBuilder& with_network_secret(NetworkSecret secret);
  NetworkBuilder& with_network_secret(std::string_view passphrase);
  NetworkBuilder& with_network_secret(std::span<const std::uint8_t> secret);
  NetworkBuilder& with_relay_mode(RelayMode mode);
  // Finds the nodes of this network on the local link by mDNS / DNS-SD, with no bootstrap
  // peer, and syncs with each as with a bootstrap peer (avahi-core on the node's executor;
  // docs/decisions/0208). Default false, as the seed.
  NetworkBuilder& with_mdns_discovery(bool enabled);
  // UDP addresses to bind (port 0 picks one). Default: 0.0.0.0:0, advertised as every
  // interface address (docs/decisions/0207).
  NetworkBuilder& with_addresses(std::set<SocketAddr> addresses);
  // What peers are told to dial instead of the bound addresses (NAT, containers).
  NetworkBuilder& with_advertised_addresses(std::set<SocketAddr> addresses);
  NetworkBuilder& with_discovery(discovery::Config::Builder config);
  // Node-wide groups settings, validated by build() (kGroupsConfig); the groups subsystem
  // that reads them is not wired to the network yet.
  NetworkBuilder& with_groups(groups::Config::Builder config);
  NetworkBuilder& with_streams(streams::Config::Builder config);
  // Runs the node on `executor` (single-threaded: an io_context thread or a strand) instead
  // of a thread of its own.
  NetworkBuilder& with_executor(asio::any_io_executor executor);
  // Transport tuning and test hooks (idle timeout, fault injection).
  NetworkBuilder& with_transport(transport::EndpointConfig config);
  // Serves Prometheus metrics at http://<address>/metrics (port 0: any free port; see
  // Network::metrics_address()): peers in the catalog, connections, bytes and packets in
  // and out, refused handshakes by reason, datums and bytes per stream and peer, lagging
  // consumers and the datums they lost; and a live web view at http://<address>/ drawn from
  // http://<address>/state.json (docs/decisions/0701). Off by default.
  NetworkBuilder& with_metrics(SocketAddr address);
  // Keeps the node's state in `directory` (created with mode 0700): its secret key (file
  // `secret_key`, mode 0600; with_secret_key's key on a first start, which must match later)
  // and every group's log in one LMDB environment (docs/decisions/0410), so a restarted node
  // has the same PeerId and rejoins its groups as the member it was, with its log. Without
  // it, logs are in memory (the default) and the key is with_secret_key's or a new one.
  NetworkBuilder& with_data_dir(std::filesystem::path directory);

  asio::awaitable<std::expected<Network, network::Error>> build();

 private:
  NetworkId network_id_;
  std::optional<SecretKey> secret_key_;
  std::optional<NetworkSecret> network_secret_;
  RelayMode relay_mode_ = RelayMode::kDefault;
  bool mdns_ = false;
  std::set<SocketAddr> addresses_;
  std::set<SocketAddr> advertised_addresses_;
  discovery::Config::Builder discovery_ = discovery::Config::builder();
  groups::Config::Builder groups_ = groups::Config::builder();
  streams::Config::Builder streams_ = streams::Config::builder();
  std::optional<asio::any_io_executor> executor_;
  transport::EndpointConfig transport_;
  std::optional<SocketAddr> metrics_;
  std::optional<std::filesystem::path> data_dir_;
};

class Network {
 public:
  static NetworkBuilder builder(NetworkId id) { return NetworkBuilder(id); }
  // A node with every default. Throws network::BuildFailed if it cannot start.
  static asio::awaitable<Network> create(NetworkId id);

  const LocalNode& local() const;
  NetworkId network_id() const;
  discovery::Discovery& discovery() const;
  streams::Streams& streams() const;
  groups::Groups& groups() const;
  asio::awaitable<void> online() const { return local().online(); }

  // Leaves the network gracefully: producers send what they queued and close their
  // consumers' connections with GracefulShutdown (204) once delivered, waiting at most
  // `flush_deadline`; consumers close their subscriptions with GracefulShutdown; the
  // departure is announced and given discovery's graceful_departure_window to spread; then
  // every remaining connection closes with GracefulShutdown. Idempotent: a later call (or
  // the last handle's destruction) waits for the first. Afterwards the handle stays valid;
  // its producers are Closed and its consumers return nullopt.
  static constexpr std::chrono::milliseconds kDefaultFlushDeadline = streams::kDefaultFlushDeadline;
  asio::awaitable<void> shutdown(std::chrono::milliseconds flush_deadline = kDefaultFlushDeadline) const;

  RelayMode relay_mode() const;
  bool mdns_discovery() const;
  // Whether the node admits only holders of a network secret (with_network_secret).
  bool has_network_secret() const;
  const groups::Config& groups_config() const;
  // Where the metrics server listens (with_metrics), else nullopt.
  std::optional<SocketAddr> metrics_address() const;

 private:
  friend class NetworkBuilder;
  explicit Network(std::shared_ptr<detail::NetworkRuntime> runtime) : runtime_(std::move(runtime)) {}
  std::shared_ptr<detail::NetworkRuntime> runtime_;
};

}  // namespace mosaik
