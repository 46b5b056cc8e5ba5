#pragma once
// The message shapes fuzz_wire_decode decodes arbitrary bytes into: nested containers,
// maps, strings, optionals, a tagged (variant-like) envelope and mosaik's identifiers.
// The seed corpus encodes samples of the same shapes.

#include <mosaik/primitives/digest.hpp>
#include <mosaik/primitives/keys.hpp>
#include <mosaik/primitives/wire.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace mosaik::fuzz {

using Nested = std::vector<std::vector<std::uint32_t>>;
using Index = std::map<std::string, std::vector<std::int64_t>>;
using MaybeText = std::optional<std::string>;
using Tagged = std::tuple<std::uint8_t, std::map<std::uint32_t, std::string>>;

// A tag plus a body whose meaning depends on it, the way protocol messages are built.
struct Envelope {
  std::uint8_t kind = 0;
  std::vector<std::uint8_t> body;
  std::optional<std::uint64_t> sequence;
  bool operator==(const Envelope&) const = default;
  MOSAIK_WIRE_FIELDS(kind, body, sequence);
};

// Identifiers inside a record, as discovery and groups send them.
struct Announcement {
  Digest network;
  std::vector<Digest> tags;
  PeerId peer;
  Signature signature;
  std::map<std::string, std::string> meta;
  std::optional<Envelope> payload;
  bool operator==(const Announcement&) const = default;
  MOSAIK_WIRE_FIELDS(network, tags, peer, signature, meta, payload);
};

}  // namespace mosaik::fuzz
