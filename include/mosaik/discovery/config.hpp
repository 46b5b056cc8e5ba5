#pragma once
// discovery::Config: every option of the seed's Discovery chapter, with its default, plus
// the bounds that keep a misbehaving peer from growing our memory.
//
//   auto cfg = discovery::Config::builder().with_bootstrap(addr).with_tags("matcher")
//                  .with_purge_after(600s).build();   // expected<Config, ConfigError>

#include <chrono>
#include <cstddef>
#include <expected>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "mosaik/primitives/digest.hpp"
#include "mosaik/transport/endpoint_addr.hpp"

namespace mosaik::discovery {

using namespace std::chrono_literals;

// The public Mainline routers, or the comma-separated "host:port" list in the environment
// variable MOSAIK_DHT_ROUTERS when it is set (set and empty: no routers at all).
std::vector<std::string> default_dht_routers();

struct Config {
  std::vector<EndpointAddr> bootstrap_peers;
  std::vector<Tag> tags;
  std::chrono::milliseconds announce_interval = 15s;
  double announce_jitter = 0.5;  // the interval varies by up to ± this fraction
  std::chrono::milliseconds purge_after = 300s;
  std::chrono::milliseconds max_time_drift = 10s;
  std::size_t events_backlog = 100;
  std::chrono::milliseconds graceful_departure_window = 500ms;
  std::optional<std::chrono::milliseconds> dht_publish_interval = 300s;
  std::optional<std::chrono::milliseconds> dht_poll_interval = 60s;
  // The Mainline DHT node itself (started only when one of the two intervals is set): the
  // routers it enters the DHT through ("host:port"), the address its UDP socket binds (port
  // 0: any), and how long one DHT lookup or write may take.
  std::vector<std::string> dht_routers = default_dht_routers();
  SocketAddr dht_bind = SocketAddr(asio::ip::address_v4::any(), 0);
  std::chrono::milliseconds dht_operation_timeout = 30s;
  // How long one catalog exchange may take before it is abandoned (a silent peer costs
  // one task for this long, never the worker).
  std::chrono::milliseconds sync_timeout = 10s;

  // Bounds beyond the seed: a full catalog refuses new peers (existing ones still update,
  // purging frees room); an entry listing more than these is refused whole.
  std::size_t max_catalog_entries = 10'000;
  std::size_t max_tags_per_entry = 256;
  std::size_t max_streams_per_entry = 1024;
  std::size_t max_groups_per_entry = 1024;
  std::size_t max_addresses_per_entry = 16;

  class Builder;
  static Builder builder();
};

struct ConfigError {
  std::string message;
};

class Config::Builder {
 public:
  // with_bootstrap and with_tags add to what is there (single item or a list).
  Builder& with_bootstrap(EndpointAddr peer);
  Builder& with_bootstrap(std::initializer_list<EndpointAddr> peers);
  Builder& with_tags(Tag tag);
  Builder& with_tags(std::initializer_list<Tag> tags);
  Builder& with_announce_interval(std::chrono::milliseconds d);
  Builder& with_announce_jitter(double fraction);
  Builder& with_purge_after(std::chrono::milliseconds d);
  Builder& with_max_time_drift(std::chrono::milliseconds d);
  Builder& with_events_backlog(std::size_t n);
  Builder& with_graceful_departure_window(std::chrono::milliseconds d);
  Builder& with_dht_publish_interval(std::optional<std::chrono::milliseconds> d);
  Builder& with_dht_poll_interval(std::optional<std::chrono::milliseconds> d);
  Builder& no_auto_bootstrap();  // disables both DHT intervals
  Builder& with_dht_routers(std::vector<std::string> routers);  // replaces the list
  Builder& with_dht_bind(SocketAddr addr);
  Builder& with_dht_operation_timeout(std::chrono::milliseconds d);
  Builder& with_sync_timeout(std::chrono::milliseconds d);
  Builder& with_max_catalog_entries(std::size_t n);
  Builder& with_max_tags_per_entry(std::size_t n);
  Builder& with_max_streams_per_entry(std::size_t n);
  Builder& with_max_groups_per_entry(std::size_t n);

  [[nodiscard]] std::expected<Config, ConfigError> build() const;

 private:
  Config config_;
};

}  // namespace mosaik::discovery
