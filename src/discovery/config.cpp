#include "mosaik/discovery/config.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string_view>

namespace mosaik::discovery {

std::vector<std::string> default_dht_routers() {
  if (const char* env = std::getenv("MOSAIK_DHT_ROUTERS")) {
    std::vector<std::string> routers;
    std::string_view rest(env);
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const auto item = rest.substr(0, comma);
      if (!item.empty()) routers.emplace_back(item);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return routers;
  }
  return {"router.bittorrent.com:6881", "dht.transmissionbt.com:6881", "router.utorrent.com:6881"};
}

Config::Builder Config::builder() { return Builder(); }

using B = Config::Builder;

B& B::with_bootstrap(EndpointAddr peer) {
  config_.bootstrap_peers.push_back(std::move(peer));
  return *this;
}
B& B::with_bootstrap(std::initializer_list<EndpointAddr> peers) {
  config_.bootstrap_peers.insert(config_.bootstrap_peers.end(), peers.begin(), peers.end());
  return *this;
}
B& B::with_tags(Tag tag) {
  config_.tags.push_back(tag);
  return *this;
}
B& B::with_tags(std::initializer_list<Tag> tags) {
  config_.tags.insert(config_.tags.end(), tags.begin(), tags.end());
  return *this;
}
B& B::with_announce_interval(std::chrono::milliseconds d) {
  config_.announce_interval = d;
  return *this;
}
B& B::with_announce_jitter(double fraction) {
  config_.announce_jitter = fraction;
  return *this;
}
B& B::with_purge_after(std::chrono::milliseconds d) {
  config_.purge_after = d;
  return *this;
}
B& B::with_max_time_drift(std::chrono::milliseconds d) {
  config_.max_time_drift = d;
  return *this;
}
B& B::with_events_backlog(std::size_t n) {
  config_.events_backlog = n;
  return *this;
}
B& B::with_graceful_departure_window(std::chrono::milliseconds d) {
  config_.graceful_departure_window = d;
  return *this;
}
B& B::with_dht_publish_interval(std::optional<std::chrono::milliseconds> d) {
  config_.dht_publish_interval = d;
  return *this;
}
B& B::with_dht_poll_interval(std::optional<std::chrono::milliseconds> d) {
  config_.dht_poll_interval = d;
  return *this;
}
B& B::no_auto_bootstrap() {
  config_.dht_publish_interval.reset();
  config_.dht_poll_interval.reset();
  return *this;
}
B& B::with_dht_routers(std::vector<std::string> routers) {
  config_.dht_routers = std::move(routers);
  return *this;
}
B& B::with_dht_bind(SocketAddr addr) {
  config_.dht_bind = addr;
  return *this;
}
B& B::with_dht_operation_timeout(std::chrono::milliseconds d) {
  config_.dht_operation_timeout = d;
  return *this;
}
B& B::with_sync_timeout(std::chrono::milliseconds d) {
  config_.sync_timeout = d;
  return *this;
}
B& B::with_max_catalog_entries(std::size_t n) {
  config_.max_catalog_entries = n;
  return *this;
}
B& B::with_max_tags_per_entry(std::size_t n) {
  config_.max_tags_per_entry = n;
  return *this;
}
B& B::with_max_streams_per_entry(std::size_t n) {
  config_.max_streams_per_entry = n;
  return *this;
}
B& B::with_max_groups_per_entry(std::size_t n) {
  config_.max_groups_per_entry = n;
  return *this;
}

std::expected<Config, ConfigError> B::build() const {
  const Config& c = config_;
  auto fail = [](std::string m) { return std::unexpected(ConfigError{std::move(m)}); };
  if (c.announce_interval <= std::chrono::milliseconds::zero()) {
    return fail("announce_interval must be positive");
  }
  if (!(c.announce_jitter >= 0.0 && c.announce_jitter <= 1.0)) {
    return fail(fmt::format("announce_jitter must be within 0.0-1.0, got {}", c.announce_jitter));
  }
  if (c.purge_after <= c.announce_interval) {
    return fail("purge_after must exceed announce_interval, or live peers would be purged");
  }
  if (c.max_time_drift < std::chrono::milliseconds::zero()) {
    return fail("max_time_drift must not be negative");
  }
  if (c.sync_timeout <= std::chrono::milliseconds::zero()) return fail("sync_timeout must be positive");
  if (c.events_backlog == 0) return fail("events_backlog must be at least 1");
  if (c.max_catalog_entries == 0) return fail("max_catalog_entries must be at least 1");
  for (const auto& interval : {c.dht_publish_interval, c.dht_poll_interval}) {
    if (interval && *interval <= std::chrono::milliseconds::zero()) {
      return fail("DHT intervals must be positive (or disabled)");
    }
  }
  if (c.dht_operation_timeout <= std::chrono::milliseconds::zero()) {
    return fail("dht_operation_timeout must be positive");
  }
  for (const auto& router : c.dht_routers) {
    const auto colon = router.rfind(':');
    const bool has_port = colon != std::string::npos && colon > 0 && colon + 1 < router.size() &&
                          router.find_first_not_of("0123456789", colon + 1) == std::string::npos;
    if (!has_port) return fail(fmt::format("DHT router '{}' is not host:port", router));
  }
  return c;
}

}  // namespace mosaik::discovery
