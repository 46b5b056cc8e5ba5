#pragma once
// NetworkRuntime: everything one node owns, in the order it is built and torn down:
// the event loop (its own thread, or the caller's executor), the endpoint, the subsystems.

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <memory>
#include <optional>
#include <thread>

#include "mosaik/network/network.hpp"
#include "../discovery/service.hpp"
#include "../groups/service.hpp"
#include "../streams/service.hpp"
#include "mdns/mdns_discovery.hpp"
#include "metrics/metrics_server.hpp"
#include "node_shutdown.hpp"

namespace mosaik::detail {

struct NetworkRuntime {
  NetworkRuntime(NetworkId id, SecretKey key, RelayMode relay, bool mdns)
      : network_id(id), secret_key(std::move(key)), relay_mode(relay), mdns(mdns), local(this) {}
  NetworkRuntime(const NetworkRuntime&) = delete;
  NetworkRuntime& operator=(const NetworkRuntime&) = delete;
  ~NetworkRuntime();

  // Starts an event-loop thread of our own and returns its executor.
  asio::any_io_executor start_own_thread();

  NetworkId network_id;
  SecretKey secret_key;
  RelayMode relay_mode;
  bool mdns;
  bool network_secret = false;
  groups::Config groups_config;

  // Present when the node runs its own event loop.
  std::unique_ptr<asio::io_context> context;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;

  std::optional<transport::Endpoint> endpoint;
  std::shared_ptr<discovery::detail::DiscoveryService> discovery_service;
  std::optional<discovery::Discovery> discovery;
  std::shared_ptr<streams::detail::StreamsService> streams_service;
  std::optional<streams::Streams> streams;
  std::shared_ptr<groups::detail::GroupsService> groups_service;
  std::optional<groups::Groups> groups;
  // Set when with_mdns_discovery(true): closed before the endpoint goes.
  std::shared_ptr<network::detail::MdnsDiscovery> mdns_discovery;
  // Set once the subsystems run; shared with a shutdown in progress.
  std::shared_ptr<NodeShutdown> shutdown;
  // Set when with_metrics: stopped first, so that no scrape outlives a subsystem.
  std::unique_ptr<network::detail::MetricsServer> metrics;
  LocalNode local;
};

}  // namespace mosaik::detail
