// Seeds of the catalog targets and the streams handshake: real signed entries, departures
// and messages of the fixed peers (catalog_harness.hpp), as their nodes would send them, in
// the record layouts of fuzz_announce_payload, fuzz_catalog_sync, fuzz_departure and
// fuzz_streams_subscribe.

#include "catalog_harness.hpp"
#include "discovery/service.hpp"
#include "fuzz_records.hpp"
#include "seeds.hpp"
#include "streams/protocol.hpp"

namespace mosaik::fuzz {
namespace {

using namespace catalog_harness;
using discovery::detail::AnnouncePayload;
using discovery::detail::CatalogSyncMessage;

constexpr Timestamp kStart = kOrigin - 30s;

// An entry of peer `i` with more in it than the limits allow.
discovery::SignedPeerEntry oversized_entry(std::size_t i) {
  auto e = entry_of(i, kStart, kOrigin).entry();
  for (int t = 0; t < 5; ++t) e.add_tag(Tag::from_u64(static_cast<std::uint64_t>(t)));
  return discovery::SignedPeerEntry::sign(e, peer_keys()[i]);
}

template <class M>
wire::Bytes records_of(std::initializer_list<std::tuple<std::uint8_t, std::uint8_t, M>> messages) {
  wire::Bytes out;
  for (const auto& [op, step, m] : messages) append_record(out, op, step, wire::encode(m));
  return out;
}

}  // namespace

std::vector<wire::Bytes> announce_payload_seeds() {
  using P = AnnouncePayload;
  std::vector<wire::Bytes> seeds;
  // A node's life as its neighbours hear it: first entry, refreshes, a departure, a replay.
  seeds.push_back(records_of<P>({{0, 0, P{{entry_of(0, kStart, kOrigin)}, {}}},
                                 {0, 5, P{{entry_of(0, kStart, kOrigin + 5s), entry_of(1, kStart, kOrigin + 5s)}, {}}},
                                 {0, 1, P{{}, {departure_of(0, kStart, kOrigin + 6s)}}},
                                 {0, 1, P{{entry_of(0, kStart, kOrigin + 5s)}, {}}},
                                 {2, 200, P{{}, {}}}}));
  // More peers than the catalog holds, then purges.
  seeds.push_back(records_of<P>({{0, 0, P{{entry_of(0, kStart, kOrigin), entry_of(1, kStart, kOrigin),
                                           entry_of(2, kStart, kOrigin), entry_of(3, kStart, kOrigin),
                                           entry_of(4, kStart, kOrigin), entry_of(5, kStart, kOrigin)}, {}}},
                                 {2, 70, P{{entry_of(5, kStart, kOrigin + 70s)}, {}}}}));
  // Re-signed by the harness: a future version (drift), an oversized entry, a stale one.
  seeds.push_back(records_of<P>({{1, 0, P{{entry_of(2, kStart, kOrigin + 60s)}, {}}},
                                 {1, 0, P{{oversized_entry(3)}, {}}},
                                 {1, 0, P{{entry_of(4, kStart - 120s, kOrigin - 120s)}, {}}},
                                 {1, 0, P{{}, {departure_of(4, kStart, kOrigin)}}}}));
  // A forged signature: peer 1's entry signed by peer 2.
  auto forged = discovery::SignedPeerEntry::from_parts(entry_of(1, kStart, kOrigin).entry(),
                                                       entry_of(2, kStart, kOrigin).signature());
  seeds.push_back(records_of<P>({{0, 0, P{{forged}, {}}}}));
  return seeds;
}

std::vector<wire::Bytes> catalog_sync_seeds() {
  using M = CatalogSyncMessage;
  std::vector<wire::Bytes> seeds;
  const auto local = discovery::SignedPeerEntry::sign(
      discovery::PeerEntry(network(), EndpointAddr(local_key().public_key())).set_version({kStart, kOrigin}),
      local_key());
  // A request (the dialer's catalog with its own entry first) and a reply.
  seeds.push_back(records_of<M>({{0, 0, M{network(), {entry_of(0, kStart, kOrigin), entry_of(1, kStart, kOrigin), local}}},
                                 {0, 3, M{network(), {entry_of(2, kStart, kOrigin + 2s), entry_of(0, kStart, kOrigin + 1s)}}}}));
  // Another network; a batch longer than the catalog could hold.
  seeds.push_back(records_of<M>({{0, 0, M{NetworkId("other-network"), {entry_of(0, kStart, kOrigin)}}},
                                 {0, 0, M{network(), {entry_of(0, kStart, kOrigin), entry_of(1, kStart, kOrigin),
                                                      entry_of(2, kStart, kOrigin), entry_of(3, kStart, kOrigin),
                                                      entry_of(4, kStart, kOrigin), entry_of(5, kStart, kOrigin)}}}}));
  seeds.push_back(records_of<M>({{1, 0, M{network(), {oversized_entry(1), entry_of(2, kOrigin, kStart)}}}}));
  // Digests first (docs/decisions/0213): a request with a summary (one entry held, one
  // newer, one unknown), then the third message with the entries asked for.
  const auto digest_of = [](const discovery::SignedPeerEntry& e) {
    return discovery::EntryVersion{e.peer_id().as_bytes(), e.version()};
  };
  seeds.push_back(records_of<M>(
      {{0, 0, M{network(), {entry_of(0, kStart, kOrigin), entry_of(1, kStart, kOrigin)}}},
       {0, 1, M{network(), {local}, {digest_of(entry_of(0, kStart, kOrigin)), digest_of(entry_of(1, kStart, kOrigin + 1s)),
                                     digest_of(entry_of(3, kStart, kOrigin)), digest_of(local)}, {}}},
       {0, 1, M{network(), {entry_of(1, kStart, kOrigin + 1s), entry_of(3, kStart, kOrigin)}, {}, {}}}}));
  return seeds;
}

std::vector<wire::Bytes> departure_seeds() {
  std::vector<wire::Bytes> seeds;
  // The catalog starts with peers 0-3 at (kOrigin - 5s, kOrigin) (fuzz_departure.cpp).
  const Timestamp start = kOrigin - 5s;
  wire::Bytes life;
  append_record(life, 1, 1, wire::encode(departure_of(0, start, kOrigin + 1s)));
  append_record(life, 0, 1, wire::encode(entry_of(0, start, kOrigin)));        // a replay
  append_record(life, 0, 1, wire::encode(entry_of(0, kOrigin + 2s, kOrigin + 2s)));  // restarted
  append_record(life, 1, 0, wire::encode(departure_of(1, start, kOrigin - 1s)));  // older than held
  append_record(life, 1, 0, wire::encode(departure_of(5, start, kOrigin)));       // never seen
  append_record(life, 0, 0, wire::encode(entry_of(5, start, kOrigin)));
  append_record(life, 4, 130, {});                                              // purge, forget
  append_record(life, 0, 0, wire::encode(entry_of(5, start, kOrigin + 130s)));
  seeds.push_back(life);
  wire::Bytes re_signed;
  append_record(re_signed, 3, 0, wire::encode(departure_of(2, start, kOrigin + 100s)));  // drift
  append_record(re_signed, 3, 0, wire::encode(discovery::SignedDeparture::sign(
                                     {NetworkId("other-network"), peer_keys()[3].public_key(), {start, kOrigin}},
                                     peer_keys()[3])));
  append_record(re_signed, 3, 0, wire::encode(discovery::SignedDeparture::sign(
                                     {network(), local_key().public_key(), {start, kOrigin}}, local_key())));
  seeds.push_back(re_signed);
  auto forged = departure_of(1, start, kOrigin);
  forged.signature = departure_of(2, start, kOrigin).signature;
  wire::Bytes bad;
  append_record(bad, 1, 0, wire::encode(forged));
  seeds.push_back(bad);
  return seeds;
}

std::vector<wire::Bytes> streams_subscribe_seeds() {
  using streams::detail::Subscribe;
  using streams::detail::SubscribeAccepted;
  const StreamId stream("prices");
  std::vector<wire::Bytes> seeds;
  // Ops: bit 0 SubscribeAccepted, bit 1 re-sign, bits 2-4 the connected peer.
  wire::Bytes handshake;
  append_record(handshake, 0 << 2, 0, wire::encode(Subscribe{network(), stream, {}, entry_of(0, kStart, kOrigin)}));
  append_record(handshake, 1, 0, wire::encode(SubscribeAccepted{stream}));
  append_record(handshake, 1 << 2, 1, wire::encode(Subscribe{network(), stream, {}, entry_of(1, kStart, kOrigin)}));
  seeds.push_back(handshake);
  wire::Bytes refused;
  append_record(refused, 1 << 2, 0, wire::encode(Subscribe{network(), stream, {}, entry_of(0, kStart, kOrigin)}));  // not its entry
  append_record(refused, 2 << 2, 0, wire::encode(Subscribe{NetworkId("other-network"), stream, {}, entry_of(2, kStart, kOrigin)}));
  append_record(refused, 3 << 2 | 2, 0, wire::encode(Subscribe{network(), StreamId("unknown"), {}, oversized_entry(3)}));
  append_record(refused, 1, 0, wire::encode(SubscribeAccepted{StreamId("other")}));
  seeds.push_back(refused);
  return seeds;
}

}  // namespace mosaik::fuzz
