#pragma once
// NodeShutdown: a node's graceful departure, run once by whoever asks first
// (Network::shutdown() or the last handle's destruction); later callers wait for it.
//  0. every group departs: its bonds tell their peers, its tasks stop;
//  1. producers send what they queued and close their consumers' connections with
//     GracefulShutdown once delivered, for at most the flush deadline; consumers close
//     their links with GracefulShutdown;
//  2. discovery announces the departure and gives it graceful_departure_window to spread;
//  3. the endpoint closes every remaining connection with GracefulShutdown.
// Streams go first so that what was sent arrives before the departure makes consumers
// drop their subscriptions.

#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <memory>

#include "../discovery/service.hpp"
#include "../groups/service.hpp"
#include "../streams/service.hpp"
#include "mosaik/primitives/async/notifier.hpp"
#include "mosaik/transport/endpoint.hpp"

namespace mosaik::detail {

class NodeShutdown {
 public:
  NodeShutdown(std::shared_ptr<groups::detail::GroupsService> groups,
               std::shared_ptr<streams::detail::StreamsService> streams,
               std::shared_ptr<discovery::detail::DiscoveryService> discovery,
               transport::Endpoint endpoint)
      : groups_(std::move(groups)),
        streams_(std::move(streams)),
        discovery_(std::move(discovery)),
        endpoint_(std::move(endpoint)) {}

  // Runs on the node's executor. The first call shuts the node down; the others wait until
  // it is down.
  asio::awaitable<void> run(std::chrono::milliseconds flush_deadline);
  bool done() const { return done_.load(std::memory_order_acquire); }

 private:
  std::shared_ptr<groups::detail::GroupsService> groups_;
  std::shared_ptr<streams::detail::StreamsService> streams_;
  std::shared_ptr<discovery::detail::DiscoveryService> discovery_;
  transport::Endpoint endpoint_;
  bool started_ = false;  // executor only
  std::atomic<bool> done_{false};
  Notifier finished_;
};

}  // namespace mosaik::detail
