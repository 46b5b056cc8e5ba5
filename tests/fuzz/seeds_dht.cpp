// Seeds of fuzz_dht_record: records as nodes of this format write them (merge_self from an
// empty record, grown peer by peer until full), plus stale, duplicate and broken ones.
// Layout (fuzz_dht_record.cpp): clock byte, known-peers byte, then the stored value.

#include <algorithm>
#include <random>
#include <string>

#include "discovery/dht/record.hpp"
#include "seeds.hpp"

namespace mosaik::fuzz {
namespace {

using namespace discovery::dht;

constexpr std::uint64_t kOriginS = 1'700'000'000;  // as fuzz_dht_record.cpp

RecordPeer writer(std::size_t i, std::uint64_t at_s) {
  const SecretKey key = SecretKey::from_seed("fuzz-dht-peer-" + std::to_string(i));
  std::set<SocketAddr> addresses{SocketAddr(asio::ip::make_address("198.51.100." + std::to_string(i)), 4001)};
  if (i % 3 == 0) addresses.insert(SocketAddr(asio::ip::make_address("2001:db8::2"), static_cast<std::uint16_t>(4002 + i)));
  return make_record_peer(EndpointAddr(key.public_key(), addresses), static_cast<std::uint32_t>(i * 7 % 11), at_s);
}

wire::Bytes seed(std::uint8_t clock, std::uint8_t known, const wire::Bytes& value) {
  wire::Bytes out(2 + value.size());
  out[0] = clock;
  out[1] = known;
  std::copy(value.begin(), value.end(), out.begin() + 2);
  return out;
}

}  // namespace

std::vector<wire::Bytes> dht_record_seeds() {
  std::vector<wire::Bytes> seeds;
  std::mt19937_64 rng(1);
  Record record;
  for (std::size_t i = 0; i < 16; ++i) {
    record = merge_self(record, writer(i, kOriginS + i * 60), kOriginS + i * 60, RecordPolicy{}, rng).record;
    if (i % 4 == 0 || i == 15) seeds.push_back(seed(static_cast<std::uint8_t>(i / 10), 3, encode_record(record)));
  }
  // The same record read two hours later: every entry stale.
  seeds.push_back(seed(12, 0, encode_record(record)));
  // A duplicate peer (older and newer), an entry without addresses, a wrong version.
  Record dup{{writer(1, kOriginS), writer(1, kOriginS + 5), writer(2, kOriginS)}};
  dup.peers.back().addresses.clear();
  seeds.push_back(seed(0, 1, encode_record(dup)));
  wire::Bytes wrong_version = encode_record(dup);
  wrong_version[1] = 2;  // [version, peers]: the version is the array's first element
  seeds.push_back(seed(0, 1, wrong_version));
  seeds.push_back(seed(0, 0, wire::Bytes{0x92, 0x01, 0xdd, 0xff, 0xff, 0xff, 0xff}));
  return seeds;
}

}  // namespace mosaik::fuzz
