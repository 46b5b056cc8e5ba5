#pragma once
// The gossip envelope on the wire: a msgpack array [kind, body] where kind names the
// alternative of `Message`. The shell frames the bytes (frame.hpp); decoding never throws
// and a refused message says why, so the shell can count and log it.
//
//   wire::Bytes b = encode_message(Message{Prune{}});
//   auto m = decode_message(b, limits);   // expected<Message, CodecError>

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "messages.hpp"
#include "wire_limits.hpp"

namespace mosaik::discovery::gossip {

enum class CodecErrc : std::uint8_t {
  kOversized,     // more bytes than max_message_bytes: refused before decoding
  kMalformed,     // not a msgpack envelope of the right shape
  kUnknownKind,   // a kind this version does not know
  kTooManyItems,  // a list longer than its WireLimits bound
  kPayloadTooLarge,
  kTtlTooLarge,
  kIdMismatch,  // a Gossip item whose id is not the hash of its payload
  kCount
};
[[nodiscard]] std::string_view to_string(CodecErrc code);

struct CodecError {
  CodecErrc code;
  std::string detail;
};

// Counts refused messages per reason.
class CodecRejections {
 public:
  void count(CodecErrc code) { ++counts_[static_cast<std::size_t>(code)]; }
  std::uint64_t operator[](CodecErrc code) const { return counts_[static_cast<std::size_t>(code)]; }
  std::uint64_t total() const;

 private:
  std::array<std::uint64_t, static_cast<std::size_t>(CodecErrc::kCount)> counts_{};
};

[[nodiscard]] wire::Bytes encode_message(const Message& message);
[[nodiscard]] std::expected<Message, CodecError> decode_message(std::span<const std::uint8_t> bytes,
                                                                const WireLimits& limits);
// The bounds alone, for a message built in memory.
[[nodiscard]] std::expected<void, CodecError> check_limits(const Message& message,
                                                           const WireLimits& limits);
// Every Gossip item's id is Digest::hash(payload). Otherwise a neighbour could spend the id
// of a real broadcast on another payload and the real one would later be dropped as a
// duplicate. The receiving GossipNode checks it (decode_message does not hash).
[[nodiscard]] std::expected<void, CodecError> check_item_ids(const Message& message);

}  // namespace mosaik::discovery::gossip
