#pragma once
// The log lines of one module, captured for a test: what a user reads at info and above.
//
//   test::CapturedLog log("discovery");   // before any node exists
//   EXPECT_TRUE(log.wait_for("info", "peer " + id + " joined at"));

#include <spdlog/sinks/ringbuffer_sink.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include "mosaik/primitives/log.hpp"
#include "support/time.hpp"

namespace mosaik::test {

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
    const auto deadline = std::chrono::steady_clock::now() + secs(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (has(level, text)) return true;
      std::this_thread::sleep_for(millis(20));  // polling a log with a deadline
    }
    return has(level, text);
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  spdlog::level::level_enum previous_ = spdlog::level::warn;
};

}  // namespace mosaik::test
