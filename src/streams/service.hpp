#pragma once
// StreamsService: the streams subsystem of one node. It serves /mosaik/streams/1.0 (reads
// each consumer's Subscribe, checks it, hands it to the stream's Fanout or refuses it with
// StreamNotFound), keeps the registry of live producers (one Fanout per stream id) and
// starts consumer workers. Network owns it; stop() ends every subscription and task.

#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <typeindex>
#include <vector>

#include "consumer_worker.hpp"
#include "fanout.hpp"
#include "mosaik/discovery/discovery.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "mosaik/streams/detail/streams_api.hpp"
#include "mosaik/transport/endpoint.hpp"

namespace mosaik::streams::detail {

class StreamsService final : public StreamsApi,
                             public std::enable_shared_from_this<StreamsService> {
 public:
  StreamsService(transport::Endpoint endpoint, discovery::Discovery discovery, NetworkId network,
                 Config config);

  // Registers the protocol handler.
  void start();
  // Node shutdown: every producer flushes what it queued to its consumers and closes their
  // connections with GracefulShutdown once delivered, for at most `flush_within`; every
  // consumer closes its links with GracefulShutdown. Then the remaining tasks are cancelled
  // and awaited. Runs on the node's executor.
  asio::awaitable<void> stop(std::chrono::steady_clock::duration flush_within = {});

  std::pair<std::shared_ptr<void>, bool> producer(const StreamId& stream, std::type_index type,
                                                  ProducerSettings settings,
                                                  const MakeProducerState& make) override;
  std::shared_ptr<void> existing_producer(const StreamId& stream, std::type_index type) override;
  std::shared_ptr<ConsumerCore> consumer(ConsumerSettings settings,
                                         std::shared_ptr<InboxBase> inbox) override;
  const Config& config() const override { return config_; }

  // Subscriptions refused because their handshake was malformed or late.
  std::uint64_t rejected_handshakes() const { return rejected_.load(); }

  // For metrics: every channel of this node, as producer (one per consumer subscribed) and
  // as consumer (one per producer it receives from), and each produced stream's laggards.
  struct ChannelCounters {
    StreamId stream;
    PeerId peer;  // the consumer (producing) or the producer (consuming)
    bool producing = false;
    std::uint64_t datums = 0;
    std::uint64_t bytes = 0;
  };
  struct StreamCounters {
    StreamId stream;
    std::uint64_t lagged_consumers = 0;
    std::uint64_t dropped_datums = 0;
  };
  struct Counters {
    std::vector<ChannelCounters> channels;
    std::vector<StreamCounters> produced;
  };
  Counters counters();

 private:
  struct Registration {
    std::weak_ptr<void> state;  // the handles' shared ProducerState<D>
    std::type_index type;
    std::shared_ptr<Fanout> fanout;
  };

  static asio::awaitable<void> until_handed_over(std::vector<std::shared_ptr<Fanout>> fanouts);
  static asio::awaitable<void> until_drained(std::vector<std::shared_ptr<Fanout>> fanouts);
  // A fanout whose last handle went while consumers were subscribed: it delivers what was
  // queued for at most kDefaultFlushDeadline, then is withdrawn. stop() waits for it too.
  void linger(std::shared_ptr<Fanout> fanout);
  asio::awaitable<void> finish_lingering(std::shared_ptr<Fanout> fanout);
  asio::awaitable<void> serve_connection(transport::Connection connection);
  asio::awaitable<void> serve_subscription(transport::RawLink link);
  std::shared_ptr<Fanout> live_fanout(const StreamId& stream);
  void prune_locked();
  // Tells this node's consumers that its own producers changed.
  void poke_consumers();

  // Released by stop(): a Streams copy that outlives its node must not keep the endpoint or
  // discovery, whose destruction posts to the node's event loop, which is gone by then.
  std::optional<transport::Endpoint> endpoint_;    // guarded by mutex_ once started
  std::optional<discovery::Discovery> discovery_;  // guarded by mutex_ once started
  const PeerId local_;
  const NetworkId network_;
  const Config config_;

  std::mutex mutex_;
  std::map<StreamId, Registration> producers_;           // guarded by mutex_
  std::vector<std::weak_ptr<ConsumerWorker>> consumers_;  // guarded by mutex_
  std::vector<std::shared_ptr<Fanout>> lingering_;        // guarded by mutex_
  bool stopped_ = false;                                  // guarded by mutex_
  std::atomic<std::size_t> handshakes_{0};
  std::atomic<std::uint64_t> rejected_{0};
  TaskGroup tasks_;
};

}  // namespace mosaik::streams::detail
