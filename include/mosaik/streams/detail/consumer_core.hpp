#pragma once
// The untyped side of a consumer: its worker (discovery of producers, one subscription per
// producer, reconnection) lives in src/streams/consumer_worker.cpp and delivers bytes into
// an Inbox<D>, the bounded queue Consumer<D> reads. Every datum is checked on the way in,
// so one that does not decode never reaches the user: it closes its channel instead. The
// inbox keeps the received bytes; the reader's thread builds the datum it hands out.

#include <asio/awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "mosaik/discovery/peer_entry.hpp"
#include "mosaik/primitives/async/broadcast.hpp"
#include "mosaik/primitives/async/notifier.hpp"
#include "mosaik/primitives/frame.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/streams/channel.hpp"
#include "mosaik/streams/conditions.hpp"
#include "mosaik/streams/config.hpp"
#include "mosaik/streams/criteria.hpp"
#include "mosaik/transport/close_reason.hpp"

namespace mosaik::streams {

// Why one subscription of a consumer ended or failed (StreamNotFound, NotAllowed,
// NoCapacity, TooSlow, ProtocolViolation, a transport failure, ...).
struct ChannelEvent {
  PeerId producer_id;
  transport::CloseReason reason;
  bool remote = false;  // true when the producer chose the reason
  std::string message;
};

namespace detail {

struct ConsumerSettings {
  StreamId stream_id;
  std::function<bool(const discovery::PeerEntry&)> subscribe_if;  // empty: every producer
  Criteria criteria;
  std::optional<ExponentialBackoff> backoff;  // empty: the streams config's
};

// A bounded queue fed by the worker (node thread) and drained by the user (any thread).
class InboxBase {
 public:
  // Datums held at once; the worker stops reading from the network while it is full.
  static constexpr std::size_t kCapacity = 1024;

  virtual ~InboxBase() = default;

  // Checks frames of `batch` from index `first` and queues them while there is room,
  // counting each in `channel` and `totals` before it becomes visible (a reader who has a
  // datum also sees it in the stats). Returns the index of the first frame not queued;
  // sets `undecodable` when that frame does not decode. Only the node's thread pushes, and
  // without suspending, so the room seen at the start cannot shrink meanwhile.
  virtual std::size_t push_encoded(const std::shared_ptr<const wire::FrameBatch>& batch,
                                   std::size_t first, StatsCounters& channel,
                                   StatsCounters& totals, bool& undecodable) = 0;

  // Completes when there is room (true) or the inbox is closed (false).
  asio::awaitable<bool> wait_space() {
    for (;;) {
      const auto version = notifier_.version();
      {
        std::lock_guard lock(mutex_);
        if (closed_) co_return false;
        if (size_locked() < kCapacity) co_return true;
      }
      co_await notifier_.wait_change(version);
    }
  }

  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    notifier_.notify();
  }
  bool is_closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 protected:
  virtual std::size_t size_locked() const = 0;

  mutable std::mutex mutex_;
  bool closed_ = false;  // guarded by mutex_
  Notifier notifier_;    // data arrived, room freed, or closed
};

template <class D>
class Inbox final : public InboxBase {
 public:
  std::size_t push_encoded(const std::shared_ptr<const wire::FrameBatch>& batch,
                           std::size_t first, StatsCounters& channel, StatsCounters& totals,
                           bool& undecodable) override {
    std::size_t room = 0;
    {
      std::lock_guard lock(mutex_);
      room = kCapacity - std::min(kCapacity, size_);
    }
    // Each datum is decoded here once, into a kept scratch object, to refuse a bad one
    // before the user could see it; the user's thread decodes it again in pop(). Building
    // the user's datum there means its memory is allocated and freed by one thread, which
    // glibc serves from a thread cache instead of arena locks shared with this thread.
    std::size_t next = first;
    std::size_t bytes = 0;
    for (; next < batch->size() && next - first < room; ++next) {
      if (!validate((*batch)[next])) {
        undecodable = true;
        break;
      }
      bytes += (*batch)[next].size();
    }
    const std::size_t count = next - first;
    if (count == 0) return next;
    channel.record(count, bytes);  // before the datums become visible below
    totals.record(count, bytes);
    bool was_empty = false;
    {
      std::lock_guard lock(mutex_);
      was_empty = size_ == 0;
      runs_.push_back(Run{batch, first, next});
      size_ += count;
    }
    // Readers only wait on an empty inbox, so only that transition needs a wake-up.
    if (was_empty) notifier_.notify();
    return next;
  }

  // The next datum, or why there is none: nullopt with `closed` set when closed and drained.
  std::optional<D> try_pop(bool& closed) {
    for (;;) {
      std::shared_ptr<const wire::FrameBatch> batch;
      std::size_t index = 0;
      bool was_full = false;
      {
        std::lock_guard lock(mutex_);
        closed = closed_ && size_ == 0;
        if (size_ == 0) return std::nullopt;
        was_full = size_ >= kCapacity;
        auto& run = runs_.front();
        index = run.next++;
        if (run.next == run.end) {
          batch = std::move(run.batch);  // freed below, outside the lock
          runs_.pop_front();
        } else {
          batch = run.batch;
        }
        --size_;
      }
      // The worker only waits on a full inbox, so only that transition needs a wake-up.
      if (was_full) notifier_.notify();
      auto datum = wire::decode<D>((*batch)[index]);
      if (datum) return std::move(*datum);
      // validate() accepted these bytes, so only an adaptor whose success depends on the
      // object it decodes into gets here; the datum is dropped, never handed over broken.
      late_violations_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // Static, holding the inbox: a pending recv() keeps it alive whatever happens to handles.
  static asio::awaitable<std::optional<D>> pop(std::shared_ptr<Inbox> inbox) {
    bool closed = false;
    auto got = inbox->try_pop(closed);  // the common case: a datum is waiting
    while (!got && !closed) {
      // Version first, then look again: a push after the look bumps the version.
      const auto version = inbox->notifier_.version();
      got = inbox->try_pop(closed);
      if (got || closed) break;
      co_await inbox->notifier_.wait_change(version);
      got = inbox->try_pop(closed);
    }
    co_return got;
  }

  // Datums validate() accepted that failed to decode on the reader's side.
  std::uint64_t late_violations() const { return late_violations_.load(); }

 private:
  // Frames [next, end) of one received batch, still to be read.
  struct Run {
    std::shared_ptr<const wire::FrameBatch> batch;
    std::size_t next;
    std::size_t end;
  };

  static bool validate(std::span<const std::uint8_t> bytes) {
    if constexpr (std::is_default_constructible_v<D>) {
      // Kept per thread, so validating costs no allocation once its buffers have grown;
      // reset after a large datum so a rare big one does not stay held.
      static constexpr std::size_t kKeepBelow = 64 * 1024;
      thread_local D scratch{};
      const bool ok = wire::decode_into(bytes, scratch).has_value();
      if (bytes.size() > kKeepBelow || !ok) scratch = D{};
      return ok;
    } else {
      return wire::decode<D>(bytes).has_value();
    }
  }

  std::size_t size_locked() const override { return size_; }
  std::deque<Run> runs_;  // guarded by mutex_
  std::size_t size_ = 0;  // datums in runs_, at most kCapacity; guarded by mutex_
  std::atomic<std::uint64_t> late_violations_{0};
};

class ConsumerCore {
 public:
  virtual ~ConsumerCore() = default;

  virtual const StreamId& stream_id() const = 0;
  virtual When when() const = 0;
  virtual std::vector<ChannelInfo> producers() const = 0;
  virtual Stats stats() const = 0;
  virtual BroadcastReceiver<ChannelEvent> events() const = 0;
  // Datums that failed to decode, each of which closed its channel.
  virtual std::uint64_t protocol_violations() const = 0;
  // The last handle went: stop the worker and close every subscription.
  virtual void close() = 0;
};

}  // namespace detail
}  // namespace mosaik::streams
