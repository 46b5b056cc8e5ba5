#pragma once
// ChannelInfo: one subscription between a consumer and a producer, as either side sees it
// (producer.consumers(), consumer.producers()). A snapshot of the identities plus live views
// of the state and the stats.
//
//   for (const auto& info : producer.consumers()) fmt::print("{} {}\n", info.consumer_id(), info.stats());
//   co_await info.disconnected();

#include <asio/awaitable.hpp>
#include <fmt/format.h>

#include <memory>
#include <string_view>

#include "mosaik/discovery/peer_entry.hpp"
#include "mosaik/primitives/async/watch.hpp"
#include "mosaik/streams/criteria.hpp"
#include "mosaik/streams/stats.hpp"

namespace mosaik::streams {

enum class State {
  Connecting,  // handshake in progress
  Connected,   // active subscription
  Terminated,  // closed for good (a reconnection is a new channel)
};

std::string_view to_string(State s);

class ChannelInfo {
 public:
  ChannelInfo(StreamId stream, Criteria criteria, PeerId producer, PeerId consumer,
              std::shared_ptr<const discovery::PeerEntry> peer,
              std::shared_ptr<const detail::StatsCounters> stats, Watch<State> state)
      : stream_id_(stream), criteria_(criteria), producer_id_(producer), consumer_id_(consumer),
        peer_(std::move(peer)), stats_(std::move(stats)), state_(std::move(state)) {}

  const StreamId& stream_id() const { return stream_id_; }
  const Criteria& criteria() const { return criteria_; }
  const PeerId& producer_id() const { return producer_id_; }
  const PeerId& consumer_id() const { return consumer_id_; }
  // The remote peer's entry as it was when the subscription started.
  const discovery::PeerEntry& peer() const { return *peer_; }
  Stats stats() const { return Stats(stats_); }
  State state() const { return state_.borrow(); }
  bool is_connected() const { return state() == State::Connected; }
  WatchReceiver<State> state_watcher() const { return state_.subscribe(); }
  // Completes once the channel is Terminated.
  asio::awaitable<void> disconnected() const;

 private:
  StreamId stream_id_;
  Criteria criteria_;
  PeerId producer_id_;
  PeerId consumer_id_;
  std::shared_ptr<const discovery::PeerEntry> peer_;
  std::shared_ptr<const detail::StatsCounters> stats_;
  Watch<State> state_;  // shared with the subsystem, which sets it
};

}  // namespace mosaik::streams

template <>
struct fmt::formatter<mosaik::streams::State> : fmt::formatter<std::string_view> {
  auto format(mosaik::streams::State s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(mosaik::streams::to_string(s), ctx);
  }
};
