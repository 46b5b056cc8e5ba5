#include "record.hpp"

#include <algorithm>
#include <iterator>
#include <map>

namespace mosaik::discovery::dht {
namespace {

// On the wire a peer is [peer id, [address...], known peers, updated (unix seconds)] and the
// record is [version, [peer...]] (docs/decisions/0360-dht-bootstrap-record.md).
struct WirePeer {
  PeerId id;
  std::vector<SocketAddr> addresses;
  std::uint32_t known_peers = 0;
  std::uint64_t updated_s = 0;
  MOSAIK_WIRE_FIELDS(id, addresses, known_peers, updated_s);
};

struct WireRecord {
  std::uint8_t version = Record::kVersion;
  std::vector<WirePeer> peers;
  MOSAIK_WIRE_FIELDS(version, peers);
};

bool usable_address(const SocketAddr& a) {
  return a.port() != 0 && !a.address().is_unspecified() && !a.address().is_multicast();
}

bool well_formed(const WirePeer& p, const RecordPolicy& policy) {
  if (p.addresses.empty() || p.addresses.size() > policy.max_addresses) return false;
  return std::all_of(p.addresses.begin(), p.addresses.end(), usable_address);
}

std::size_t encoded_size(const Record& r) { return encode_record(r).size(); }

}  // namespace

EndpointAddr RecordPeer::endpoint() const {
  return EndpointAddr(id, std::set<SocketAddr>(addresses.begin(), addresses.end()));
}

RecordPeer make_record_peer(const EndpointAddr& addr, std::uint32_t known_peers,
                            std::uint64_t now_s, const RecordPolicy& policy) {
  RecordPeer p{addr.id, {}, known_peers, now_s};
  for (const auto& a : addr.direct_addresses) {
    if (p.addresses.size() >= policy.max_addresses) break;
    if (usable_address(a)) p.addresses.push_back(a);
  }
  return p;
}

wire::Bytes encode_record(const Record& record) {
  WireRecord w;
  w.peers.reserve(record.peers.size());
  for (const auto& p : record.peers) {
    w.peers.push_back(WirePeer{p.id, p.addresses, p.known_peers, p.updated_s});
  }
  return wire::encode(w);
}

DecodedRecord decode_record(std::span<const std::uint8_t> bytes, const RecordPolicy& policy) {
  DecodedRecord out;
  auto unreadable = [&out] {
    out.unreadable = true;
    out.malformed = 1;
    return out;
  };
  if (bytes.empty() || bytes.size() > policy.max_bytes) return unreadable();
  std::vector<WirePeer> peers;
  try {
    msgpack::object_handle handle = wire::detail::unpack_bounded(bytes);
    const msgpack::object& top = handle.get();
    if (top.type != msgpack::type::ARRAY || top.via.array.size != 2) return unreadable();
    const msgpack::object& version = top.via.array.ptr[0];
    if (version.type != msgpack::type::POSITIVE_INTEGER || version.via.u64 != Record::kVersion) {
      return unreadable();
    }
    const msgpack::object& list = top.via.array.ptr[1];
    if (list.type != msgpack::type::ARRAY) return unreadable();
    const std::size_t limit = 2 * policy.max_peers;
    for (std::uint32_t i = 0; i < list.via.array.size; ++i) {
      if (i >= limit) {
        out.malformed += list.via.array.size - i;  // more than any writer of ours produces
        break;
      }
      try {
        auto p = list.via.array.ptr[i].as<WirePeer>();
        if (well_formed(p, policy)) {
          peers.push_back(std::move(p));
        } else {
          ++out.malformed;
        }
      } catch (...) {  // msgpack throws types outside std::exception too
        ++out.malformed;
      }
    }
  } catch (...) {
    return unreadable();
  }
  // One entry per peer: the newest wins.
  std::map<PeerId, WirePeer> newest;
  for (auto& p : peers) {
    auto [it, inserted] = newest.try_emplace(p.id, p);
    if (!inserted) {
      ++out.malformed;
      if (p.updated_s > it->second.updated_s) it->second = std::move(p);
    }
  }
  for (auto& [id, p] : newest) {
    out.record.peers.push_back(RecordPeer{p.id, std::move(p.addresses), p.known_peers, p.updated_s});
  }
  return out;
}

MergeResult merge_self(const Record& current, const RecordPeer& self, std::uint64_t now_s,
                       const RecordPolicy& policy, std::mt19937_64& rng) {
  MergeResult out;
  const auto max_age = static_cast<std::uint64_t>(policy.max_age.count());
  const auto max_future = static_cast<std::uint64_t>(policy.max_future.count());
  for (const auto& p : current.peers) {
    if (p.id == self.id) continue;
    const bool too_old = p.updated_s + max_age < now_s;
    const bool too_new = p.updated_s > now_s + max_future;
    if (too_old || too_new) {
      ++out.expired;
      continue;
    }
    out.record.peers.push_back(p);
  }
  // Evict until there is room for us: the least-connected first, ties broken at random so
  // that no peer is starved deterministically.
  for (;;) {
    Record candidate = out.record;
    candidate.peers.push_back(self);
    const bool fits = candidate.peers.size() <= policy.max_peers &&
                      encoded_size(candidate) <= policy.max_bytes;
    if (fits || out.record.peers.empty()) break;
    std::uint32_t fewest = out.record.peers.front().known_peers;
    for (const auto& p : out.record.peers) fewest = std::min(fewest, p.known_peers);
    std::vector<std::size_t> ties;
    for (std::size_t i = 0; i < out.record.peers.size(); ++i) {
      if (out.record.peers[i].known_peers == fewest) ties.push_back(i);
    }
    const auto pick = ties[std::uniform_int_distribution<std::size_t>(0, ties.size() - 1)(rng)];
    out.evicted.push_back(out.record.peers[pick]);
    out.record.peers.erase(out.record.peers.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  out.record.peers.push_back(self);
  return out;
}

MutableItemKey network_item_key(const NetworkId& network,
                                const std::optional<NetworkSecret>& secret) {
  constexpr std::string_view kSeed = "mosaik/dht-bootstrap/v1/ed25519-seed";
  constexpr std::string_view kSalt = "mosaik/dht-bootstrap/v1/salt";
  MutableItemKey key;
  if (secret) {
    key.seed = secret->derive(network, kSeed).expose_secret_bytes();
    const auto salt = secret->derive(network, kSalt);
    key.salt.assign(reinterpret_cast<const char*>(salt.expose_secret_bytes().data()), 16);
    return key;
  }
  key.seed = network.derive(kSeed).as_bytes();
  const auto salt = network.derive(kSalt).as_bytes();
  key.salt.assign(reinterpret_cast<const char*>(salt.data()), 16);
  return key;
}

std::chrono::milliseconds next_poll_delay(bool knows_peers, std::chrono::milliseconds relaxed) {
  return knows_peers ? relaxed : std::min(relaxed, kAggressivePoll);
}

}  // namespace mosaik::discovery::dht
