// libFuzzer target: signed departures (src/discovery/departure.hpp) decoded, verified and
// applied with CatalogState::depart, between entries merged and purges, against a catalog
// that starts with real entries of four fixed peers (catalog_harness.hpp).
//
// Records (fuzz_records.hpp): op bit 0 says whether the bytes are a SignedDeparture or a
// SignedPeerEntry, bit 1 re-signs it for a fixed peer, bit 2 purges after it; the step
// moves the clock by step seconds.
//
// Invariants: an accepted departure carried its owner's signature and leaves no entry of
// that peer; a departure older than the entry held is refused; once a peer departed at
// version V, no entry of it up to V is accepted again until a newer one was, or the
// departure was forgotten (two purge_after periods); the catalog passes check_catalog.

#include <cstddef>
#include <cstdint>
#include <map>

#include "catalog_harness.hpp"
#include "fuzz_records.hpp"

namespace {

using namespace mosaik;
using namespace mosaik::discovery;
namespace harness = mosaik::fuzz::catalog_harness;

// The departures the catalog must still honour, as a peer would model them.
using Departed = std::map<PeerId, PeerEntryVersion>;

void depart(CatalogState& state, Departed& departed, SignedDeparture d, bool re_sign, Timestamp now) {
  if (re_sign) harness::re_sign(d);
  const CatalogEntry* held = state.catalog().get(d.departure.peer_id);
  const bool newer_held = held != nullptr && held->version() > d.departure.version;
  auto removed = state.depart(d, now);
  if (!removed) return;
  MOSAIK_FUZZ_CHECK(!newer_held);
  MOSAIK_FUZZ_CHECK(d.verify());
  MOSAIK_FUZZ_CHECK(!state.catalog().contains(d.departure.peer_id));
  auto& last = departed[d.departure.peer_id];
  last = std::max(last, d.departure.version);
}

void merge(CatalogState& state, Departed& departed, SignedPeerEntry e, bool re_sign, Timestamp now) {
  if (re_sign) harness::re_sign(e);
  auto change = state.merge(e, now);
  if (!change || *change == Change::kUnchanged) return;
  if (auto gone = departed.find(e.peer_id()); gone != departed.end()) {
    MOSAIK_FUZZ_CHECK(e.version() > gone->second);  // a replay of a departed version
    departed.erase(gone);
  }
}

void purge(CatalogState& state, Departed& departed, Timestamp now, const Config& config) {
  const Catalog before = state.catalog();
  for (const auto& id : state.purge(now)) {
    MOSAIK_FUZZ_CHECK(before.contains(id) && !state.catalog().contains(id));
    auto& last = departed[id];
    last = std::max(last, before.get(id)->version());
  }
  std::erase_if(departed, [&](const auto& kv) { return kv.second.update + 2 * config.purge_after < now; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Config config = harness::config();
  CatalogState state(harness::network(), harness::local_key().public_key(), config);
  Departed departed;
  Timestamp now = harness::kOrigin;
  for (std::size_t i = 0; i < config.max_catalog_entries; ++i) {
    MOSAIK_FUZZ_CHECK(state.merge(harness::entry_of(i, now - 5s, now), now).has_value());
  }
  fuzz::RecordReader records({data, size});
  while (auto record = records.next()) {
    now += harness::kClockStep * record->step;
    const bool re_sign = (record->op & 2) != 0;
    if (record->op & 1) {
      if (auto d = wire::decode<SignedDeparture>(record->bytes)) depart(state, departed, *d, re_sign, now);
    } else {
      if (auto e = wire::decode<SignedPeerEntry>(record->bytes)) merge(state, departed, *e, re_sign, now);
    }
    if (record->op & 4) purge(state, departed, now, config);
    harness::check_catalog(state, config, /*signatures=*/false);
  }
  harness::check_catalog(state, config, /*signatures=*/true);
  return 0;
}
