#include "node_shutdown.hpp"

#include "mosaik/primitives/log.hpp"

namespace mosaik::detail {
namespace {

const auto& logger = log::module_logger<"network">;

}  // namespace

asio::awaitable<void> NodeShutdown::run(std::chrono::milliseconds flush_deadline) {
  if (started_) {
    for (;;) {  // bounded: done() turns true once, just before the notify() below
      const auto seen = finished_.version();
      if (done()) co_return;
      co_await finished_.wait_change(seen);
    }
  }
  started_ = true;
  const auto started = std::chrono::steady_clock::now();
  logger()->info("node {} shutting down", endpoint_.id());
  co_await groups_->stop();
  co_await streams_->stop(flush_deadline);
  co_await discovery_->stop();
  co_await endpoint_.shutdown();
  logger()->info("node {} left the network ({} ms)", endpoint_.id(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count());
  done_.store(true, std::memory_order_release);
  finished_.notify();
}

}  // namespace mosaik::detail
