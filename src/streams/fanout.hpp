#pragma once
// Fanout: the producer side of one stream, shared by all its Producer<D> handles. Every
// subscribed consumer has its own bounded queue of encoded frames and its own sender
// coroutine, so a slow consumer never delays the others: when its queue is full it is
// either closed with TooSlow (disconnect_lagging) or the producer waits for it.
// A datum is encoded once. A small frame (or one with a single target) is copied into each
// target's current chunk, which the sender hands to the link whole: nothing is allocated per
// datum. A large frame for several targets is shared by reference instead, and each sender
// copies it into its batch. State is guarded by one mutex held only for short,
// non-suspending sections (handles push from any thread).

#include <asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "mosaik/discovery/discovery.hpp"
#include "mosaik/primitives/async/notifier.hpp"
#include "mosaik/primitives/async/watch.hpp"
#include "mosaik/streams/detail/producer_core.hpp"
#include "mosaik/transport/raw_link.hpp"

namespace mosaik::streams::detail {

class Fanout final : public ProducerCore, public std::enable_shared_from_this<Fanout> {
 public:
  // `on_close` runs once, unlocked, when the fanout closes (the service uses it to tell this
  // node's consumers). `on_linger` runs instead of withdrawing the stream when the last
  // handle went while consumers were subscribed: the service then waits (bounded) for
  // until_drained(), calls end_lingering() and withdraw().
  // `discovery` is empty when the node is already gone.
  Fanout(ProducerSettings settings, std::optional<discovery::Discovery> discovery, PeerId local,
         std::function<void()> on_close = {},
         std::function<void(std::shared_ptr<Fanout>)> on_linger = {});

  // Runs one consumer's subscription after its Subscribe was read: admits it (or closes the
  // link with StreamNotFound / NotAllowed / NoCapacity), then feeds it until it ends.
  asio::awaitable<void> serve(transport::RawLink link, discovery::PeerEntry consumer,
                              Criteria criteria);

  const StreamId& stream_id() const override { return settings_.stream_id; }
  PushOutcome try_push(const std::function<bool(const Criteria&)>& matches,
                       const std::function<void(wire::Bytes&)>& encode) override;
  asio::awaitable<void> until_pushable() override;
  When when() const override;
  std::vector<ChannelInfo> consumers() const override;
  asio::awaitable<FlushOutcome> flush(std::chrono::steady_clock::duration within) override;
  // The last handle went: each subscription sends what is queued, waits for the consumer's
  // acknowledgement and closes its link with GracefulShutdown.
  void close() override;
  // A lingering close's deadline passed: what is still queued is dropped and the remaining
  // subscriptions close with GracefulShutdown.
  void end_lingering();
  // After a lingering close: releases discovery, removing the stream from the local entry
  // first unless `from_entry` is false (the node is leaving, or another producer took the
  // stream id meanwhile).
  void withdraw(bool from_entry);
  // Node shutdown, in three steps: close_flushing() is close(), except that each
  // subscription first hands what is queued to the transport; until_handed_over() completes
  // once every one did (or ended); close_connections_after_delivery() then closes their
  // connections with GracefulShutdown once the consumers acknowledged it all (the service
  // calls it only when every fanout is handed over: streams may share a connection).
  void close_flushing();
  asio::awaitable<void> until_handed_over();
  void close_connections_after_delivery();
  // Completes once no subscription is left.
  asio::awaitable<void> until_drained() const;
  bool is_closed() const;
  // Consumers closed with TooSlow, and the datums they lost with it (what was queued for
  // them, and the datum they had no room for).
  std::uint64_t lagged_consumers() const { return lagged_.load(std::memory_order_relaxed); }
  std::uint64_t dropped_datums() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  // A new chunk reserves what the sender took last time, at least this much.
  static constexpr std::size_t kMinChunkReserve = 4096;
  using SharedFrame = std::shared_ptr<const wire::Bytes>;
  // One queue entry: frames copied back to back (a chunk, ready to be written as it is), or
  // one frame shared with other subscribers.
  struct Entry {
    wire::Bytes bytes;
    std::size_t frames = 0;
    SharedFrame shared;
    bool is_chunk() const { return shared == nullptr; }
  };
  struct Subscriber {
    Subscriber(std::uint64_t id, Criteria c, transport::RawLink l, ChannelInfo i,
               std::shared_ptr<StatsCounters> s, Watch<State> st)
        : id(id), criteria(c), link(std::move(l)), info(std::move(i)), stats(std::move(s)),
          state(std::move(st)) {}
    std::uint64_t id;
    Criteria criteria;
    transport::RawLink link;
    ChannelInfo info;
    std::shared_ptr<StatsCounters> stats;
    Watch<State> state;
    Notifier wake;  // frames queued, or the subscription must end
    // Guarded by Fanout::mutex_:
    std::deque<Entry> queue;           // frames the sender has not taken yet
    std::size_t queued = 0;            // frames in queue, at most settings_.buffer_size
    std::size_t chunk_reserve = kMinChunkReserve;  // the last chunk taken's size, reserved
    bool accepting = false;   // receives datums (after SubscribeAccepted went out)
    bool ended = false;       // the consumer left or the link failed
    std::optional<transport::CloseReason> close_with;  // TooSlow, or shutdown
    bool flush_first = false;  // close_with only once the queue is sent and acknowledged
    bool closes_own_link = false;  // flushing: the sender closes the link once acknowledged
    bool handed_over = false;  // flushing: the whole queue is in the transport
    bool target = false;      // scratch of try_push: receives the datum being pushed
    std::uint64_t enqueued = 0;  // frames ever queued (flush() waits for them to be written)
    std::uint64_t written = 0;   // frames ever handed to the link

    void drop_queue() {  // under Fanout::mutex_: queued always counts queue's frames
      queue.clear();
      queued = 0;
    }
  };

  // try_push's work under the lock; the links of consumers found too slow go to
  // `too_slow`, for try_push to close once the lock is released.
  PushOutcome offer_to_subscribers(const std::function<bool(const Criteria&)>& matches,
                                     const std::function<void(wire::Bytes&)>& encode,
                                     std::vector<transport::RawLink>& too_slow);
  asio::awaitable<void> send_loop(std::shared_ptr<Subscriber> sub);
  asio::awaitable<void> watch_consumer(std::shared_ptr<Subscriber> sub);
  std::optional<transport::CloseReason> admit_locked(const discovery::PeerEntry& consumer) const;
  void enqueue_locked(Subscriber& sub, std::span<const std::uint8_t> frame,
                      const SharedFrame& shared);
  void publish_locked();
  void end(const std::shared_ptr<Subscriber>& sub);
  // How close_all treats what is queued: dropped; delivered, then each link closed by its
  // sender (the last handle went); handed to the transport, then the service closes the
  // connections (node shutdown).
  enum class CloseMode { kDiscard, kLinger, kShutdown };
  void close_all(CloseMode mode);
  // What one consumer must have written and acknowledged for a flush to complete.
  struct FlushMark {
    std::shared_ptr<Subscriber> sub;
    std::uint64_t frames;
  };
  asio::awaitable<void> until_flushed(std::vector<FlushMark> marks);

  const ProducerSettings settings_;
  // Released by close(): a handle that outlives its node must not keep discovery alive.
  std::optional<discovery::Discovery> discovery_;  // guarded by mutex_
  const PeerId local_;
  const std::function<void()> on_close_;
  const std::function<void(std::shared_ptr<Fanout>)> on_linger_;

  mutable std::mutex mutex_;
  bool closed_ = false;                                            // guarded by mutex_
  std::map<std::uint64_t, std::shared_ptr<Subscriber>> subscribers_;  // guarded by mutex_
  std::uint64_t next_id_ = 0;                                      // guarded by mutex_
  bool online_ = false;  // guarded by mutex_; online_spec_ on the current channels
  std::atomic<bool> online_hint_ = false;  // online_, readable without the lock
  std::atomic<std::uint64_t> lagged_{0};   // written under mutex_, read by metrics
  std::atomic<std::uint64_t> dropped_{0};

  Watch<ChannelSnapshot> channels_;
  ConditionSpec online_spec_;
  Notifier pushable_;  // room freed, channels changed, or closed
  Notifier handed_over_;  // a flushing sender handed its queue over, or a subscription ended
  Notifier written_;      // while flushes wait (flushing_ > 0): a sender wrote, or one ended
  std::atomic<std::size_t> flushing_{0};
};

}  // namespace mosaik::streams::detail
