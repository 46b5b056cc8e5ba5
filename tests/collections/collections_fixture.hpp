#pragma once
// Helpers of the collections network tests: the test timing, and waits on collections.
//
//   auto nodes = co_await test::make_converged_nodes(kNet, 2, [] { return test::fast_discovery(); });
//   auto w = Map<std::string, std::uint64_t>::writer_with_options(nodes[0], "s", test::collection_options());

#include <chrono>
#include <cstdint>

#include "mosaik/collections/options.hpp"
#include "mosaik/collections/version.hpp"
#include "node_fixture.hpp"
#include "test_consensus.hpp"

namespace mosaik::test {

// Loopback consensus timing (test_consensus); `founders` writers found the group; members
// snapshot every `snapshot_interval` commands and fetch in small batches, so a late member
// of a few hundred entries already syncs by snapshot from several sources.
inline collections::Options collection_options(std::uint32_t founders = 1, std::uint64_t snapshot_interval = 50) {
  collections::Options o;
  o.consensus = test_consensus(founders);
  o.sync.snapshot_interval = snapshot_interval;
  o.sync.fetch_batch_size = 16;
  o.sync.fetch_timeout = std::chrono::seconds(2);
  o.sync.snapshot_request_timeout = std::chrono::seconds(5);
  return o;
}

// Waits until `c` (any collection) reaches `v`; fails the test at the caller's line after `seconds`.
template <class C>
asio::awaitable<collections::Version> reaches(const C& c, collections::Version v, double seconds = 15,
                                              std::source_location where = std::source_location::current()) {
  co_return co_await timeout_s(seconds, c.when().reaches(v), where);
}

}  // namespace mosaik::test
