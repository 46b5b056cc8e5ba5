// libFuzzer target: the announce payload, what a node spreads by gossip (signed entries and
// signed departures, src/discovery/service.hpp AnnouncePayload), merged into a catalog the
// way DiscoveryService::on_announce does: our own entry skipped, the entries merged as one
// bounded batch, then each departure applied.
//
// Records (fuzz_records.hpp): the bytes are one encoded payload; op bit 0 re-signs what it
// carries for the fixed peers (catalog_harness.hpp), bit 1 purges after it; the step moves
// the clock by step seconds.
//
// Invariants: every entry of a batch is counted once (discovered, updated, unchanged or
// rejected); a changed entry is in the catalog after its batch; an applied departure carried
// its owner's signature and leaves no entry of that peer; the catalog always passes
// check_catalog (within max_catalog_entries, only valid signed entries of our network).

#include <cstddef>
#include <cstdint>

#include "catalog_harness.hpp"
#include "discovery/catalog_sync.hpp"
#include "discovery/service.hpp"
#include "fuzz_records.hpp"

namespace {

using namespace mosaik;
using namespace mosaik::discovery;
namespace harness = mosaik::fuzz::catalog_harness;

void merge_entries(CatalogState& state, const std::vector<SignedPeerEntry>& received, Timestamp now,
                   const Config& config) {
  std::vector<SignedPeerEntry> entries;
  for (const auto& e : received) {
    if (e.peer_id() != harness::local_key().public_key()) entries.push_back(e);
  }
  const MergeReport report = merge_batch(state, entries, now, config.max_catalog_entries);
  MOSAIK_FUZZ_CHECK(report.discovered + report.updated + report.unchanged + report.rejected == entries.size());
  MOSAIK_FUZZ_CHECK(report.changed.size() == report.discovered + report.updated);
  const auto catalog = state.catalog();
  for (const auto& [change, entry] : report.changed) {
    MOSAIK_FUZZ_CHECK(change != Change::kUnchanged);
    MOSAIK_FUZZ_CHECK(catalog.contains(entry.peer_id()));
  }
}

void apply_departures(CatalogState& state, const std::vector<SignedDeparture>& departures, Timestamp now) {
  for (const auto& d : departures) {
    if (d.departure.peer_id == harness::local_key().public_key()) continue;
    auto removed = state.depart(d, now);
    if (!removed) continue;
    MOSAIK_FUZZ_CHECK(d.verify());
    MOSAIK_FUZZ_CHECK(!state.catalog().contains(d.departure.peer_id));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Config config = harness::config();
  CatalogState state(harness::network(), harness::local_key().public_key(), config);
  Timestamp now = harness::kOrigin;
  fuzz::RecordReader records({data, size});
  while (auto record = records.next()) {
    now += harness::kClockStep * record->step;
    auto payload = wire::decode<discovery::detail::AnnouncePayload>(record->bytes);
    if (payload) {
      if (record->op & 1) {
        for (auto& e : payload->entries) harness::re_sign(e);
        for (auto& d : payload->departures) harness::re_sign(d);
      }
      merge_entries(state, payload->entries, now, config);
      apply_departures(state, payload->departures, now);
    }
    if (record->op & 2) {
      for (const auto& gone : state.purge(now)) MOSAIK_FUZZ_CHECK(!state.catalog().contains(gone));
    }
    harness::check_catalog(state, config, /*signatures=*/false);
  }
  harness::check_catalog(state, config, /*signatures=*/true);
  return 0;
}
