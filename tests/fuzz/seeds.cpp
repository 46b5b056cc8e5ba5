#include "seeds.hpp"

#include <mosaik/primitives/frame.hpp>

#include "wire_shapes.hpp"

namespace mosaik::fuzz {
namespace {

Announcement sample_announcement() {
  SecretKey key = SecretKey::from_seed("fuzz-seed-peer");
  Announcement a;
  a.network = Digest("fuzz-network");
  a.tags = {Digest("validator"), Digest::from_u64(7)};
  a.peer = key.public_key();
  wire::Bytes signed_part = wire::encode(a.tags);
  a.signature = key.sign(signed_part);
  a.meta = {{"region", "eu"}, {"", ""}};
  a.payload = Envelope{3, {1, 2, 3}, 42};
  return a;
}

}  // namespace

std::vector<wire::Bytes> wire_decode_seeds() {
  std::vector<wire::Bytes> seeds;
  seeds.push_back(wire::encode(Nested{{}, {1, 2, 3}, {0xffffffffu}}));
  seeds.push_back(wire::encode(Index{{"a", {-1, 0, 1}}, {"bb", {}}}));
  seeds.push_back(wire::encode(std::string("mosaik")));
  seeds.push_back(wire::encode(MaybeText{}));
  seeds.push_back(wire::encode(MaybeText{"present"}));
  seeds.push_back(wire::encode(Tagged{2, {{1, "one"}, {2, "two"}}}));
  seeds.push_back(wire::encode(Envelope{1, {0xde, 0xad}, std::nullopt}));
  seeds.push_back(wire::encode(std::vector<std::uint8_t>(40, 0xab)));
  seeds.push_back(wire::encode(Digest("seed")));
  Announcement a = sample_announcement();
  seeds.push_back(wire::encode(a.peer));
  seeds.push_back(wire::encode(a.signature));
  seeds.push_back(wire::encode(a));
  seeds.push_back(wire::encode(std::vector<Announcement>{a, a}));
  // Broken on purpose: truncated, trailing byte, a huge declared array length.
  wire::Bytes truncated = wire::encode(a);
  truncated.resize(truncated.size() / 2);
  seeds.push_back(truncated);
  wire::Bytes trailing = wire::encode(std::string("x"));
  trailing.push_back(0xc0);
  seeds.push_back(trailing);
  seeds.push_back(wire::Bytes{0xdd, 0xff, 0xff, 0xff, 0xff, 0x90});
  return seeds;
}

std::vector<wire::Bytes> frame_codec_seeds() {
  // Layout of fuzz_frame_codec.cpp: max size, chunk seed, chunk bound, then the stream.
  std::vector<wire::Bytes> seeds;
  auto stream_of = [](std::uint8_t max, std::uint8_t chunk_seed, std::uint8_t chunk_bound,
                      std::initializer_list<wire::Bytes> payloads) {
    wire::Bytes out{max, chunk_seed, chunk_bound};
    for (const auto& p : payloads) wire::append_frame(out, p);
    return out;
  };
  seeds.push_back(stream_of(64, 1, 0, {wire::Bytes{}, wire::Bytes{1}, wire::Bytes(64, 7)}));
  seeds.push_back(stream_of(16, 9, 31, {wire::encode(std::string("hello")), wire::Bytes(16, 0)}));
  seeds.push_back(stream_of(3, 200, 4, {wire::Bytes{1, 2, 3}, wire::Bytes(4, 9)}));  // 2nd too big
  seeds.push_back(stream_of(0, 5, 2, {wire::Bytes{}, wire::Bytes{}}));
  wire::Bytes cut = stream_of(32, 77, 7, {wire::Bytes(20, 3), wire::Bytes(30, 4)});
  cut.resize(cut.size() - 5);  // ends inside the last frame
  seeds.push_back(cut);
  seeds.push_back(wire::Bytes{64, 1, 1, 0xff, 0xff, 0xff, 0xff});  // 4 GiB - 1 declared
  return seeds;
}

std::vector<wire::Bytes> seeds_for(std::string_view target) {
  if (target == "fuzz_wire_decode") return wire_decode_seeds();
  if (target == "fuzz_frame_codec") return frame_codec_seeds();
  if (target == "fuzz_gossip") return gossip_seeds();
  if (target == "fuzz_announce_payload") return announce_payload_seeds();
  if (target == "fuzz_catalog_sync") return catalog_sync_seeds();
  if (target == "fuzz_departure") return departure_seeds();
  if (target == "fuzz_dht_record") return dht_record_seeds();
  if (target == "fuzz_streams_subscribe") return streams_subscribe_seeds();
  if (target == "fuzz_endpoint") return endpoint_seeds();
  return {};
}

}  // namespace mosaik::fuzz
