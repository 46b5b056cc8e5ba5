#pragma once
// The message shapes fuzz_wire_decode decodes arbitrary bytes into: nested containers,
// maps, strings, optionals, a tagged (variant-like) envelope and mosaik's identifiers.
// The seed corpus encodes samples of the same shapes.

#include <mosaik/primitives/digest.hpp>
#include <mosaik/primitives/keys.hpp>
#include <mosaik/primitives/wire.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace mosaik::fuzz {

template <class... Fields>
constexpr std::size_t field_count(const msgpack::type::define_array<Fields...>&) {
  return sizeof...(Fields);
}

// Like MSGPACK_DEFINE, but a message must carry exactly its fields. msgpack-c's own
// MSGPACK_DEFINE accepts a shorter array and leaves the missing fields default-constructed,
// and a default PeerId is not a valid key: the fuzzer found `93 90 90 90` decoding as an
// Announcement whose re-encoding no longer decodes. Reported; protocol messages need this
// check too (see the foundation-extras report).
#define MOSAIK_FUZZ_EXACT_FIELDS(...)                                                   \
  template <class Packer>                                                              \
  void msgpack_pack(Packer& pk) const {                                                \
    msgpack::type::make_define_array(__VA_ARGS__).msgpack_pack(pk);                    \
  }                                                                                    \
  void msgpack_unpack(const msgpack::object& o) {                                      \
    auto fields = msgpack::type::make_define_array(__VA_ARGS__);                       \
    if (o.type != msgpack::type::ARRAY ||                                              \
        o.via.array.size != ::mosaik::fuzz::field_count(fields)) {                     \
      throw msgpack::type_error();                                                     \
    }                                                                                  \
    fields.msgpack_unpack(o);                                                          \
  }

using Nested = std::vector<std::vector<std::uint32_t>>;
using Index = std::map<std::string, std::vector<std::int64_t>>;
using MaybeText = std::optional<std::string>;
using Tagged = std::tuple<std::uint8_t, std::map<std::uint32_t, std::string>>;

// A tag plus a body whose meaning depends on it, the way protocol messages are built.
// Plain MSGPACK_DEFINE: its defaults re-encode fine, so leniency about length is harmless.
struct Envelope {
  std::uint8_t kind = 0;
  std::vector<std::uint8_t> body;
  std::optional<std::uint64_t> sequence;
  bool operator==(const Envelope&) const = default;
  MSGPACK_DEFINE(kind, body, sequence);
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
  MOSAIK_FUZZ_EXACT_FIELDS(network, tags, peer, signature, meta, payload)
};

}  // namespace mosaik::fuzz
