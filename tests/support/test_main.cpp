// The gtest main of every test binary: logging is configured from TEST_TRACE before any
// test runs (TEST_TRACE=debug, or "info,transport=trace"; TEST_TRACE_UNMUTE=1 also shows
// the noisy packet-level modules), and an uncaught exception is logged before aborting.
// MOSAIK_DHT_ROUTERS is set (empty) so that no node's DHT contacts the public routers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <exception>

#include "mosaik/primitives/log.hpp"

namespace {

void log_and_abort() {
  if (auto error = std::current_exception()) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      mosaik::log::get("test")->critical("uncaught exception: {}", e.what());
    } catch (...) {
      mosaik::log::get("test")->critical("uncaught non-standard exception");
    }
  }
  std::abort();
}

}  // namespace

int main(int argc, char** argv) {
  // Tests never reach the internet: a node's DHT gets no public routers unless a test names
  // its own (a local test DHT); see discovery::default_dht_routers().
  setenv("MOSAIK_DHT_ROUTERS", "", /*overwrite=*/0);
  if (const char* level = std::getenv("TEST_TRACE")) {
    mosaik::log::configure(level, std::getenv("TEST_TRACE_UNMUTE") != nullptr);
  } else {
    mosaik::log::configure("off");
  }
  std::set_terminate(log_and_abort);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
