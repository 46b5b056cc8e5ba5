#include "mosaik/primitives/log.hpp"

#include <gtest/gtest.h>

namespace mosaik {
namespace log_test {
namespace {

// Each test restores "off", the harness's level without TEST_TRACE (ctest runs one test per
// process).
struct LogSpec : ::testing::Test {
  ~LogSpec() override { log::configure("off"); }
};

TEST_F(LogSpec, a_module_entry_overrides_the_global_level_for_existing_and_new_loggers) {
  auto early = log::get("log-test-early");
  log::configure("warn,log-test-early=debug,log-test-late=trace");
  EXPECT_EQ(early->level(), spdlog::level::debug);
  EXPECT_EQ(log::get("log-test-late")->level(), spdlog::level::trace);
  EXPECT_EQ(log::get("log-test-other")->level(), spdlog::level::warn);
}

TEST_F(LogSpec, noisy_modules_follow_the_global_level_only_when_unmuted) {
  log::configure("debug");
  EXPECT_EQ(log::get("tls")->level(), spdlog::level::warn);
  log::configure("debug", /*unmute=*/true);
  EXPECT_EQ(log::get("tls")->level(), spdlog::level::debug);
  log::configure("info,tls=trace");
  EXPECT_EQ(log::get("tls")->level(), spdlog::level::trace);
}

TEST_F(LogSpec, an_unknown_level_is_ignored_and_the_rest_applies) {
  log::configure("error,log-test-typo=loud,log-test-known=info");
  EXPECT_EQ(log::get("log-test-typo")->level(), spdlog::level::err);
  EXPECT_EQ(log::get("log-test-known")->level(), spdlog::level::info);
}

TEST_F(LogSpec, module_logger_is_the_modules_logger_and_follows_later_specs) {
  const auto& cached = log::module_logger<"log-test-cached">();
  EXPECT_EQ(cached.get(), log::get("log-test-cached").get());
  EXPECT_EQ(&log::module_logger<"log-test-cached">(), &cached);  // looked up once
  log::configure("off,log-test-cached=debug");
  EXPECT_EQ(cached->level(), spdlog::level::debug);
}

}  // namespace
}  // namespace log_test
}  // namespace mosaik
