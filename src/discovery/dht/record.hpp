#pragma once
// The DHT bootstrap record, sans-IO: what one network's shared BEP 44 item holds, how it is
// encoded (msgpack, docs/decisions/0360-dht-bootstrap-record.md), read back defensively,
// and updated (add or refresh ourselves, drop stale peers, evict the least-connected when
// full). No sockets, clocks or libtorrent here: time and randomness come in as arguments.
//
//   auto read = decode_record(bytes);                      // never throws; counts what it drops
//   auto next = merge_self(read.record, self, now_s, policy, rng);
//   auto out  = encode_record(next.record);                // fits policy.max_bytes

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "mainline.hpp"
#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/primitives/network_secret.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/transport/endpoint_addr.hpp"

namespace mosaik::discovery::dht {

// One peer in the record: who, where, how many peers it knew when it wrote (the seed's
// `peers=N`, used to pick whom to evict) and when it last wrote (unix seconds).
struct RecordPeer {
  PeerId id;
  std::vector<SocketAddr> addresses;
  std::uint32_t known_peers = 0;
  std::uint64_t updated_s = 0;

  EndpointAddr endpoint() const;
  bool operator==(const RecordPeer&) const = default;
};

struct Record {
  static constexpr std::uint8_t kVersion = 1;
  std::vector<RecordPeer> peers;
  bool operator==(const Record&) const = default;
};

struct RecordPolicy {
  std::size_t max_peers = 12;                              // the seed's limit per record
  std::size_t max_bytes = MainlineDht::kMaxValueBytes;     // BEP 44: 1000 bytes bencoded
  std::size_t max_addresses = 4;                           // per peer; more are dropped
  std::chrono::seconds max_age = std::chrono::hours(1);    // older entries are dropped
  std::chrono::seconds max_future = std::chrono::minutes(10);  // clock skew tolerated
};

// What reading a record found. `malformed` counts entries (or a whole record) ignored
// because they were not what a writer of this format produces.
struct DecodedRecord {
  Record record;
  std::size_t malformed = 0;
  bool unreadable = false;  // the value as a whole was not a version-1 record
};

// The peer that `addr` describes as we would write it (first max_addresses addresses).
RecordPeer make_record_peer(const EndpointAddr& addr, std::uint32_t known_peers,
                            std::uint64_t now_s, const RecordPolicy& policy = {});

[[nodiscard]] wire::Bytes encode_record(const Record& record);
// Bounded and total: never throws, reads at most policy.max_bytes bytes and keeps at most
// 2 * policy.max_peers entries; duplicates keep the newest entry of a peer.
[[nodiscard]] DecodedRecord decode_record(std::span<const std::uint8_t> bytes,
                                          const RecordPolicy& policy = {});

struct MergeResult {
  Record record;                    // what to publish; encodes within policy.max_bytes
  std::vector<RecordPeer> evicted;  // live peers pushed out: dial them directly
  std::size_t expired = 0;          // entries dropped for age (or a clock far ahead)
};

// Adds `self` to `current` (replacing its older entry), drops stale entries, and evicts the
// least-connected other peer (ties broken by `rng`) until the record holds at most
// max_peers entries and encodes within max_bytes.
MergeResult merge_self(const Record& current, const RecordPeer& self, std::uint64_t now_s,
                       const RecordPolicy& policy, std::mt19937_64& rng);

// The item every node of `network` reads and writes. Without a network secret the key pair
// seed and the salt derive from the NetworkId alone, so anyone who knows the network's name
// can find, read and overwrite the record. With one they derive from the secret (bound to
// the network): others can neither compute where it is nor sign a replacement
// (docs/decisions/0206).
MutableItemKey network_item_key(const NetworkId& network,
                                const std::optional<NetworkSecret>& secret = std::nullopt);

// Adaptive polling: aggressive while we know nobody, relaxed afterwards.
inline constexpr std::chrono::milliseconds kAggressivePoll = std::chrono::seconds(5);
std::chrono::milliseconds next_poll_delay(bool knows_peers, std::chrono::milliseconds relaxed);

}  // namespace mosaik::discovery::dht
