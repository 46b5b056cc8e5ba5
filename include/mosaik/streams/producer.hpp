#pragma once
// Producer<D>: sends datums of type D to every subscribed consumer (the seed's Producers
// chapter). Handles are cheap to copy; every handle of one stream shares one fanout, and the
// last one to go closes it (see below) and withdraws the stream.
//
//   auto producer = network.streams().produce<Price>();
//   co_await producer.when().online();
//   auto sent = co_await producer.send(Price{"ETH", 3812.5});   // waits while offline or full
//   auto now = producer.try_send(p);   // Offline / Full / Closed carry the datum back
//   auto flushed = co_await producer.flush();   // delivered to every consumer, or an error
//
// Dropping the last handle does not discard what send() accepted: it is delivered in the
// background (for at most kDefaultFlushDeadline; a node shut down meanwhile waits for it),
// then the consumers see GracefulShutdown.

#include <asio/awaitable.hpp>

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <typeindex>
#include <variant>

#include "mosaik/primitives/frame.hpp"
#include "mosaik/streams/config.hpp"
#include "mosaik/streams/datum.hpp"
#include "mosaik/streams/detail/streams_api.hpp"

namespace mosaik::streams {

// The seed's producer::Error<D>: why a datum was not sent, with the datum given back.
template <class D>
struct ProducerError {
  enum class Kind {
    Closed,   // the producer (or its node) is gone
    Full,     // a matching consumer's queue is full and lagging consumers are kept
    Offline,  // the online conditions are not met
  };
  Kind kind;
  std::optional<D> datum;  // always set by try_send and send

  bool is_closed() const { return kind == Kind::Closed; }
  bool is_full() const { return kind == Kind::Full; }
  bool is_offline() const { return kind == Kind::Offline; }
};

// Why flush() did not see everything delivered (the seed's Sink has flush() by its trait;
// what ours waits for: docs/decisions/0601).
struct FlushError {
  enum class Kind {
    Closed,    // the producer (or its node) is gone
    TimedOut,  // a consumer had not acknowledged everything by the deadline
  };
  Kind kind;

  bool is_closed() const { return kind == Kind::Closed; }
  bool is_timed_out() const { return kind == Kind::TimedOut; }
};

template <Datum D>
class Producer;

namespace detail {
// What the handles of one stream share: the fanout and the typed undelivered sink.
template <class D>
struct ProducerState {
  std::shared_ptr<ProducerCore> core;
  std::function<void(D)> undelivered;
  ProducerState(std::shared_ptr<ProducerCore> c, std::function<void(D)> sink)
      : core(std::move(c)), undelivered(std::move(sink)) {}
  ProducerState(const ProducerState&) = delete;
  ProducerState& operator=(const ProducerState&) = delete;
  ~ProducerState() { core->close(); }
};
}  // namespace detail

// The seed's BuilderError: build() found a live producer for the stream id; the error
// holds its handle.
template <Datum D>
struct AlreadyExists {
  std::shared_ptr<detail::ProducerState<D>> state;
  Producer<D> existing() const { return Producer<D>(state); }
};
template <Datum D>
using BuilderError = std::variant<AlreadyExists<D>>;

template <Datum D>
class Producer {
 public:
  explicit Producer(std::shared_ptr<detail::ProducerState<D>> state) : state_(std::move(state)) {}

  const StreamId& stream_id() const { return state_->core->stream_id(); }

  // Sends one datum, waiting while the producer is offline or (with backpressure) full.
  asio::awaitable<std::expected<void, ProducerError<D>>> send(D datum) {
    for (;;) {
      auto sent = try_send(std::move(datum));
      if (sent || sent.error().kind == ProducerError<D>::Kind::Closed) co_return sent;
      datum = std::move(*sent.error().datum);
      co_await state_->core->until_pushable();
    }
  }

  std::expected<void, ProducerError<D>> try_send(D datum) {
    using E = ProducerError<D>;
    const auto outcome = state_->core->try_push(
        [&datum](const Criteria& c) { return c.matches(datum); },
        [&datum](wire::Bytes& out) { wire::append_encoded_frame(out, datum); });
    switch (outcome) {
      case detail::PushOutcome::kSent:
        return {};
      case detail::PushOutcome::kUndelivered:
        if (state_->undelivered) state_->undelivered(std::move(datum));
        return {};
      case detail::PushOutcome::kOffline:
        return std::unexpected(E{E::Kind::Offline, std::move(datum)});
      case detail::PushOutcome::kFull:
        return std::unexpected(E{E::Kind::Full, std::move(datum)});
      case detail::PushOutcome::kClosed:
        break;
    }
    return std::unexpected(E{E::Kind::Closed, std::move(datum)});
  }

  // Completes once everything sent so far was acknowledged by the transport (QUIC) of every
  // consumer subscribed now, or fails at `within` (TimedOut). A consumer that leaves
  // meanwhile no longer counts; one closed as too slow lost its queue. Sends made while a
  // flush waits are not waited for.
  asio::awaitable<std::expected<void, FlushError>> flush(
      std::chrono::milliseconds within = kDefaultFlushDeadline) {
    auto core = state_->core;  // this handle may go while the flush waits
    const auto outcome = co_await core->flush(within);
    switch (outcome) {
      case detail::FlushOutcome::kDelivered:
        co_return std::expected<void, FlushError>{};
      case detail::FlushOutcome::kTimedOut:
        co_return std::unexpected(FlushError{FlushError::Kind::TimedOut});
      case detail::FlushOutcome::kClosed:
        break;
    }
    co_return std::unexpected(FlushError{FlushError::Kind::Closed});
  }

  When when() const { return state_->core->when(); }
  bool is_online() const { return when().is_online(); }
  std::vector<ChannelInfo> consumers() const { return state_->core->consumers(); }

 private:
  std::shared_ptr<detail::ProducerState<D>> state_;
};

template <Datum D>
class ProducerBuilder {
 public:
  explicit ProducerBuilder(std::shared_ptr<detail::StreamsApi> api) : api_(std::move(api)) {
    settings_.stream_id = derived_stream_id<D>();
  }

  // Consumers whose peer entry fails the predicate are refused with NotAllowed.
  ProducerBuilder& accept_if(std::function<bool(const discovery::PeerEntry&)> pred) {
    settings_.accept_if = std::move(pred);
    return *this;
  }
  // Default: online with at least one subscriber. Re-evaluated whenever the set changes.
  ProducerBuilder& online_when(std::function<ChannelConditions(ChannelConditions)> conditions) {
    settings_.online_when = std::move(conditions);
    return *this;
  }
  // true (default): a consumer whose queue is full is closed with TooSlow; false: the
  // producer waits for it (send) or reports Full (try_send).
  ProducerBuilder& disconnect_lagging(bool enabled) {
    settings_.disconnect_lagging = enabled;
    return *this;
  }
  // Datums queued per consumer (default 1024; 0 counts as 1).
  ProducerBuilder& with_buffer_size(std::size_t n) {
    settings_.buffer_size = n == 0 ? 1 : n;
    return *this;
  }
  // More subscribers than this are refused with NoCapacity.
  ProducerBuilder& with_max_consumers(std::size_t n) {
    settings_.max_consumers = n;
    return *this;
  }
  ProducerBuilder& with_stream_id(StreamId id) {
    settings_.stream_id = id;
    return *this;
  }
  // Receives every datum sent while online that no consumer's criteria matched. Runs on the
  // sending thread.
  ProducerBuilder& with_undelivered_sink(std::function<void(D)> sink) {
    undelivered_ = std::move(sink);
    return *this;
  }

  const detail::ProducerSettings& settings() const { return settings_; }

  [[nodiscard]] std::expected<Producer<D>, BuilderError<D>> build() {
    auto [state, created] = api_->producer(
        settings_.stream_id, std::type_index(typeid(D)), settings_,
        [sink = undelivered_](std::shared_ptr<detail::ProducerCore> core) -> std::shared_ptr<void> {
          return std::make_shared<detail::ProducerState<D>>(std::move(core), sink);
        });
    auto typed = std::static_pointer_cast<detail::ProducerState<D>>(state);
    if (!created) return std::unexpected(BuilderError<D>(AlreadyExists<D>{typed}));
    return Producer<D>(std::move(typed));
  }

 private:
  std::shared_ptr<detail::StreamsApi> api_;
  detail::ProducerSettings settings_;
  std::function<void(D)> undelivered_;
};

}  // namespace mosaik::streams
