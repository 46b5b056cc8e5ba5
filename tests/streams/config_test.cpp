#include <gtest/gtest.h>

#include "mosaik/streams/config.hpp"
#include "mosaik/streams/datum.hpp"

namespace mosaik::streams {
namespace config_test {
namespace {

using namespace std::chrono_literals;

TEST(StreamsConfig, default_backoff_is_exponential_with_five_minutes_max) {
  auto config = Config::builder().build();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->backoff().max_elapsed_time, std::chrono::milliseconds(5min));
  EXPECT_EQ(config->backoff().initial_interval, 500ms);
  EXPECT_EQ(config->backoff().base_delay(0), 500ms);
  EXPECT_EQ(config->backoff().base_delay(1), 750ms);
  EXPECT_EQ(config->backoff().base_delay(100), config->backoff().max_interval);
  EXPECT_EQ(config->max_pending_handshakes(), 256u);
}

TEST(StreamsConfig, invalid_backoff_is_refused) {
  EXPECT_FALSE(Config::builder().with_backoff(ExponentialBackoff{.initial_interval = 0ms}).build());
  EXPECT_FALSE(Config::builder().with_backoff(ExponentialBackoff{.multiplier = 0.5}).build());
  EXPECT_FALSE(Config::builder().with_backoff(ExponentialBackoff{.randomization_factor = 2}).build());
  EXPECT_TRUE(Config::builder().with_backoff(ExponentialBackoff{.max_elapsed_time = std::nullopt}).build());
  EXPECT_FALSE(Config::builder().with_max_pending_handshakes(0).build());
}

struct Named {
  int x;
  MSGPACK_DEFINE(x);
  static constexpr std::string_view stream_name = "named/v1";
};
struct Unnamed {
  int x;
  MSGPACK_DEFINE(x);
};
struct Traited {
  int x;
  MSGPACK_DEFINE(x);
};

}  // namespace
}  // namespace config_test

template <>
struct stream_name_of<config_test::Traited> {
  static constexpr std::string_view value = "traited/v1";
};

namespace config_test {
namespace {

TEST(Datum, stream_id_hashes_the_declared_name) {
  EXPECT_EQ(derived_stream_id<Named>(), StreamId("named/v1"));
  EXPECT_EQ(derived_stream_id<Traited>(), StreamId("traited/v1"));
}

TEST(Datum, stream_id_falls_back_to_the_compiler_type_name) {
  EXPECT_EQ(stream_name<Unnamed>(), "mosaik::streams::config_test::{anonymous}::Unnamed");
  EXPECT_EQ(stream_name<std::string>().substr(0, 5), "std::");
  EXPECT_NE(derived_stream_id<Unnamed>(), derived_stream_id<Named>());
}

}  // namespace
}  // namespace config_test
}  // namespace mosaik::streams
