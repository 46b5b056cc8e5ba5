#pragma once
// DhtBootstrap: finds the other nodes of our network through the Mainline DHT, with no
// bootstrap peer (the seed's "DHT Bootstrap"). Every node of a network reads and writes one
// BEP 44 mutable item whose key derives from the NetworkId, and from the network secret when
// there is one (record.hpp, network_item_key):
//  - publish: read the record, add or refresh ourselves (evicting the least-connected peer
//    when it is full, and dialing whoever we evicted), sign and store it; every
//    dht_publish_interval, sooner while no write has succeeded yet;
//  - poll: read the record and dial every peer we do not know yet; every 5 s while we know
//    nobody, then every dht_poll_interval.
// The loops run in the discovery service's task group on the node's executor; the DHT itself
// (libtorrent) runs on its own thread behind MainlineDht.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "mainline.hpp"
#include "mosaik/discovery/config.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "record.hpp"

namespace mosaik::discovery::dht {

// What the bootstrap needs from discovery; every function is called on the node's executor.
struct BootstrapHooks {
  std::function<EndpointAddr()> self;           // our current address
  std::function<std::size_t()> known_peers;     // how many peers our catalog holds
  std::function<bool(const PeerId&)> knows;     // whether the catalog holds this peer
  std::function<void(EndpointAddr)> dial;       // Discovery::dial
};

class DhtBootstrap : public std::enable_shared_from_this<DhtBootstrap> {
 public:
  struct Stats {
    std::atomic<std::uint64_t> polls{0};
    std::atomic<std::uint64_t> records_found{0};
    std::atomic<std::uint64_t> publishes{0};         // writes at least one node accepted
    std::atomic<std::uint64_t> dials{0};             // peers found in the record and dialed
    std::atomic<std::uint64_t> evicted{0};           // peers we pushed out of a full record
    std::atomic<std::uint64_t> malformed_entries{0};  // ignored while reading records
  };

  // Starts the DHT node and spawns the loops the config enables into `tasks`; `item` is the
  // network's record (network_item_key).
  [[nodiscard]] static std::expected<std::shared_ptr<DhtBootstrap>, std::string> start(
      asio::any_io_executor executor, MutableItemKey item, const Config& config,
      BootstrapHooks hooks, TaskGroup& tasks);

  DhtBootstrap(asio::any_io_executor executor, MutableItemKey item, const Config& config,
               BootstrapHooks hooks);

  const Stats& stats() const { return stats_; }
  std::uint16_t port() const { return dht_ ? dht_->port() : 0; }
  // Stops the DHT node (call once the loops are gone).
  void stop() { dht_.reset(); }

 private:
  // Our entry as we publish it: unspecified bind addresses (0.0.0.0, ::) are replaced by
  // this machine's interface addresses, since others cannot dial "any".
  RecordPeer self_entry();
  // Dials `peer` unless it was dialed within the last sync_timeout (a dead peer listed in
  // the record is not redialed on every poll).
  void dial_once(const RecordPeer& peer);
  asio::awaitable<void> poll_loop(std::chrono::milliseconds interval);
  asio::awaitable<void> publish_loop(std::chrono::milliseconds interval);
  asio::awaitable<void> poll_once();
  asio::awaitable<bool> publish_once();
  asio::awaitable<std::optional<MainlineGet>> get_item();
  asio::awaitable<std::optional<MainlinePut>> put_item(MutableModify modify);

  asio::any_io_executor executor_;
  MutableItemKey key_;
  RecordPolicy policy_;
  std::chrono::milliseconds op_timeout_;
  std::chrono::milliseconds redial_after_;
  std::map<PeerId, std::chrono::steady_clock::time_point> dialed_;  // on the executor only
  bool warned_no_address_ = false;
  BootstrapHooks hooks_;
  std::shared_ptr<MainlineDht> dht_;
  std::mt19937_64 rng_;
  Stats stats_;
};

}  // namespace mosaik::discovery::dht
