#pragma once
// Consumer<D>: receives datums of type D from every producer of its stream that it
// discovers (the seed's Consumers chapter). Its worker subscribes, reconnects with backoff
// and stops when the last handle goes. Copies share one queue (each datum reaches one of
// them).
//
//   auto consumer = network.streams().consume<Price>();
//   while (auto price = co_await consumer.recv()) fmt::print("{}\n", price->price);
//   auto now = consumer.try_recv();   // expected<D, TryRecvError>

#include <asio/awaitable.hpp>

#include <expected>
#include <functional>
#include <memory>
#include <optional>

#include "mosaik/streams/datum.hpp"
#include "mosaik/streams/detail/streams_api.hpp"

namespace mosaik::streams {

enum class TryRecvError {
  Empty,         // nothing queued right now
  Disconnected,  // the consumer is closed and drained
};

namespace detail {
template <class D>
struct ConsumerState {
  std::shared_ptr<Inbox<D>> inbox;
  std::shared_ptr<ConsumerCore> core;
  ConsumerState(std::shared_ptr<Inbox<D>> i, std::shared_ptr<ConsumerCore> c)
      : inbox(std::move(i)), core(std::move(c)) {}
  ConsumerState(const ConsumerState&) = delete;
  ConsumerState& operator=(const ConsumerState&) = delete;
  ~ConsumerState() {
    core->close();
    inbox->close();
  }
};
}  // namespace detail

template <Datum D>
class Consumer {
 public:
  explicit Consumer(std::shared_ptr<detail::ConsumerState<D>> state) : state_(std::move(state)) {}

  const StreamId& stream_id() const { return state_->core->stream_id(); }

  // The next datum, in the order each producer sent them; nullopt once the consumer is
  // closed (its node shut down) and drained.
  asio::awaitable<std::optional<D>> recv() { return detail::Inbox<D>::pop(state_->inbox); }
  // The same, for `while (auto d = co_await consumer.next())` readers.
  asio::awaitable<std::optional<D>> next() { return recv(); }

  std::expected<D, TryRecvError> try_recv() {
    bool closed = false;
    auto got = state_->inbox->try_pop(closed);
    if (got) return std::move(*got);
    return std::unexpected(closed ? TryRecvError::Disconnected : TryRecvError::Empty);
  }

  When when() const { return state_->core->when(); }
  bool is_online() const { return when().is_online(); }
  std::vector<ChannelInfo> producers() const { return state_->core->producers(); }
  // Totals over every subscription; uptime since the consumer last became connected.
  Stats stats() const { return state_->core->stats(); }
  // Why subscriptions ended or were refused (NotAllowed, NoCapacity, TooSlow, ...).
  BroadcastReceiver<ChannelEvent> events() const { return state_->core->events(); }
  std::uint64_t protocol_violations() const {
    return state_->core->protocol_violations() + state_->inbox->late_violations();
  }

 private:
  std::shared_ptr<detail::ConsumerState<D>> state_;
};

template <Datum D>
class ConsumerBuilder {
 public:
  explicit ConsumerBuilder(std::shared_ptr<detail::StreamsApi> api) : api_(std::move(api)) {
    settings_.stream_id = derived_stream_id<D>();
  }

  // Subscribe only to producers whose peer entry passes (asked on each discovery).
  ConsumerBuilder& subscribe_if(std::function<bool(const discovery::PeerEntry&)> pred) {
    settings_.subscribe_if = std::move(pred);
    return *this;
  }
  ConsumerBuilder& with_criteria(Criteria criteria) {
    settings_.criteria = criteria;
    return *this;
  }
  ConsumerBuilder& with_stream_id(StreamId id) {
    settings_.stream_id = id;
    return *this;
  }
  // Reconnection policy; default: the streams config's (exponential, 5 minutes).
  ConsumerBuilder& with_backoff(ExponentialBackoff backoff) {
    settings_.backoff = backoff;
    return *this;
  }

  const detail::ConsumerSettings& settings() const { return settings_; }

  Consumer<D> build() {
    auto inbox = std::make_shared<detail::Inbox<D>>();
    auto core = api_->consumer(settings_, inbox);
    return Consumer<D>(std::make_shared<detail::ConsumerState<D>>(std::move(inbox), std::move(core)));
  }

 private:
  std::shared_ptr<detail::StreamsApi> api_;
  detail::ConsumerSettings settings_;
};

}  // namespace mosaik::streams
