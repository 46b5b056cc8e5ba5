#include "reports.hpp"

#include <fmt/format.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <map>
#include <set>

namespace quickstart {
namespace {

using mosaik::PeerId;
using mosaik::streams::ChannelInfo;

// Waits until the number of connected channels differs from `n` (When's conditions count
// Connected channels only).
asio::awaitable<void> until_count_differs(const mosaik::streams::When& when, std::size_t n) {
  using namespace asio::experimental::awaitable_operators;
  if (n == 0) {
    co_await when.subscribed().wait();
  } else {
    co_await (when.subscribed().minimum_of(n + 1).wait() ||
              when.subscribed().minimum_of(n).unmet().wait());
  }
}

template <class PeerOf>
std::set<PeerId> connected(const std::vector<ChannelInfo>& channels, PeerOf peer_of) {
  std::set<PeerId> ids;
  for (const auto& info : channels) {
    if (info.is_connected()) ids.insert(peer_of(info));
  }
  return ids;
}

}  // namespace

asio::awaitable<void> report_consumers(mosaik::streams::Producer<SensorReading> producer) {
  std::set<PeerId> known;
  for (;;) {  // one round per change of the subscriber count; ends when cancelled
    auto now =
        connected(producer.consumers(), [](const ChannelInfo& i) { return i.consumer_id(); });
    for (const auto& id : now) {
      if (!known.contains(id)) fmt::print("producer: consumer {} subscribed\n", id);
    }
    for (const auto& id : known) {
      if (!now.contains(id)) fmt::print("producer: consumer {} left\n", id);
    }
    known = std::move(now);
    co_await until_count_differs(producer.when(), known.size());
  }
}

asio::awaitable<void> report_subscriptions(mosaik::streams::Consumer<SensorReading> consumer) {
  auto events = consumer.events();
  std::set<PeerId> known;
  std::set<PeerId> ever;  // producers we were subscribed to before: a return is a restore
  // The last reason each producer's subscription ended with (events come before the
  // channel is marked Terminated).
  std::map<PeerId, std::string> why;
  for (;;) {  // one round per change of the subscription count; ends when cancelled
    for (std::size_t i = 0; i < 1024; ++i) {  // what arrived since the last round
      auto ev = events.try_recv();
      if (!ev) break;
      why[ev->producer_id] =
          fmt::format("{}{}", ev->reason, ev->message.empty() ? "" : ", " + ev->message);
    }
    auto now =
        connected(consumer.producers(), [](const ChannelInfo& i) { return i.producer_id(); });
    for (const auto& id : now) {
      if (known.contains(id)) continue;
      if (ever.contains(id)) {
        fmt::print("consumer: restored: subscribed to producer {} again\n", id);
      } else {
        fmt::print("consumer: subscribed to producer {}\n", id);
      }
      ever.insert(id);
    }
    for (const auto& id : known) {
      if (now.contains(id)) continue;
      const auto reason = why.find(id);
      fmt::print("consumer: lost producer {} ({})\n", id,
                 reason != why.end() ? reason->second : std::string("no reason given"));
    }
    known = std::move(now);
    co_await until_count_differs(consumer.when(), known.size());
  }
}

asio::awaitable<void> report_departures(mosaik::Network node, std::string role) {
  auto events = node.discovery().events();
  for (;;) {
    auto ev = co_await events.recv();
    if (!ev) {
      if (std::holds_alternative<mosaik::BroadcastClosed>(ev.error())) co_return;  // node down
      continue;  // lagged: nothing to report about the peers it skipped
    }
    if (const auto* gone = std::get_if<mosaik::discovery::PeerDeparted>(&*ev)) {
      fmt::print("{}: peer {} left the network\n", role, gone->peer_id);
    }
  }
}

}  // namespace quickstart
