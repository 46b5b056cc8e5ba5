#include <stdexcept>

#include <gtest/gtest.h>

#include <mosaik/groups/consensus_config.hpp>

namespace mosaik::groups {
namespace consensus_config_test {
namespace {

using namespace std::chrono_literals;

TEST(ConsensusConfig, defaults_are_the_seeds) {
  ConsensusConfig c;
  EXPECT_EQ(c.heartbeat_interval, 500ms);
  EXPECT_EQ(c.heartbeat_jitter, 150ms);
  EXPECT_EQ(c.max_missed_heartbeats, 10u);
  EXPECT_EQ(c.election_timeout, 2s);
  EXPECT_EQ(c.election_timeout_jitter, 500ms);
  EXPECT_EQ(c.bootstrap_delay, 3s);
  EXPECT_EQ(c.forward_timeout, 2s);
  EXPECT_EQ(c.query_timeout, 2s);
  EXPECT_EQ(c.bootstrap_expect, 1u);
  EXPECT_TRUE(c.validate().has_value());
}

TEST(ConsensusConfig, every_shared_parameter_changes_the_digest) {
  const auto base = ConsensusConfig{}.digest();
  EXPECT_EQ(base, ConsensusConfig{}.digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_heartbeat_interval(400ms).build().digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_heartbeat_jitter(100ms).build().digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_max_missed_heartbeats(9).build().digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_election_timeout(3s).build().digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_election_timeout_jitter(1s).build().digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_bootstrap_delay(1s).build().digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_forward_timeout(1s).build().digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_query_timeout(1s).build().digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_bootstrap_expect(3).build().digest());
  EXPECT_NE(base, ConsensusConfig::builder().with_member_timeout(60s).build().digest());
}

TEST(ConsensusConfig, deprioritizing_leadership_is_local_and_keeps_the_digest) {
  const auto reader = ConsensusConfig{}.deprioritize_leadership();
  EXPECT_EQ(reader.leadership_factor, 3u);
  EXPECT_EQ(ConsensusConfig{}.deprioritize_leadership_by(5).leadership_factor, 5u);
  EXPECT_EQ(reader.digest(), ConsensusConfig{}.digest());
}

TEST(ConsensusConfig, election_timeout_not_above_heartbeat_is_refused) {
  auto b = ConsensusConfig::builder().with_heartbeat_interval(1s).with_election_timeout(1s);
  EXPECT_FALSE(b.try_build().has_value());
  EXPECT_THROW((void)b.build(), std::invalid_argument);
  EXPECT_FALSE(ConsensusConfig::builder().with_bootstrap_expect(0).try_build().has_value());
  EXPECT_FALSE(ConsensusConfig::builder().with_heartbeat_jitter(600ms).try_build().has_value());
}

}  // namespace
}  // namespace consensus_config_test
}  // namespace mosaik::groups
