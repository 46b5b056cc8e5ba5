#include "mosaik/groups/group_key.hpp"

#include <sodium.h>

#include "mosaik/primitives/blake3.hpp"

namespace mosaik::groups {

GroupKey GroupKey::generate() {
  return from_bytes(Digest::random().as_bytes());  // the OS's CSPRNG, through libsodium
}

GroupKey GroupKey::from_bytes(const Bytes& bytes) {
  GroupKey k;
  k.bytes_ = bytes;
  return k;
}

std::expected<GroupKey, KeyError> GroupKey::from_slice(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kSize) return std::unexpected(KeyError::kInvalidLength);
  GroupKey k;
  std::copy(bytes.begin(), bytes.end(), k.bytes_.begin());
  return k;
}

std::expected<GroupKey, KeyError> GroupKey::from_hex(std::string_view hex) {
  if (hex.size() != 2 * kSize) return std::unexpected(KeyError::kInvalidLength);
  GroupKey k;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < kSize; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::unexpected(KeyError::kInvalidHex);
    k.bytes_[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return k;
}

GroupKey::~GroupKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

std::string GroupKey::expose_secret_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * kSize);
  for (auto b : bytes_) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

Digest GroupKey::hashed() const {
  const auto out = blake3::derive_key("mosaik.groups.key.hashed.v1", bytes_);
  return Digest::from_bytes(out);
}

GroupKey::Bytes GroupKey::derive(std::string_view purpose) const {
  auto h = blake3::Hasher::keyed(std::span<const std::uint8_t, kSize>(bytes_));
  h.update(std::string_view{"mosaik.groups.key.purpose.v1:"});
  h.update(purpose);
  return h.finalize();
}

bool GroupKey::operator==(const GroupKey& other) const {
  return sodium_memcmp(bytes_.data(), other.bytes_.data(), kSize) == 0;
}

GroupId derive_group_id(const GroupKey& key, const Digest& consensus_digest, const UniqueId& machine_signature,
                        const UniqueId& sync_signature) {
  return key.hashed().derive(consensus_digest).derive(machine_signature).derive(sync_signature);
}

}  // namespace mosaik::groups
