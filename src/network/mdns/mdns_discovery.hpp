// MdnsDiscovery: finds the nodes of our network on the local link with mDNS / DNS-SD, with no
// bootstrap peer, and hands each one to discovery the way a bootstrap peer is handed
// (Discovery::dial: a catalog sync, after which the peer is in the gossip overlay).
//
// It runs an embedded avahi-core server on the node's executor (AsioAvahiPoll): it publishes
// a "_mosaik._udp" service instance named after our PeerId whose TXT record carries our
// network id, PeerId and advertised addresses (announcement.hpp), browses that type and
// resolves each instance it sees; records of other networks and malformed ones are ignored
// and counted. Every second it re-reads our advertised addresses and, when they changed,
// updates the TXT record, which avahi announces at once. docs/decisions/0208.
//
//   auto mdns = MdnsDiscovery::start(executor, network_id, my_id, {addresses_fn, dial_fn});
//   mdns->close();   // withdraws our record (goodbye packets); before the node goes away
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "announcement.hpp"
#include "avahi_poll.hpp"

// avahi-core's opaque handles (its headers stay inside mdns_discovery.cpp).
struct AvahiServer;
struct AvahiSEntryGroup;
struct AvahiSServiceBrowser;
struct AvahiSServiceResolver;

namespace mosaik::network::detail {

class MdnsDiscovery : public std::enable_shared_from_this<MdnsDiscovery> {
 public:
  struct Hooks {
    std::function<std::set<SocketAddr>()> addresses;  // what we advertise now
    std::function<void(EndpointAddr)> dial;           // Discovery::dial
  };
  struct Stats {
    std::atomic<std::uint64_t> published{0};        // TXT records we registered or updated
    std::atomic<std::uint64_t> dials{0};            // peers handed to discovery
    std::atomic<std::uint64_t> resolver_limit{0};   // instances not resolved: kMaxResolvers reached
    std::array<std::atomic<std::uint64_t>, kMdnsRefusalKinds> refused{};  // by MdnsRefusal
  };

  // Instances resolved (and followed for changes) at once; more are ignored until some go.
  static constexpr std::size_t kMaxResolvers = 256;
  // Peers remembered to avoid dialing the same addresses twice within kRedialAfter.
  static constexpr std::size_t kMaxRememberedPeers = 1024;
  static constexpr std::chrono::seconds kRedialAfter{5};
  static constexpr std::chrono::seconds kAddressCheck{1};

  // Starts on `executor` (posted: returns at once). A server that cannot start (no socket,
  // no interface) is logged at warn; the node runs on without mDNS.
  static std::shared_ptr<MdnsDiscovery> start(asio::any_io_executor executor, NetworkId network,
                                              PeerId self, Hooks hooks);
  MdnsDiscovery(asio::any_io_executor executor, NetworkId network, PeerId self, Hooks hooks);
  ~MdnsDiscovery();

  // Withdraws our record and stops, on the executor. Idempotent; callable from any thread.
  void close();
  const Stats& stats() const { return stats_; }

 private:
  struct ServerDeleter {
    void operator()(AvahiServer* s) const;
  };

  void open();
  void on_server_state(int state);
  void publish();
  void on_group_state(int state);
  void on_browse(int interface, int protocol, int event, const char* name, const char* type,
                 const char* domain);
  void on_resolved(AvahiSServiceResolver* resolver, int event, const std::string& key,
                   std::vector<std::string> txt);
  void handle_announcement(const MdnsAnnouncement& found);
  void check_addresses();
  void teardown();

  asio::any_io_executor executor_;
  NetworkId network_;
  PeerId self_;
  Hooks hooks_;
  Stats stats_;

  // Everything below is touched on the executor only.
  std::optional<AsioAvahiPoll> poll_;
  std::unique_ptr<AvahiServer, ServerDeleter> server_;
  AvahiSEntryGroup* group_ = nullptr;        // freed with the server
  AvahiSServiceBrowser* browser_ = nullptr;  // freed with the server
  std::map<std::string, AvahiSServiceResolver*> resolvers_;  // by interface/protocol/name
  std::string instance_name_;
  std::set<SocketAddr> published_;
  struct Dialed {
    std::set<SocketAddr> addresses;
    std::chrono::steady_clock::time_point at;
  };
  std::map<PeerId, Dialed> dialed_;
  asio::steady_timer address_timer_;
  bool closed_ = false;

  friend struct MdnsCallbacks;
};

}  // namespace mosaik::network::detail
