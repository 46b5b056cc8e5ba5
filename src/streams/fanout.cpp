#include "fanout.hpp"

#include <asio/experimental/awaitable_operators.hpp>

#include <algorithm>

#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "mosaik/transport/connection.hpp"
#include "mosaik/streams/close_reasons.hpp"
#include "protocol.hpp"
#include "streams_log.hpp"

namespace mosaik::streams::detail {
namespace {

// A chunk stays below glibc's mmap threshold (128 KiB): larger ones cost a mapping each.
constexpr std::size_t kChunkBytes = 64 * 1024;
// try_push copies a frame into every target's chunk while the copies total at most this;
// past it, the targets share one allocated frame.
constexpr std::size_t kMaxCopiedBytes = 2048;

}  // namespace

Fanout::Fanout(ProducerSettings settings, std::optional<discovery::Discovery> discovery, PeerId local,
               std::function<void()> on_close,
               std::function<void(std::shared_ptr<Fanout>)> on_linger)
    : settings_(std::move(settings)), discovery_(std::move(discovery)), local_(local),
      on_close_(std::move(on_close)), on_linger_(std::move(on_linger)),
      channels_(std::make_shared<const ChannelList>()) {
  ChannelConditions defaults(channels_.subscribe());
  online_spec_ = settings_.online_when ? settings_.online_when(std::move(defaults)).spec()
                                       : defaults.spec();
  online_ = online_spec_.met(channels_.borrow());
  online_hint_.store(online_, std::memory_order_release);
}

bool Fanout::is_closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::optional<transport::CloseReason> Fanout::admit_locked(
    const discovery::PeerEntry& consumer) const {
  if (closed_) return close_reason::StreamNotFound;
  if (settings_.accept_if && !settings_.accept_if(consumer)) return close_reason::NotAllowed;
  if (subscribers_.size() >= settings_.max_consumers) return close_reason::NoCapacity;
  return std::nullopt;
}

asio::awaitable<void> Fanout::serve(transport::RawLink link, discovery::PeerEntry consumer,
                                    Criteria criteria) {
  std::shared_ptr<Subscriber> sub;
  {
    std::lock_guard lock(mutex_);
    if (auto refusal = admit_locked(consumer)) {
      logger()->info("stream {}: refused consumer {} with {}", settings_.stream_id,
                     consumer.peer_id(), *refusal);
      link.close(*refusal);
      co_return;
    }
    // Holding a slot while connecting keeps max_consumers exact under concurrent handshakes.
    auto stats = std::make_shared<StatsCounters>();
    Watch<State> state(State::Connecting);
    ChannelInfo info(settings_.stream_id, criteria, local_, consumer.peer_id(),
                     std::make_shared<const discovery::PeerEntry>(consumer), stats, state);
    sub = std::make_shared<Subscriber>(next_id_++, criteria, link, std::move(info), stats, state);
    subscribers_.emplace(sub->id, sub);
    publish_locked();
  }

  wire::Bytes accepted;
  wire::append_encoded_frame(accepted, SubscribeAccepted{settings_.stream_id});
  auto sent = co_await link.send_framed(std::move(accepted));
  if (sent) {
    sub->stats->mark_connected();
    sub->state.set(State::Connected);
    {
      std::lock_guard lock(mutex_);
      sub->accepting = !closed_;
      publish_locked();
    }
    pushable_.notify();
    logger()->debug("stream {}: consumer {} subscribed", settings_.stream_id, consumer.peer_id());
    using namespace asio::experimental::awaitable_operators;
    co_await (send_loop(sub) && watch_consumer(sub));
  }
  end(sub);
}

void Fanout::end(const std::shared_ptr<Subscriber>& sub) {
  sub->stats->mark_disconnected();
  sub->state.set(State::Terminated);
  {
    std::lock_guard lock(mutex_);
    subscribers_.erase(sub->id);
    sub->drop_queue();
    publish_locked();
  }
  pushable_.notify();
  handed_over_.notify();
  if (flushing_.load(std::memory_order_acquire) > 0) written_.notify();
}

asio::awaitable<void> Fanout::send_loop(std::shared_ptr<Subscriber> sub) {
  std::vector<SharedFrame> taken;  // reused: shared frames moved out under the lock
  for (;;) {
    const auto version = sub->wake.version();
    std::optional<transport::CloseReason> close_with;
    bool flush_first = false;
    bool ended = false;
    wire::Bytes batch;
    std::size_t count = 0;
    std::size_t shared_bytes = 0;
    {
      // Only a chunk or pointers move under the lock: try_push contends for it.
      std::lock_guard lock(mutex_);
      close_with = sub->close_with;
      flush_first = sub->flush_first;
      ended = sub->ended;
      auto& queue = sub->queue;
      const bool sending = !close_with || flush_first;
      if (sending && !queue.empty() && queue.front().is_chunk()) {
        batch = std::move(queue.front().bytes);
        count = queue.front().frames;
        queue.pop_front();
        sub->chunk_reserve = std::max(batch.size(), kMinChunkReserve);
      }
      while (sending && count == 0 && !queue.empty() && !queue.front().is_chunk() &&
             shared_bytes < kMaxBatchBytes) {
        shared_bytes += queue.front().shared->size();
        taken.push_back(std::move(queue.front().shared));
        queue.pop_front();
      }
      sub->queued -= count + taken.size();
    }
    if (!taken.empty()) {
      count = taken.size();
      batch.reserve(shared_bytes);
      for (const auto& frame : taken) batch.insert(batch.end(), frame->begin(), frame->end());
      taken.clear();
    }
    if (ended) co_return;
    if (close_with && count == 0) {
      if (!flush_first) {
        sub->link.close(*close_with);  // also wakes watch_consumer
        co_return;
      }
      // Everything is handed to the transport. The service closes the connection once
      // every fanout got this far (other streams may share it), and the consumer's
      // acknowledgement of it all; watch_consumer then ends the subscription.
      bool closes_own_link = false;
      {
        std::lock_guard lock(mutex_);
        sub->handed_over = true;
        closes_own_link = sub->closes_own_link;
      }
      handed_over_.notify();
      if (closes_own_link) {
        // The last handle went: this stream alone ends, once the consumer has it all (or
        // end_lingering() closes the link at the deadline, which ends this wait).
        (void)co_await sub->link.until_delivered();
        sub->link.close(*close_with);
      }
      co_return;
    }
    if (count == 0) {
      co_await sub->wake.wait_change(version);
      continue;
    }
    if (!settings_.disconnect_lagging) pushable_.notify();  // room for a waiting send()
    const auto size = batch.size() - count * wire::kFrameHeaderSize;
    auto written = co_await sub->link.send_framed(std::move(batch));
    if (!written) {
      bool closed_by_us = false;
      {
        std::lock_guard lock(mutex_);
        closed_by_us = sub->close_with.has_value();
      }
      if (!closed_by_us) sub->link.cancel();  // keep the reason it was closed with
      co_return;
    }
    sub->stats->datums.fetch_add(count, std::memory_order_relaxed);
    sub->stats->bytes.fetch_add(size, std::memory_order_relaxed);
    {
      std::lock_guard lock(mutex_);
      sub->written += count;
    }
    if (flushing_.load(std::memory_order_acquire) > 0) written_.notify();
  }
}

asio::awaitable<void> Fanout::watch_consumer(std::shared_ptr<Subscriber> sub) {
  // The consumer sends nothing after Subscribe: this returns when it leaves (or misbehaves).
  auto got = co_await sub->link.recv_frame();
  if (got) {
    logger()->warn("stream {}: consumer {} sent data after subscribing", settings_.stream_id,
                   sub->info.consumer_id());
    sub->link.close(transport::close_reason::ProtocolViolation);
  }
  {
    std::lock_guard lock(mutex_);
    sub->ended = true;
  }
  sub->wake.notify();
}

PushOutcome Fanout::try_push(const std::function<bool(const Criteria&)>& matches,
                             const std::function<void(wire::Bytes&)>& encode) {
  std::vector<transport::RawLink> too_slow;
  const auto outcome = offer_to_subscribers(matches, encode, too_slow);
  // A laggard's sender may be blocked in the transport (its peer stopped granting flow
  // control credit) and would never see close_with: closing the link wakes it with an
  // error and tells the consumer why. Otherwise its slot stays taken for as long as the
  // consumer's QUIC stack keeps acknowledging (forever).
  for (auto& link : too_slow) link.close(close_reason::TooSlow);
  return outcome;
}

PushOutcome Fanout::offer_to_subscribers(const std::function<bool(const Criteria&)>& matches,
                                         const std::function<void(wire::Bytes&)>& encode,
                                         std::vector<transport::RawLink>& too_slow) {
  // Called for every datum: nothing allocated but a shared large frame (the scratch frame
  // and the chunks keep their capacity), two passes over the subscribers instead of
  // collecting them. Encoding runs before taking the lock; a datum refused while offline is
  // not encoded at all.
  if (!online_hint_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mutex_);
    if (closed_) return PushOutcome::kClosed;
    if (!online_) return PushOutcome::kOffline;
  }
  thread_local wire::Bytes frame;
  if (frame.capacity() > kMaxBatchBytes) wire::Bytes().swap(frame);  // one huge datum once
  frame.clear();
  encode(frame);

  std::lock_guard lock(mutex_);
  if (closed_) return PushOutcome::kClosed;
  if (!online_) return PushOutcome::kOffline;
  std::size_t targets = 0;
  for (const auto& [id, sub] : subscribers_) {
    sub->target = sub->accepting && !sub->ended && !sub->close_with && matches(sub->criteria);
    if (!sub->target) continue;
    if (sub->queued >= settings_.buffer_size) {
      if (!settings_.disconnect_lagging) return PushOutcome::kFull;  // nothing queued yet
      sub->target = false;
      sub->close_with = close_reason::TooSlow;
      sub->accepting = false;
      lagged_.fetch_add(1, std::memory_order_relaxed);
      dropped_.fetch_add(sub->queued + 1, std::memory_order_relaxed);
      sub->drop_queue();
      logger()->info("stream {}: consumer {} is too slow, disconnecting", settings_.stream_id,
                     sub->info.consumer_id());
      too_slow.push_back(sub->link);
      sub->wake.notify();
      continue;
    }
    ++targets;
  }
  if (targets == 0) return PushOutcome::kUndelivered;
  // Copies are cheaper than sharing until they add up to a few cache lines' worth.
  SharedFrame shared;
  if (targets > 1 && frame.size() * targets > kMaxCopiedBytes) {
    shared = std::make_shared<const wire::Bytes>(frame);
  }
  for (const auto& [id, sub] : subscribers_) {
    if (!sub->target) continue;
    enqueue_locked(*sub, frame, shared);
    // The sender only waits on an empty queue: only that transition needs a wake-up.
    if (sub->queued == 1) sub->wake.notify();
  }
  return PushOutcome::kSent;
}

void Fanout::enqueue_locked(Subscriber& sub, std::span<const std::uint8_t> frame,
                            const SharedFrame& shared) {
  ++sub.queued;
  ++sub.enqueued;
  if (shared) {
    sub.queue.push_back(Entry{{}, 1, shared});
    return;
  }
  auto& queue = sub.queue;
  if (queue.empty() || !queue.back().is_chunk() ||
      queue.back().bytes.size() + frame.size() > kChunkBytes) {
    queue.emplace_back().bytes.reserve(
        std::clamp(sub.chunk_reserve, frame.size(), std::max(frame.size(), kChunkBytes)));
  }
  auto& chunk = queue.back();
  chunk.bytes.insert(chunk.bytes.end(), frame.begin(), frame.end());
  ++chunk.frames;
}

asio::awaitable<void> Fanout::until_pushable() {
  for (;;) {
    const auto version = pushable_.version();
    {
      std::lock_guard lock(mutex_);
      if (closed_) co_return;
      if (online_) {
        bool room = true;
        for (const auto& [id, sub] : subscribers_) {
          if (sub->accepting && sub->queued >= settings_.buffer_size) room = false;
        }
        if (room) co_return;
      }
    }
    co_await pushable_.wait_change(version);
  }
}

When Fanout::when() const { return When(channels_.subscribe(), online_spec_); }

std::vector<ChannelInfo> Fanout::consumers() const { return *channels_.borrow(); }

void Fanout::publish_locked() {
  auto list = std::make_shared<ChannelList>();
  list->reserve(subscribers_.size());
  for (const auto& [id, sub] : subscribers_) list->push_back(sub->info);
  ChannelSnapshot snapshot = std::move(list);
  online_ = online_spec_.met(snapshot);
  online_hint_.store(online_, std::memory_order_release);
  channels_.set(std::move(snapshot));
}

asio::awaitable<FlushOutcome> Fanout::flush(std::chrono::steady_clock::duration within) {
  std::vector<FlushMark> marks;
  {
    std::lock_guard lock(mutex_);
    if (closed_) co_return FlushOutcome::kClosed;
    for (const auto& [id, sub] : subscribers_) {
      if (sub->accepting && !sub->ended && !sub->close_with) marks.push_back({sub, sub->enqueued});
    }
  }
  // Senders notify written_ only while someone flushes: counted before the first check.
  flushing_.fetch_add(1, std::memory_order_acq_rel);
  struct Release {
    std::atomic<std::size_t>& n;
    ~Release() { n.fetch_sub(1, std::memory_order_acq_rel); }
  } release{flushing_};
  auto flushed = co_await with_timeout(until_flushed(std::move(marks)), within);
  co_return flushed ? FlushOutcome::kDelivered : FlushOutcome::kTimedOut;
}

asio::awaitable<void> Fanout::until_flushed(std::vector<FlushMark> marks) {
  for (const auto& mark : marks) {
    auto& sub = *mark.sub;
    for (;;) {  // each wake-up is a batch written or a subscription's end
      const auto version = written_.version();
      bool gone = false;
      {
        std::lock_guard lock(mutex_);
        // A consumer that left, or was dropped as too slow, is no longer waited for.
        gone = sub.ended || (sub.close_with && !sub.flush_first);
        if (gone || sub.written >= mark.frames) break;
      }
      co_await written_.wait_change(version);
    }
    bool ended = false;
    {
      std::lock_guard lock(mutex_);
      ended = sub.ended || (sub.close_with && !sub.flush_first);
    }
    if (!ended) (void)co_await sub.link.until_delivered();  // an error: it left meanwhile
  }
}

void Fanout::close() { close_all(CloseMode::kLinger); }

void Fanout::close_flushing() { close_all(CloseMode::kShutdown); }

void Fanout::end_lingering() {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, sub] : subscribers_) {
      sub->flush_first = false;
      sub->drop_queue();
      subs.push_back(sub);
    }
  }
  for (const auto& sub : subs) {
    logger()->info("stream {}: consumer {} did not take everything queued in time; closing it",
                   settings_.stream_id, sub->info.consumer_id());
    // Wakes a sender blocked in the transport or waiting for the acknowledgement.
    sub->link.close(transport::close_reason::GracefulShutdown);
    sub->wake.notify();
  }
}

void Fanout::withdraw(bool from_entry) {
  std::optional<discovery::Discovery> discovery;
  {
    std::lock_guard lock(mutex_);
    discovery.swap(discovery_);
  }
  if (discovery && from_entry) discovery->remove_stream(settings_.stream_id);
}

asio::awaitable<void> Fanout::until_handed_over() {
  for (;;) {  // each wake-up is a sender that handed its queue over, or a subscription's end
    const auto version = handed_over_.version();
    {
      std::lock_guard lock(mutex_);
      const bool all = std::all_of(subscribers_.begin(), subscribers_.end(),
                                   [](const auto& kv) { return kv.second->handed_over || kv.second->ended; });
      if (all) co_return;
    }
    co_await handed_over_.wait_change(version);
  }
}

void Fanout::close_connections_after_delivery() {
  std::vector<transport::RawLink> links;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, sub] : subscribers_) links.push_back(sub->link);
  }
  for (auto& link : links) link.connection().close_after_delivery(transport::close_reason::GracefulShutdown);
}

asio::awaitable<void> Fanout::until_drained() const {
  auto channels = channels_.subscribe();
  co_await channels.wait_until([](const ChannelSnapshot& list) { return list->empty(); });
}

void Fanout::close_all(CloseMode mode) {
  std::vector<std::shared_ptr<Subscriber>> subs;
  std::optional<discovery::Discovery> discovery;
  bool lingering = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    for (const auto& [id, sub] : subscribers_) {
      if (!sub->close_with) {
        sub->close_with = transport::close_reason::GracefulShutdown;
        // Never for a laggard: it is dropped, not flushed.
        sub->flush_first = mode != CloseMode::kDiscard;
        sub->closes_own_link = mode == CloseMode::kLinger;
        lingering = lingering || sub->flush_first;
      }
      sub->accepting = false;
      subs.push_back(sub);
    }
    lingering = lingering && mode == CloseMode::kLinger && on_linger_;
    // Released here (a handle that outlives its node must not keep discovery alive),
    // except by a lingering fanout, which withdraw() releases.
    if (!lingering) discovery.swap(discovery_);
  }
  // Withdrawn from our entry at once unless something is still to be delivered: consumers
  // that saw it withdrawn would cancel their links and drop what is in flight to them. A
  // lingering fanout is withdrawn once it delivered; a flushing node's departure, which
  // follows, withdraws everything.
  if (discovery && mode != CloseMode::kShutdown) discovery->remove_stream(settings_.stream_id);
  for (const auto& sub : subs) sub->wake.notify();
  pushable_.notify();
  if (lingering) on_linger_(shared_from_this());
  if (on_close_) on_close_();
}

}  // namespace mosaik::streams::detail
