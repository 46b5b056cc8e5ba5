#pragma once
// Seed inputs for the fuzz targets: well-formed encodings of every fuzzed shape and a few
// broken ones, so fuzzing starts from inputs that reach deep into the decoders. Written to
// a corpus directory by fuzz_seed_corpus and replayed by the fuzz_replay tests.

#include <mosaik/primitives/wire.hpp>

#include <string_view>
#include <vector>

namespace mosaik::fuzz {

[[nodiscard]] std::vector<wire::Bytes> wire_decode_seeds();
[[nodiscard]] std::vector<wire::Bytes> frame_codec_seeds();
// Real captures of each protocol a peer speaks (seeds_<protocol>.cpp).
[[nodiscard]] std::vector<wire::Bytes> gossip_seeds();
[[nodiscard]] std::vector<wire::Bytes> announce_payload_seeds();
[[nodiscard]] std::vector<wire::Bytes> catalog_sync_seeds();
[[nodiscard]] std::vector<wire::Bytes> departure_seeds();
[[nodiscard]] std::vector<wire::Bytes> dht_record_seeds();
[[nodiscard]] std::vector<wire::Bytes> streams_subscribe_seeds();
[[nodiscard]] std::vector<wire::Bytes> endpoint_seeds();

// The seeds of a target by its name ("fuzz_wire_decode", "fuzz_gossip", ...); empty if unknown.
[[nodiscard]] std::vector<wire::Bytes> seeds_for(std::string_view target);

}  // namespace mosaik::fuzz
