#pragma once
// The untyped side of a producer, shared by every Producer<D> handle of one stream: the
// fanout to per-consumer bounded queues. Producer<D> encodes a datum once and hands the
// bytes here; src/streams/fanout.cpp implements it.

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <vector>

#include "mosaik/discovery/peer_entry.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/streams/channel.hpp"
#include "mosaik/streams/conditions.hpp"
#include "mosaik/streams/criteria.hpp"

namespace mosaik::streams::detail {

struct ProducerSettings {
  StreamId stream_id;
  std::function<bool(const discovery::PeerEntry&)> accept_if;  // empty: accept all
  std::function<ChannelConditions(ChannelConditions)> online_when;  // empty: minimum_of(1)
  bool disconnect_lagging = true;
  std::size_t buffer_size = 1024;
  std::size_t max_consumers = std::numeric_limits<std::size_t>::max();
};

enum class PushOutcome {
  kSent,         // queued for at least one consumer
  kUndelivered,  // online, but no consumer's criteria matched (goes to the undelivered sink)
  kOffline,      // online conditions not met
  kFull,         // a matching consumer's queue is full (backpressure)
  kClosed,       // the producer or its node is gone
};

enum class FlushOutcome {
  kDelivered,  // every subscribed consumer's transport acknowledged what was sent before
  kTimedOut,   // the deadline passed first
  kClosed,     // the producer or its node is gone
};

class ProducerCore {
 public:
  virtual ~ProducerCore() = default;

  virtual const StreamId& stream_id() const = 0;
  // Offers one datum to the fanout. `matches` is asked about each consumer's criteria;
  // `encode` appends the datum's frame and runs at most once, only when it is delivered.
  virtual PushOutcome try_push(const std::function<bool(const Criteria&)>& matches,
                               const std::function<void(wire::Bytes&)>& encode) = 0;
  // Completes when try_push may succeed: online and no matching queue full, or closed.
  virtual asio::awaitable<void> until_pushable() = 0;
  virtual When when() const = 0;
  virtual std::vector<ChannelInfo> consumers() const = 0;
  // Completes once everything pushed so far was acknowledged by the transport of every
  // consumer subscribed now (those that leave meanwhile no longer count), or at `within`.
  virtual asio::awaitable<FlushOutcome> flush(std::chrono::steady_clock::duration within) = 0;
  // The last handle went: nothing more is accepted; what is queued is still delivered in
  // the background, for at most kDefaultFlushDeadline, then every subscription closes with
  // GracefulShutdown and the stream is withdrawn.
  virtual void close() = 0;
};

}  // namespace mosaik::streams::detail
