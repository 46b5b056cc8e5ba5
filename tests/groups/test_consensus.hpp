#pragma once
// The consensus timing of the groups network tests, shared with the member process
// (group_member_main.cpp): members must agree on it, since it is part of the GroupId.
//
//   auto group = node.groups().with_key(key).with_state_machine(KvStore{})
//                    .with_consensus_config(test::test_consensus()).join();

#include <chrono>
#include <cstdint>

#include "mosaik/groups/consensus_config.hpp"

namespace mosaik::test {

// Loopback timing: heartbeats every 80-100 ms, a bond lost after 5 silent heartbeats
// (400-500 ms), elections after 500-700 ms of silence, forwarded commands and strong reads
// answered within 1 s, `founders` founders (three by default), a silent voter removed after
// 2 s (when more than three remain).
inline groups::ConsensusConfig test_consensus(std::uint32_t founders = 3) {
  using namespace std::chrono_literals;
  return groups::ConsensusConfig::builder()
      .with_heartbeat_interval(100ms)
      .with_heartbeat_jitter(20ms)
      .with_max_missed_heartbeats(5)
      .with_election_timeout(500ms)
      .with_election_timeout_jitter(200ms)
      .with_bootstrap_delay(500ms)
      .with_bootstrap_expect(founders)
      .with_forward_timeout(1s)
      .with_query_timeout(1s)
      .with_member_timeout(2s)
      .build();
}

}  // namespace mosaik::test
