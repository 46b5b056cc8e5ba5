#include "mosaik/primitives/digest.hpp"

#include <sodium.h>

#include "mosaik/primitives/format.hpp"

namespace mosaik {

std::string_view to_string(DigestError e) {
  switch (e) {
    case DigestError::kInvalidLength:
      return "invalid length: expected 32 bytes (64 hex characters)";
    case DigestError::kInvalidHex:
      return "invalid hex: only 0-9, a-f and A-F are allowed";
  }
  return "unknown digest error";
}

std::expected<Digest, DigestError> Digest::from_slice(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kSize) return std::unexpected(DigestError::kInvalidLength);
  Bytes out;
  std::memcpy(out.data(), bytes.data(), kSize);
  return from_bytes(out);
}

std::expected<Digest, DigestError> Digest::from_hex(std::string_view hex) {
  if (hex.size() != 2 * kSize) return std::unexpected(DigestError::kInvalidLength);
  if (!is_hex64(hex)) return std::unexpected(DigestError::kInvalidHex);
  return Digest(hex);
}

Digest Digest::random() {
  Bytes bytes;
  randombytes_buf(bytes.data(), bytes.size());
  return from_bytes(bytes);
}

std::string Digest::to_hex() const { return detail::to_hex(bytes_); }

std::string Digest::to_short_hex() const {
  return detail::to_hex(std::span<const std::uint8_t>(bytes_).first(5));
}

}  // namespace mosaik
