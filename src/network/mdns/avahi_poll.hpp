// AsioAvahiPoll: avahi-core's main-loop interface (AvahiPoll: fd watches and timeouts) on an
// Asio executor, so an embedded avahi server runs on the node's event loop like every other
// subsystem: its callbacks run on that executor, one at a time, and need no locks.
//
//   AsioAvahiPoll poll(executor);
//   AvahiServer* s = avahi_server_new(poll.api(), &config, on_state, this, &error);
//
// Create, use and destroy it on the executor; free the avahi server before the poll.
#pragma once

#include <avahi-common/watch.h>

#include <asio/any_io_executor.hpp>

namespace mosaik::network::detail {

class AsioAvahiPoll {
 public:
  explicit AsioAvahiPoll(asio::any_io_executor executor);
  AsioAvahiPoll(const AsioAvahiPoll&) = delete;
  AsioAvahiPoll& operator=(const AsioAvahiPoll&) = delete;

  const AvahiPoll* api() const { return &api_; }
  const asio::any_io_executor& executor() const { return executor_; }

 private:
  AvahiPoll api_{};
  asio::any_io_executor executor_;
};

}  // namespace mosaik::network::detail
