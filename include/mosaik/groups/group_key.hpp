#pragma once
// GroupKey: the shared secret that admits a node to a group (the seed's only admission
// control), and the GroupId members derive from it together with everything they must agree
// on. The key never crosses the wire and has no formatter or stream operator: it cannot be
// printed or logged by accident; getting at its bytes takes a call named for what it does.
//
//   auto key = groups::GroupKey::generate();
//   std::string shared = key.expose_secret_hex();           // hand to the other members
//   auto same = groups::GroupKey::from_hex(shared);          // expected<GroupKey, KeyError>
//   GroupId id = groups::derive_group_id(key, consensus.digest(), machine_sig, sync_sig);

#include <array>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include <mosaik/primitives/digest.hpp>
#include <mosaik/primitives/keys.hpp>

namespace mosaik::groups {

class GroupKey {
 public:
  static constexpr std::size_t kSize = 32;
  using Bytes = std::array<std::uint8_t, kSize>;

  static GroupKey generate();  // 32 bytes from the OS's CSPRNG
  static GroupKey from_bytes(const Bytes& bytes);
  [[nodiscard]] static std::expected<GroupKey, KeyError> from_slice(std::span<const std::uint8_t> bytes);
  // The 64-hex-character form expose_secret_hex() writes.
  [[nodiscard]] static std::expected<GroupKey, KeyError> from_hex(std::string_view hex);

  GroupKey(const GroupKey& other) = default;
  GroupKey& operator=(const GroupKey& other) = default;
  ~GroupKey();  // wipes the bytes

  // The secret itself, named loudly.
  [[nodiscard]] const Bytes& expose_secret_bytes() const { return bytes_; }
  [[nodiscard]] std::string expose_secret_hex() const;
  // A one-way public digest of the key: what GroupId starts from.
  [[nodiscard]] Digest hashed() const;
  // A key for one purpose (bond proofs), unrelated to the key itself and to other purposes.
  [[nodiscard]] Bytes derive(std::string_view purpose) const;

  bool operator==(const GroupKey& other) const;  // constant time

 private:
  GroupKey() = default;
  Bytes bytes_{};
};

// The seed's derivation: key.hashed() -> consensus digest -> the state machine's signature
// -> its state sync's signature. Members that differ in any of them form different groups
// and never bond.
[[nodiscard]] GroupId derive_group_id(const GroupKey& key, const Digest& consensus_digest,
                                      const UniqueId& machine_signature, const UniqueId& sync_signature);

}  // namespace mosaik::groups
