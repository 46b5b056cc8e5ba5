#pragma once
// Digest: the 32-byte identifier behind every name in mosaik (networks, tags, streams,
// groups, stores). A string becomes a Digest by BLAKE3 unless it is exactly 64 hex
// characters, which are decoded; this works at compile time:
//
//   constexpr mosaik::StreamId s = mosaik::unique_id("orders");
//   mosaik::Tag t = "validator";  fmt::print("{} {}", t, t.to_hex());

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <expected>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "mosaik/primitives/blake3.hpp"
#include "mosaik/primitives/fixed_bytes_msgpack.hpp"

namespace mosaik {

// Why a Digest could not be built from untrusted input.
enum class DigestError {
  kInvalidLength,  // not 32 bytes / not 64 hex characters
  kInvalidHex,     // a character outside [0-9a-fA-F]
};

[[nodiscard]] std::string_view to_string(DigestError e);

class Digest {
 public:
  static constexpr std::size_t kSize = 32;
  using Bytes = std::array<std::uint8_t, kSize>;

  // The zero digest (a sentinel, never the hash of anything in practice).
  constexpr Digest() = default;

  // 64 hex characters decode directly; any other string is hashed with BLAKE3.
  constexpr Digest(std::string_view text) : bytes_(from_text(text)) {}  // NOLINT: implicit by design
  constexpr Digest(const char* text) : Digest(std::string_view(text)) {}  // NOLINT
  Digest(const std::string& text) : Digest(std::string_view(text)) {}     // NOLINT

  static constexpr Digest from_bytes(const Bytes& bytes) {
    Digest d;
    d.bytes_ = bytes;
    return d;
  }
  // Untrusted length: anything but 32 bytes is an error.
  [[nodiscard]] static std::expected<Digest, DigestError> from_slice(
      std::span<const std::uint8_t> bytes);
  // Strict hex: exactly 64 hex characters, otherwise an error (never hashes).
  [[nodiscard]] static std::expected<Digest, DigestError> from_hex(std::string_view hex);

  // BLAKE3 of arbitrary bytes.
  static constexpr Digest hash(std::span<const std::uint8_t> data) {
    return from_bytes(blake3::hash(data));
  }
  // BLAKE3 of the 8 little-endian bytes of `value`.
  static constexpr Digest from_u64(std::uint64_t value) {
    std::array<std::uint8_t, 8> le{};
    for (std::size_t i = 0; i < 8; ++i) le[i] = static_cast<std::uint8_t>(value >> (8 * i));
    return hash(le);
  }
  // BLAKE3 of the parts concatenated (no separators, as the seed specifies).
  static constexpr Digest from_parts(std::initializer_list<std::string_view> parts) {
    blake3::Hasher h;
    for (std::string_view p : parts) h.update(p);
    return from_bytes(h.finalize());
  }
  static Digest random();
  static constexpr Digest zero() { return Digest(); }

  // A child identifier: BLAKE3(parent bytes ‖ child). Deterministic on every node.
  constexpr Digest derive(std::string_view child) const {
    blake3::Hasher h;
    h.update(bytes_);
    h.update(child);
    return from_bytes(h.finalize());
  }
  constexpr Digest derive(const char* child) const { return derive(std::string_view(child)); }
  constexpr Digest derive(const Digest& child) const {
    blake3::Hasher h;
    h.update(bytes_);
    h.update(child.bytes_);
    return from_bytes(h.finalize());
  }

  constexpr const Bytes& as_bytes() const { return bytes_; }
  constexpr bool is_zero() const { return *this == Digest(); }
  std::string to_hex() const;          // all 64 characters
  std::string to_short_hex() const;    // the first 5 bytes, what `{}` prints

  constexpr auto operator<=>(const Digest&) const = default;

 private:
  static constexpr int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static constexpr bool is_hex64(std::string_view text) {
    if (text.size() != 2 * kSize) return false;
    for (char c : text) {
      if (hex_value(c) < 0) return false;
    }
    return true;
  }
  static constexpr Bytes from_text(std::string_view text) {
    if (!is_hex64(text)) return blake3::hash(text);
    Bytes out{};
    for (std::size_t i = 0; i < kSize; ++i) {
      out[i] = static_cast<std::uint8_t>(hex_value(text[2 * i]) << 4 | hex_value(text[2 * i + 1]));
    }
    return out;
  }

  Bytes bytes_{};
};

// The seed's aliases: one type, named for what it identifies.
using UniqueId = Digest;
using Tag = Digest;
using NetworkId = Digest;
using StreamId = Digest;
using GroupId = Digest;
using StoreId = Digest;

// Compile-time identifier: `constexpr UniqueId k = unique_id("name");` equals Digest("name").
consteval UniqueId unique_id(std::string_view text) { return UniqueId(text); }

}  // namespace mosaik

template <>
struct std::hash<mosaik::Digest> {
  // The bytes are already uniformly distributed: the first word is a good hash.
  std::size_t operator()(const mosaik::Digest& d) const noexcept {
    std::size_t h;
    std::memcpy(&h, d.as_bytes().data(), sizeof h);
    return h;
  }
};

// `{}` prints the short form (first 5 bytes); use to_hex() for all 64 characters.
template <>
struct fmt::formatter<mosaik::Digest> : fmt::formatter<std::string_view> {
  auto format(const mosaik::Digest& d, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(d.to_short_hex(), ctx);
  }
};

// msgpack: a Digest is 32 raw bytes (bin 8); anything else fails to decode.
MOSAIK_MSGPACK_FIXED_BYTES(mosaik::Digest)
