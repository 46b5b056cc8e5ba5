// What a user reads at the default level (info) through one node's lifecycle: a peer that
// joins, a peer that departs, and a bootstrap peer that cannot be reached (warn).
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include <algorithm>
#include <thread>

#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/log.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace {

const NetworkId kNet = "node-log-test";

// The lines one module logs at info and above while it lives. Installed before any node
// exists and removed after the last one is gone (spdlog's sink list is not for sharing).
class CapturedLog {
 public:
  explicit CapturedLog(std::string_view module)
      : logger_(log::get(module)), sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1024)) {
    previous_ = logger_->level();
    logger_->set_level(spdlog::level::info);
    sink_->set_pattern("%l %v");
    logger_->sinks().push_back(sink_);
  }
  ~CapturedLog() {
    auto& sinks = logger_->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    logger_->set_level(previous_);
  }
  bool has(std::string_view level, std::string_view text) const {
    const auto lines = sink_->last_formatted();
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.starts_with(level) && line.find(text) != std::string::npos;
    });
  }
  // Polls for a line (bounded): log lines are written on the nodes' threads.
  bool wait_for(std::string_view level, std::string_view text, double seconds = 10) const {
    const auto deadline = std::chrono::steady_clock::now() + test::secs(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (has(level, text)) return true;
      std::this_thread::sleep_for(test::millis(20));  // polling a log with a deadline
    }
    return has(level, text);
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  spdlog::level::level_enum previous_ = spdlog::level::warn;
};

TEST(NodeLog, a_join_and_a_departure_are_logged_at_info_with_the_peer) {
  CapturedLog discovery_log("discovery");
  {
    auto a = block_on(test::make_node(kNet));
    std::string b_id;
    {
      auto b = block_on(test::make_node(kNet, test::fast_discovery().with_bootstrap(a.local().addr())));
      b_id = fmt::format("{}", b.local().id());
      EXPECT_TRUE(discovery_log.wait_for("info", "peer " + b_id + " joined at"));
    }
    EXPECT_TRUE(discovery_log.wait_for("info", "peer " + b_id + " departed"));
  }
}

TEST(NodeLog, an_unreachable_bootstrap_peer_is_a_warning_that_names_it) {
  CapturedLog discovery_log("discovery");
  {
    // An address where nothing answers: the handshake times out (shortened here).
    const EndpointAddr nobody(SecretKey::generate().public_key(),
                              {SocketAddr(asio::ip::make_address("127.0.0.1"), 9)});
    transport::EndpointConfig quick;
    quick.handshake_timeout = test::millis(500);
    const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
    auto built = block_on(Network::builder(kNet)
                              .with_addresses(loopback)
                              .with_relay_mode(RelayMode::kDisabled)
                              .with_transport(quick)
                              .with_discovery(test::fast_discovery().with_bootstrap(nobody))
                              .build());
    ASSERT_TRUE(built) << built.error().message;
    EXPECT_TRUE(discovery_log.wait_for("warning", fmt::format("bootstrap peer {}", nobody.id)));
  }
}

}  // namespace
}  // namespace mosaik
