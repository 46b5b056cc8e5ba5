// libFuzzer target: the DHT bootstrap record (src/discovery/dht/record.hpp), the value any
// node on the Mainline DHT may write under our network's item, read back with decode_record
// and then updated with merge_self as the bootstrap loop does before publishing.
//
// Input layout: byte 0 moves the clock (in 10-minute steps), byte 1 is how many peers we
// know; the rest is the stored value.
//
// Invariants: decoding never keeps more than 2 * max_peers entries, one per peer, each with
// 1..max_addresses usable addresses; an unreadable value yields no entries; what was kept
// re-encodes and decodes to itself; merge_self publishes at most max_peers entries within
// max_bytes, ends with us, keeps no stale entry and accounts for every entry it dropped.

#include <cstddef>
#include <cstdint>
#include <random>
#include <set>

#include "discovery/dht/record.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace mosaik;
using namespace mosaik::discovery::dht;

constexpr std::uint64_t kOriginS = 1'700'000'000;  // 2023-11-14, unix seconds

const RecordPeer& self_template() {
  static const RecordPeer self = [] {
    const SecretKey key = SecretKey::from_seed("fuzz-dht-self");
    const EndpointAddr addr(key.public_key(), {SocketAddr(asio::ip::make_address("192.0.2.1"), 4001),
                                               SocketAddr(asio::ip::make_address("2001:db8::1"), 4001)});
    return make_record_peer(addr, 0, 0);
  }();
  return self;
}

void check_decoded(const DecodedRecord& decoded, const RecordPolicy& policy) {
  if (decoded.unreadable) MOSAIK_FUZZ_CHECK(decoded.record.peers.empty() && decoded.malformed == 1);
  MOSAIK_FUZZ_CHECK(decoded.record.peers.size() <= 2 * policy.max_peers);
  std::set<PeerId> ids;
  for (const auto& p : decoded.record.peers) {
    MOSAIK_FUZZ_CHECK(ids.insert(p.id).second);
    MOSAIK_FUZZ_CHECK(!p.addresses.empty() && p.addresses.size() <= policy.max_addresses);
    for (const auto& a : p.addresses) {
      MOSAIK_FUZZ_CHECK(a.port() != 0 && !a.address().is_unspecified() && !a.address().is_multicast());
    }
  }
  // What we kept is what a writer of this format would have written.
  RecordPolicy unbounded = policy;
  unbounded.max_bytes = SIZE_MAX;
  const auto again = decode_record(encode_record(decoded.record), unbounded);
  if (decoded.record.peers.empty()) return;
  MOSAIK_FUZZ_CHECK(!again.unreadable && again.malformed == 0);
  MOSAIK_FUZZ_CHECK(again.record == decoded.record);
}

void check_merged(const Record& current, const MergeResult& merged, const RecordPeer& self,
                  std::uint64_t now_s, const RecordPolicy& policy) {
  MOSAIK_FUZZ_CHECK(!merged.record.peers.empty() && merged.record.peers.back() == self);
  MOSAIK_FUZZ_CHECK(merged.record.peers.size() <= policy.max_peers);
  MOSAIK_FUZZ_CHECK(encode_record(merged.record).size() <= policy.max_bytes);
  std::set<PeerId> ids;
  for (const auto& p : merged.record.peers) {
    MOSAIK_FUZZ_CHECK(ids.insert(p.id).second);
    if (p.id == self.id) continue;
    MOSAIK_FUZZ_CHECK(p.updated_s + static_cast<std::uint64_t>(policy.max_age.count()) >= now_s);
    MOSAIK_FUZZ_CHECK(p.updated_s <= now_s + static_cast<std::uint64_t>(policy.max_future.count()));
  }
  std::size_t others = 0;
  for (const auto& p : current.peers) others += p.id != self.id;
  MOSAIK_FUZZ_CHECK(merged.record.peers.size() - 1 + merged.evicted.size() + merged.expired == others);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint64_t now_s = kOriginS + std::uint64_t{data[0]} * 600;
  RecordPeer self = self_template();
  self.known_peers = data[1];
  self.updated_s = now_s;
  const RecordPolicy policy;

  const DecodedRecord decoded = decode_record({data + 2, size - 2}, policy);
  check_decoded(decoded, policy);
  std::mt19937_64 rng(data[0]);
  const MergeResult merged = merge_self(decoded.record, self, now_s, policy, rng);
  check_merged(decoded.record, merged, self, now_s, policy);
  return 0;
}
