#pragma once
// Discovery: the handle to a node's view of the network (the seed's Discovery chapter).
// Cheap to copy, safe to call from any thread.
//
//   auto& disc = network.discovery();
//   co_await disc.sync_with(peer_addr);               // full catalog exchange
//   for (const auto& [id, entry] : disc.catalog()) ...
//   auto events = disc.events();  auto ev = co_await events.recv();

#include <asio/awaitable.hpp>

#include <cstdint>
#include <expected>
#include <initializer_list>
#include <memory>
#include <string>

#include "mosaik/discovery/catalog.hpp"
#include "mosaik/discovery/config.hpp"
#include "mosaik/discovery/events.hpp"
#include "mosaik/discovery/peer_entry.hpp"
#include "mosaik/primitives/async/broadcast.hpp"
#include "mosaik/primitives/async/watch.hpp"

namespace mosaik::discovery {

// The seed's discovery::Error.
struct Error {
  enum class Kind {
    kDifferentNetwork,  // the peer belongs to another network
    kInvalidSignature,  // an entry's signature did not verify
    kLink,              // the transport failed (connect, send, receive, timeout)
    kCancelled,         // the node shut down during the operation
  };
  Kind kind;
  std::string message;
};

namespace detail {
class DiscoveryService;
}

class Discovery {
 public:
  explicit Discovery(std::shared_ptr<detail::DiscoveryService> service)
      : service_(std::move(service)) {}

  // The current snapshot (entries older than purge_after are already gone).
  Catalog catalog() const;
  WatchReceiver<Catalog> catalog_watch() const;
  // Discovered / updated / departed peers; a lagging receiver gets Lagged{n}.
  BroadcastReceiver<Event> events() const;

  // Starts a catalog sync with each peer in the background (bootstrap-style).
  void dial(EndpointAddr peer);
  void dial(std::initializer_list<EndpointAddr> peers);
  // A full, bidirectional catalog exchange with `peer`, completed when both sides merged.
  asio::awaitable<std::expected<void, Error>> sync_with(EndpointAddr peer);

  // Changing tags re-signs our entry and announces it at once.
  void add_tags(Tag tag);
  void add_tags(std::initializer_list<Tag> tags);
  void remove_tags(Tag tag);
  void remove_tags(std::initializer_list<Tag> tags);

  // Our own signed entry, as others see it.
  SignedPeerEntry me() const;

  // Local, unsigned entries (never gossiped), and their removal.
  void insert(PeerEntry entry);
  bool remove(const PeerId& peer);
  void clear_unsigned();
  // A signed entry from an external source; false when it was refused (see the logs).
  bool feed(const SignedPeerEntry& entry);

  // For the streams and groups subsystems: what this node produces and belongs to.
  void add_stream(const StreamId& id);
  void remove_stream(const StreamId& id);
  void add_group(const GroupId& id);
  void remove_group(const GroupId& id);
  // What this node reports of a group it belongs to (the groups subsystem calls it at a
  // bounded rate). `announce`: re-sign and announce at once; otherwise the next periodic
  // refresh carries it.
  void report_group(const GroupId& id, const GroupReport& report, bool announce);

  const std::shared_ptr<detail::DiscoveryService>& service() const { return service_; }

 private:
  std::shared_ptr<detail::DiscoveryService> service_;
};

}  // namespace mosaik::discovery
