// libFuzzer target: catalog sync (/mosaik/catalog-sync), one CatalogSyncMessage from a peer
// (src/discovery/service.hpp) handled as DiscoveryService does with a request or a reply:
// another network's message is refused whole, otherwise its entries (ours skipped) are
// merged with merge_batch, bounded by max_catalog_entries.
//
// Records (fuzz_records.hpp): the bytes are one encoded message; op bit 0 re-signs the
// entries of the fixed peers (catalog_harness.hpp); the step moves the clock by seconds.
//
// Invariants: a batch longer than the catalog could hold is refused whole and changes
// nothing; otherwise every entry is counted once and a changed entry is in the catalog; a
// message of another network changes nothing; the catalog always passes check_catalog.
// A request's summary (digests first, docs/decisions/0213) is answered as the acceptor
// does: the reply carries only what the summary lacks or names older; `wanted` never names
// us, stays within max_catalog_entries and names only what the summary has newer than we.

#include <algorithm>
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

void merge_message(CatalogState& state, const discovery::detail::CatalogSyncMessage& message, Timestamp now,
                   const Config& config) {
  const Catalog before = state.catalog();
  if (message.network_id != harness::network()) return;  // closed with DifferentNetwork
  std::vector<SignedPeerEntry> entries;
  for (const auto& e : message.entries) {
    if (e.peer_id() != harness::local_key().public_key()) entries.push_back(e);
  }
  const MergeReport report = merge_batch(state, entries, now, config.max_catalog_entries);
  if (entries.size() > config.max_catalog_entries + 1) {
    MOSAIK_FUZZ_CHECK(report.rejected == entries.size() && report.changed.empty());
    MOSAIK_FUZZ_CHECK(state.catalog() == before);
    return;
  }
  MOSAIK_FUZZ_CHECK(report.discovered + report.updated + report.unchanged + report.rejected == entries.size());
  MOSAIK_FUZZ_CHECK(report.changed.size() == report.discovered + report.updated);
  const auto after = state.catalog();
  for (const auto& [change, entry] : report.changed) MOSAIK_FUZZ_CHECK(after.contains(entry.peer_id()));
  if (report.changed.empty()) MOSAIK_FUZZ_CHECK(after == before);
}

void answer_summary(const CatalogState& state, const discovery::detail::CatalogSyncMessage& message,
                    const Config& config) {
  if (message.network_id != harness::network()) return;
  const auto catalog = state.catalog();
  const auto me = harness::local_key().public_key();
  const auto wanted = wanted_from(catalog, me, message.summary, config.max_catalog_entries);
  MOSAIK_FUZZ_CHECK(wanted.size() <= config.max_catalog_entries);
  for (const auto& id : wanted) {
    MOSAIK_FUZZ_CHECK(id != me.as_bytes());
    const auto* held = catalog.get(PeerId::from_bytes(id));
    const bool newer_named = std::any_of(message.summary.begin(), message.summary.end(), [&](const auto& e) {
      return e.peer == id && (held == nullptr || !held->is_signed() || e.version > held->version());
    });
    MOSAIK_FUZZ_CHECK(newer_named);
  }
  if (message.summary.empty()) return;
  const auto reply = entries_to_share(catalog, SignedPeerEntry{}, SIZE_MAX, 0, &message.summary);
  // Whatever is sent, the summary names not at all or in an older version.
  for (std::size_t i = 1; i < reply.size(); ++i) {
    const auto id = reply[i].peer_id().as_bytes();
    const bool named = std::any_of(message.summary.begin(), message.summary.end(),
                                   [&](const auto& e) { return e.peer == id; });
    const bool named_older = std::any_of(message.summary.begin(), message.summary.end(), [&](const auto& e) {
      return e.peer == id && e.version < reply[i].version();
    });
    MOSAIK_FUZZ_CHECK(!named || named_older);
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
    auto message = wire::decode<discovery::detail::CatalogSyncMessage>(record->bytes);
    if (!message) continue;
    if (record->op & 1) {
      for (auto& e : message->entries) harness::re_sign(e);
    }
    merge_message(state, *message, now, config);
    answer_summary(state, *message, config);
    harness::check_catalog(state, config, /*signatures=*/false);
  }
  harness::check_catalog(state, config, /*signatures=*/true);
  return 0;
}
