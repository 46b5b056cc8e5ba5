// Joining the network through the configured bootstrap peers.
//
// A node first exchanges catalogs with one bootstrap peer, then sends its HyParView Join to
// a random peer of the catalog it received. When many nodes start together they all
// contact the same bootstrap node; a Join makes its contact take the newcomer into its
// active view and evict another neighbour, so Joins sent to that one node would churn its
// view and pile connections on it. Sent to random catalog peers they spread over the whole
// network, and the bootstrap node only answers short exchanges (which it bounds with
// kMaxInboundSyncs, exchanges and connections, and the transport's handshake bounds,
// refusing the rest until they retry). Busy refusals are quick, so the retry wait is capped low (kLastBootstrapRetry).
#include <algorithm>
#include <random>

#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "service.hpp"
#include "discovery_log.hpp"

namespace mosaik::discovery::detail {

asio::awaitable<void> DiscoveryService::bootstrap_loop() {
  // The same bootstrap list is often given to every node, the bootstrap node included.
  std::vector<EndpointAddr> peers;
  for (const auto& peer : config_.bootstrap_peers) {
    if (peer.id != key_.public_key()) peers.push_back(peer);
  }
  if (peers.empty()) co_return;
  const auto cap = std::min<std::chrono::milliseconds>(kLastBootstrapRetry, config_.announce_interval);
  auto wait = kFirstBootstrapRetry;
  for (std::size_t attempt = 0;; ++attempt) {
    // A warning per backoff step; at the cap, one in kQuietAttempts (a bootstrap node that is
    // down for hours must not flood the log).
    const bool loud = wait < cap || attempt % kQuietAttempts == 0;
    {
      std::lock_guard lock(mutex_);
      std::shuffle(peers.begin(), peers.end(), rng_);
    }
    for (const auto& peer : peers) {
      // Someone found us meanwhile (a peer that bootstrapped through us, the DHT, mDNS).
      if (!announce_->active_peers().empty()) co_return;
      auto result = co_await sync_on_executor(peer, /*learn=*/false);
      if (result) {
        join_through_catalog(peer);
        co_return;
      }
      logger()->log(loud ? spdlog::level::warn : spdlog::level::debug,
                    "bootstrap peer {} at {} unreachable: {}; retrying in {} ms", peer.id, peer,
                    result.error().message, wait.count());
    }
    std::chrono::milliseconds jittered;
    {
      std::lock_guard lock(mutex_);
      jittered = std::chrono::milliseconds(
          std::uniform_int_distribution<std::int64_t>(wait.count() / 2, wait.count() * 3 / 2)(rng_));
    }
    co_await sleep_for(jittered);
    wait = std::min(wait * 2, cap);
  }
}

asio::awaitable<void> DiscoveryService::settle_loop() {
  // While a network forms (many nodes joining at once), views churn and a broadcast can miss
  // a part of the tree; the periodic anti-entropy (one neighbour per announce interval) would
  // take a minute to close such gaps. A few exchanges soon after start close them early.
  for (auto wait = kFirstSettleSync; wait < config_.announce_interval; wait *= 2) {
    co_await sleep_for(wait);
    const auto neighbours = announce_->active_peers();
    if (neighbours.empty()) continue;
    EndpointAddr partner;
    {
      std::lock_guard lock(mutex_);
      partner = neighbours[std::uniform_int_distribution<std::size_t>(0, neighbours.size() - 1)(rng_)];
    }
    auto result = co_await sync_on_executor(partner, /*learn=*/false);  // g++ 12: not in the if
    if (!result) logger()->debug("settling sync with {} failed: {}", partner.id, result.error().message);
  }
}

void DiscoveryService::join_through_catalog(const EndpointAddr& bootstrap) {
  std::vector<EndpointAddr> candidates;
  for (const auto& [id, entry] : catalog()) {
    if (entry.is_signed() && id != key_.public_key()) candidates.push_back(entry.addr());
  }
  std::vector<EndpointAddr> contacts;
  if (!candidates.empty()) {
    std::lock_guard lock(mutex_);
    contacts.push_back(candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng_)]);
  }
  // The bootstrap peer is the contact of last resort: HyParView tries it next while we stay
  // isolated. It is not made a passive candidate: every joiner would then ask it to be a
  // neighbour whenever its view runs short.
  if (contacts.empty() || contacts.front().id != bootstrap.id) contacts.push_back(bootstrap);
  logger()->debug("joining the gossip overlay through {}", contacts.front().id);
  announce_->join(contacts);
}

}  // namespace mosaik::discovery::detail
