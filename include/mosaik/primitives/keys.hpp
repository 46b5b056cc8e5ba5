#pragma once
// Node identity: an Ed25519 key pair (libsodium). The public key is the node's PeerId,
// which peers authenticate over TLS and which signs the node's discovery entries.
//
//   auto sk = mosaik::SecretKey::from_seed("my-bootstrap-1");   // reproducible identity
//   mosaik::PeerId id = sk.public_key();
//   auto sig = sk.sign(bytes);  bool ok = id.verify(bytes, sig);
//
// A SecretKey never prints (it formats as "<redacted>") and wipes its memory when destroyed.

#include <fmt/format.h>

#include <array>
#include <compare>
#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "mosaik/primitives/fixed_bytes_msgpack.hpp"

namespace mosaik {

// Why key material or a signature was refused.
enum class KeyError {
  kInvalidLength,    // wrong number of bytes or hex characters
  kInvalidHex,       // a character outside [0-9a-fA-F]
  kInvalidPublicKey, // 32 bytes that are not a usable Ed25519 point
};

[[nodiscard]] std::string_view to_string(KeyError e);

// An Ed25519 signature (64 bytes).
class Signature {
 public:
  static constexpr std::size_t kSize = 64;
  using Bytes = std::array<std::uint8_t, kSize>;

  Signature() = default;
  static Signature from_bytes(const Bytes& bytes) {
    Signature s;
    s.bytes_ = bytes;
    return s;
  }
  [[nodiscard]] static std::expected<Signature, KeyError> from_slice(
      std::span<const std::uint8_t> bytes);

  const Bytes& as_bytes() const { return bytes_; }
  std::string to_hex() const;
  auto operator<=>(const Signature&) const = default;

 private:
  Bytes bytes_{};
};

// A peer's public identity: its Ed25519 public key. Text form: 64 lowercase hex characters.
class PeerId {
 public:
  static constexpr std::size_t kSize = 32;
  using Bytes = std::array<std::uint8_t, kSize>;

  PeerId() = default;
  // Trusted bytes (e.g. from our own key). Untrusted input goes through from_slice/parse.
  static PeerId from_bytes(const Bytes& bytes) {
    PeerId p;
    p.bytes_ = bytes;
    return p;
  }
  [[nodiscard]] static std::expected<PeerId, KeyError> from_slice(
      std::span<const std::uint8_t> bytes);
  [[nodiscard]] static std::expected<PeerId, KeyError> parse(std::string_view text);

  // True when `signature` is this key's signature of `message`.
  [[nodiscard]] bool verify(std::span<const std::uint8_t> message,
                            const Signature& signature) const;

  const Bytes& as_bytes() const { return bytes_; }
  std::string to_string() const;  // 64 hex characters; parse() reads it back
  auto operator<=>(const PeerId&) const = default;

 private:
  Bytes bytes_{};
};

// An Ed25519 secret key. Copies are independent and each wipes itself on destruction.
class SecretKey {
 public:
  static constexpr std::size_t kSize = 32;  // the Ed25519 seed
  using Bytes = std::array<std::uint8_t, kSize>;

  static SecretKey generate();
  // Deterministic: the key whose seed is Digest(text), so "--secret=name" is reproducible.
  static SecretKey from_seed(std::string_view text);
  [[nodiscard]] static std::expected<SecretKey, KeyError> from_slice(
      std::span<const std::uint8_t> bytes);
  static SecretKey from_bytes(const Bytes& seed);
  // Reads the 64-hex-character form written by expose_secret_hex().
  [[nodiscard]] static std::expected<SecretKey, KeyError> parse(std::string_view text);

  SecretKey(const SecretKey& other);
  SecretKey& operator=(const SecretKey& other);
  ~SecretKey();

  PeerId public_key() const { return public_key_; }
  Signature sign(std::span<const std::uint8_t> message) const;

  // The raw seed, for storing the key. Named loudly because it is the secret itself.
  const Bytes& expose_secret_bytes() const { return seed_; }
  std::string expose_secret_hex() const;

  bool operator==(const SecretKey& other) const;

 private:
  SecretKey() = default;
  void wipe();

  Bytes seed_{};
  std::array<std::uint8_t, 64> expanded_{};  // libsodium's seed ‖ public key form
  PeerId public_key_;
};

}  // namespace mosaik

template <>
struct std::hash<mosaik::PeerId> {
  std::size_t operator()(const mosaik::PeerId& p) const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | p.as_bytes()[i];
    return h;
  }
};

// `{}` prints the short form (first 5 bytes as hex), like Digest; to_string() is the full key.
template <>
struct fmt::formatter<mosaik::PeerId> : fmt::formatter<std::string_view> {
  auto format(const mosaik::PeerId& p, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(p.to_string()).substr(0, 10),
                                                    ctx);
  }
};

template <>
struct fmt::formatter<mosaik::Signature> : fmt::formatter<std::string_view> {
  auto format(const mosaik::Signature& s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(s.to_hex()).substr(0, 10),
                                                    ctx);
  }
};

template <>
struct fmt::formatter<mosaik::SecretKey> : fmt::formatter<std::string_view> {
  auto format(const mosaik::SecretKey&, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};

MOSAIK_MSGPACK_FIXED_BYTES(mosaik::PeerId)
MOSAIK_MSGPACK_FIXED_BYTES(mosaik::Signature)

// A SecretKey encodes as its 32-byte seed, for storing an identity. It has no empty state,
// so msgpack builds it through `as<>` rather than default construction.
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  template <>
  struct as<mosaik::SecretKey> {
    mosaik::SecretKey operator()(const msgpack::object& o) const {
      if (o.type != msgpack::type::BIN) throw msgpack::type_error();
      auto key = mosaik::SecretKey::from_slice(
          {reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr), o.via.bin.size});
      if (!key) throw msgpack::type_error();
      return *key;
    }
  };
  template <>
  struct pack<mosaik::SecretKey> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& p,
                                        const mosaik::SecretKey& k) const {
      p.pack_bin(mosaik::SecretKey::kSize);
      p.pack_bin_body(reinterpret_cast<const char*>(k.expose_secret_bytes().data()),
                      mosaik::SecretKey::kSize);
      return p;
    }
  };
  }  // namespace adaptor
}
}  // namespace msgpack
