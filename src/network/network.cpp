#include "mosaik/network/network.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <future>
#include <set>

#include "mosaik/primitives/log.hpp"
#include "data_dir.hpp"
#include "runtime.hpp"

namespace mosaik {
namespace {

const auto& logger = log::module_logger<"network">;

// How long a node's destruction waits beyond its graceful shutdown's own bounds (the flush
// deadline, then discovery's departure window) before giving up on it.
constexpr std::chrono::seconds kShutdownSlack{5};

// A free coroutine: it owns what it uses (no lambda captures to dangle).
asio::awaitable<void> run_shutdown(std::shared_ptr<detail::NodeShutdown> shutdown,
                                   std::chrono::milliseconds flush_deadline) {
  if (shutdown) co_await shutdown->run(flush_deadline);
}

// Peers found on the link go to discovery as bootstrap peers do (a catalog sync, then the
// gossip overlay). The endpoint's addresses are re-read each time (its interface list is
// refreshed every second); the hooks are dropped when mDNS closes.
void start_mdns(detail::NetworkRuntime& runtime, const asio::any_io_executor& executor) {
  std::weak_ptr<discovery::detail::DiscoveryService> discovery = runtime.discovery_service;
  network::detail::MdnsDiscovery::Hooks hooks;
  hooks.addresses = [endpoint = *runtime.endpoint] { return endpoint.addr().direct_addresses; };
  hooks.dial = [discovery](EndpointAddr peer) {
    if (auto service = discovery.lock()) service->dial(std::move(peer));
  };
  runtime.mdns_discovery = network::detail::MdnsDiscovery::start(
      executor, runtime.network_id, runtime.secret_key.public_key(), std::move(hooks));
}

}  // namespace

namespace detail {

asio::any_io_executor NetworkRuntime::start_own_thread() {
  context = std::make_unique<asio::io_context>(1);
  work.emplace(context->get_executor());
  thread = std::thread([ctx = context.get()] { ctx->run(); });
  return context->get_executor();
}

NetworkRuntime::~NetworkRuntime() {
  metrics.reset();  // its scrapes read the subsystems below
  if (!endpoint) {  // build() failed before binding: only the event loop to stop
    if (context) {
      work.reset();
      context->stop();
      thread.join();
    }
    return;
  }
  const auto executor = endpoint->executor();
  if (mdns_discovery) mdns_discovery->close();  // posted: runs before the shutdown below
  // Does nothing more when Network::shutdown() already ran; the task owns what it needs.
  auto task = run_shutdown(std::move(shutdown), Network::kDefaultFlushDeadline);
  groups.reset();
  streams.reset();
  discovery.reset();
  groups_service.reset();
  streams_service.reset();
  discovery_service.reset();
  endpoint.reset();
  if (!context) {
    // Someone else's executor: we cannot block it (we may be running on it). The shutdown
    // task keeps what it needs alive and finishes on its own.
    asio::co_spawn(executor, std::move(task), asio::detached);
    return;
  }
  if (thread.get_id() == std::this_thread::get_id()) {
    // The last handle died on the node's own thread: finish there, then let it exit.
    asio::co_spawn(executor, std::move(task), asio::detached);
    work.reset();
    thread.detach();
    (void)context.release();  // the detached thread still runs it; freed at process exit
    return;
  }
  auto done = asio::co_spawn(executor, std::move(task), asio::use_future);
  const auto grace = Network::kDefaultFlushDeadline + kShutdownSlack;
  if (done.wait_for(grace) != std::future_status::ready) {
    logger()->warn("node shutdown did not finish within {} ms; stopping anyway",
                   std::chrono::duration_cast<std::chrono::milliseconds>(grace).count());
  }
  work.reset();
  context->stop();
  thread.join();
}

}  // namespace detail

PeerId LocalNode::id() const { return runtime_->secret_key.public_key(); }
const SecretKey& LocalNode::secret_key() const { return runtime_->secret_key; }
NetworkId LocalNode::network_id() const { return runtime_->network_id; }
EndpointAddr LocalNode::addr() const { return runtime_->endpoint->addr(); }
transport::Endpoint& LocalNode::endpoint() const { return *runtime_->endpoint; }
asio::awaitable<void> LocalNode::online() const { co_return; }

NetworkBuilder& NetworkBuilder::with_data_dir(std::filesystem::path directory) {
  data_dir_ = std::move(directory);
  return *this;
}
NetworkBuilder& NetworkBuilder::with_secret_key(SecretKey key) {
  secret_key_ = std::move(key);
  return *this;
}
NetworkBuilder& NetworkBuilder::with_network_secret(NetworkSecret secret) {
  network_secret_ = std::move(secret);
  return *this;
}
NetworkBuilder& NetworkBuilder::with_network_secret(std::string_view passphrase) {
  return with_network_secret(NetworkSecret::from_passphrase(passphrase));
}
NetworkBuilder& NetworkBuilder::with_network_secret(std::span<const std::uint8_t> secret) {
  return with_network_secret(NetworkSecret::from_bytes(secret));
}
NetworkBuilder& NetworkBuilder::with_relay_mode(RelayMode mode) {
  relay_mode_ = mode;
  return *this;
}
NetworkBuilder& NetworkBuilder::with_mdns_discovery(bool enabled) {
  mdns_ = enabled;
  return *this;
}
NetworkBuilder& NetworkBuilder::with_addresses(std::set<SocketAddr> addresses) {
  addresses_ = std::move(addresses);
  return *this;
}
NetworkBuilder& NetworkBuilder::with_advertised_addresses(std::set<SocketAddr> addresses) {
  advertised_addresses_ = std::move(addresses);
  return *this;
}
NetworkBuilder& NetworkBuilder::with_discovery(discovery::Config::Builder config) {
  discovery_ = std::move(config);
  return *this;
}
NetworkBuilder& NetworkBuilder::with_groups(groups::Config::Builder config) {
  groups_ = std::move(config);
  return *this;
}
NetworkBuilder& NetworkBuilder::with_streams(streams::Config::Builder config) {
  streams_ = std::move(config);
  return *this;
}
NetworkBuilder& NetworkBuilder::with_executor(asio::any_io_executor executor) {
  executor_ = std::move(executor);
  return *this;
}
NetworkBuilder& NetworkBuilder::with_transport(transport::EndpointConfig config) {
  transport_ = std::move(config);
  return *this;
}

NetworkBuilder& NetworkBuilder::with_metrics(SocketAddr address) {
  metrics_ = address;
  return *this;
}

asio::awaitable<std::expected<Network, network::Error>> NetworkBuilder::build() {
  using E = network::Error;
  if (network_id_.is_zero()) {
    co_return std::unexpected(E{E::Kind::kMissingNetworkId, "a network id is required"});
  }
  auto discovery_config = discovery_.build();
  if (!discovery_config) {
    co_return std::unexpected(E{E::Kind::kDiscoveryConfig, discovery_config.error().message});
  }
  auto groups_config = groups_.build();
  if (!groups_config) {
    co_return std::unexpected(E{E::Kind::kGroupsConfig, groups_config.error().message});
  }
  auto streams_config = streams_.build();
  if (!streams_config) {
    co_return std::unexpected(E{E::Kind::kStreamsConfig, streams_config.error().message});
  }
  transport::EndpointConfig endpoint_config = transport_;
  if (network_secret_) {
    endpoint_config.network_proof_key =
        network_secret_->derive(network_id_, "mosaik/transport/network-proof/v1");
  }
  endpoint_config.addresses.assign(addresses_.begin(), addresses_.end());
  if (endpoint_config.addresses.empty()) {
    endpoint_config.addresses.push_back(SocketAddr(asio::ip::address_v4::any(), 0));
  }
  if (!advertised_addresses_.empty()) {
    endpoint_config.advertised_addresses.assign(advertised_addresses_.begin(),
                                                advertised_addresses_.end());
  }
  for (const auto& a : endpoint_config.addresses) {
    if (a.address().is_multicast()) {
      co_return std::unexpected(
          E{E::Kind::kInvalidAddress, fmt::format("cannot bind a multicast address: {}", a.address().to_string())});
    }
  }

  std::optional<network::detail::NodeData> data;
  if (data_dir_) {
    auto opened = network::detail::open_data_dir(*data_dir_, secret_key_);
    if (!opened) co_return std::unexpected(E{E::Kind::kDataDir, opened.error()});
    data = std::move(*opened);
  }
  auto runtime = std::make_shared<detail::NetworkRuntime>(
      network_id_, data ? data->secret_key : secret_key_ ? *secret_key_ : SecretKey::generate(), relay_mode_, mdns_);
  runtime->groups_config = *groups_config;
  runtime->network_secret = network_secret_.has_value();
  const auto executor = executor_ ? *executor_ : runtime->start_own_thread();
  auto endpoint = transport::Endpoint::bind(runtime->secret_key, endpoint_config, executor);
  if (!endpoint) co_return std::unexpected(E{E::Kind::kBind, endpoint.error().message});
  runtime->endpoint.emplace(std::move(*endpoint));

  runtime->discovery_service = std::make_shared<discovery::detail::DiscoveryService>(
      *runtime->endpoint, runtime->secret_key, network_id_, *discovery_config, network_secret_);
  runtime->discovery.emplace(runtime->discovery_service);
  runtime->discovery_service->start();
  runtime->streams_service = std::make_shared<streams::detail::StreamsService>(
      *runtime->endpoint, *runtime->discovery, network_id_, *streams_config);
  runtime->streams.emplace(runtime->streams_service);
  runtime->streams_service->start();
  runtime->groups_service = std::make_shared<groups::detail::GroupsService>(
      *runtime->endpoint, *runtime->discovery, network_id_, *groups_config,
      data ? data->group_storage : nullptr, data ? data->group_snapshots : nullptr);
  runtime->groups.emplace(runtime->groups_service);
  runtime->groups_service->start();
  if (mdns_) start_mdns(*runtime, executor);
  if (metrics_) {
    auto metrics = network::detail::MetricsServer::start(
        *metrics_, {*runtime->discovery, *runtime->endpoint, runtime->streams_service, runtime->groups_service});
    if (!metrics) co_return std::unexpected(E{E::Kind::kMetrics, metrics.error()});
    runtime->metrics = std::move(*metrics);
    logger()->info("metrics at http://{}/metrics", runtime->metrics->address());
  }
  runtime->shutdown = std::make_shared<detail::NodeShutdown>(
      runtime->groups_service, runtime->streams_service, runtime->discovery_service, *runtime->endpoint);
  logger()->info("node {} online on network {}{} at {}", runtime->local.id(), network_id_,
                 runtime->network_secret ? " (admits only holders of its secret)" : "",
                 runtime->local.addr());
  co_return Network(std::move(runtime));
}

asio::awaitable<Network> Network::create(NetworkId id) {
  auto built = co_await builder(id).build();
  if (!built) throw network::BuildFailed(built.error());
  co_return std::move(*built);
}

asio::awaitable<void> Network::shutdown(std::chrono::milliseconds flush_deadline) const {
  if (runtime_->mdns_discovery) runtime_->mdns_discovery->close();  // no new peers while leaving
  // On the node's executor whatever executor the caller is on.
  co_await asio::co_spawn(runtime_->endpoint->executor(),
                          run_shutdown(runtime_->shutdown, flush_deadline), asio::use_awaitable);
}

const LocalNode& Network::local() const { return runtime_->local; }
NetworkId Network::network_id() const { return runtime_->network_id; }
discovery::Discovery& Network::discovery() const { return *runtime_->discovery; }
streams::Streams& Network::streams() const { return *runtime_->streams; }
groups::Groups& Network::groups() const { return *runtime_->groups; }
RelayMode Network::relay_mode() const { return runtime_->relay_mode; }
bool Network::mdns_discovery() const { return runtime_->mdns; }
bool Network::has_network_secret() const { return runtime_->network_secret; }
const groups::Config& Network::groups_config() const { return runtime_->groups_config; }
std::optional<SocketAddr> Network::metrics_address() const {
  if (!runtime_->metrics) return std::nullopt;
  return runtime_->metrics->address();
}

}  // namespace mosaik
