#pragma once
// ConsumerWorker: the consumer side of one Consumer<D>. It watches the catalog for
// producers of its stream (that pass subscribe_if), keeps one subscription task per
// producer, and feeds what arrives into the consumer's Inbox. A subscription that fails or
// drops is retried with exponential backoff while the producer still advertises the stream;
// a new version of the producer's entry (a restart) retries at once.
// The catalog loop and the channel tasks run on the node's executor; the status watch,
// stats and events are safe to read from any thread.

#include <asio/awaitable.hpp>

#include <atomic>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <random>

#include "mosaik/discovery/discovery.hpp"
#include "mosaik/primitives/async/broadcast.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "mosaik/primitives/async/watch.hpp"
#include "mosaik/streams/detail/consumer_core.hpp"
#include "mosaik/transport/endpoint.hpp"

namespace mosaik::streams::detail {

class ConsumerWorker final : public ConsumerCore,
                             public std::enable_shared_from_this<ConsumerWorker> {
 public:
  ConsumerWorker(transport::Endpoint endpoint, discovery::Discovery discovery, NetworkId network,
                 ConsumerSettings settings, ExponentialBackoff backoff,
                 std::shared_ptr<InboxBase> inbox);
  // A worker made after its node stopped: closed from the start, with no task, endpoint or
  // discovery (they may outlive nothing of the node).
  struct Closed {};
  ConsumerWorker(Closed, PeerId local, NetworkId network, ConsumerSettings settings,
                 ExponentialBackoff backoff, std::shared_ptr<InboxBase> inbox);

  // Starts the catalog loop (on the endpoint's executor).
  void start();
  // Node shutdown: closes its links with GracefulShutdown, stops every task and waits for
  // them. Runs on the node's executor.
  asio::awaitable<void> shutdown();

  const StreamId& stream_id() const override { return settings_.stream_id; }
  When when() const override;
  std::vector<ChannelInfo> producers() const override;
  Stats stats() const override { return Stats(totals_); }
  BroadcastReceiver<ChannelEvent> events() const override { return events_.subscribe(); }
  std::uint64_t protocol_violations() const override { return violations_.load(); }
  void close() override;
  // A producer of this node appeared or went (our own entry is not in the catalog).
  void poke() { local_changes_.notify(); }

 private:
  // One producer this consumer subscribes to; lives as long as the producer is wanted.
  struct Target {
    explicit Target(discovery::PeerEntry e) : entry(std::move(e)) {}
    discovery::PeerEntry entry;  // latest catalog entry (executor only)
    Notifier kick;               // entry changed or stop requested
    bool stop = false;           // executor only
    std::optional<transport::RawLink> link;  // the current subscription's link
    std::string last_error;       // why the last attempt or subscription ended
  };
  struct Outcome {
    bool connected = false;  // the subscription was accepted (resets the backoff)
  };

  TaskGroup* task_group();
  asio::awaitable<void> catalog_loop();
  void reconcile(const discovery::Catalog& catalog);
  bool wanted(const discovery::PeerEntry& entry) const;
  void want(const discovery::PeerEntry& entry);
  asio::awaitable<void> target_loop(std::shared_ptr<Target> target);
  asio::awaitable<Outcome> subscribe_once(std::shared_ptr<Target> target);
  std::chrono::milliseconds randomized(std::chrono::milliseconds base);

  std::uint64_t add_channel(const ChannelInfo& info);
  void remove_channel(std::uint64_t id);
  void publish_locked();
  void report(Target& target, const transport::CloseReason& reason, bool remote,
              std::string message);

  // Dropped by shutdown(): a handle that outlives its node must not keep the node's
  // endpoint or discovery (and their event loop) referenced.
  std::optional<transport::Endpoint> endpoint_;      // executor only
  std::optional<discovery::Discovery> discovery_;    // executor only
  const NetworkId network_;
  const PeerId local_;
  const ConsumerSettings settings_;
  const ExponentialBackoff backoff_;
  std::shared_ptr<InboxBase> inbox_;

  std::map<PeerId, std::shared_ptr<Target>> targets_;  // executor only
  // Producers whose subscription was lost: the next one to them is logged as restored,
  // whether they came back before or after leaving the catalog. Bounded by starting over.
  static constexpr std::size_t kRememberedLosses = 1024;
  std::set<PeerId> lost_;  // executor only
  std::mt19937_64 rng_;                                // executor only

  mutable std::mutex mutex_;
  std::map<std::uint64_t, ChannelInfo> channels_;  // guarded by mutex_
  std::uint64_t next_channel_ = 0;                 // guarded by mutex_
  std::size_t connected_ = 0;                      // guarded by mutex_
  Watch<ChannelSnapshot> snapshot_;
  std::shared_ptr<StatsCounters> totals_ = std::make_shared<StatsCounters>();
  Broadcast<ChannelEvent> events_{256};
  std::atomic<std::uint64_t> violations_{0};
  std::atomic<bool> closed_{false};
  Notifier local_changes_;
  std::unique_ptr<TaskGroup> tasks_;  // guarded by mutex_; taken by shutdown()
};

}  // namespace mosaik::streams::detail
