#include "mosaik/primitives/keys.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>
#include <unordered_set>

#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/format.hpp"
#include "sodium_init.hpp"

namespace mosaik {
namespace {

using detail::ensure_sodium;

template <std::size_t N>
std::expected<std::array<std::uint8_t, N>, KeyError> hex_to_bytes(std::string_view text) {
  if (text.size() != 2 * N) return std::unexpected(KeyError::kInvalidLength);
  std::array<std::uint8_t, N> out{};
  std::size_t written = 0;
  if (sodium_hex2bin(out.data(), N, text.data(), text.size(), nullptr, &written, nullptr) != 0 ||
      written != N) {
    return std::unexpected(KeyError::kInvalidHex);
  }
  return out;
}

}  // namespace

std::string_view to_string(KeyError e) {
  switch (e) {
    case KeyError::kInvalidLength:
      return "invalid length for key material";
    case KeyError::kInvalidHex:
      return "invalid hex in key material";
    case KeyError::kInvalidPublicKey:
      return "not a valid Ed25519 public key";
  }
  return "unknown key error";
}

std::expected<Signature, KeyError> Signature::from_slice(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kSize) return std::unexpected(KeyError::kInvalidLength);
  Bytes out;
  std::memcpy(out.data(), bytes.data(), kSize);
  return from_bytes(out);
}

std::string Signature::to_hex() const { return detail::to_hex(bytes_); }

namespace {

// Keys this thread has already found valid. The check costs more than a signature
// verification, and every catalog a node receives names the same peers again: a catalog
// sync of N entries checked N points each time (discovery at 128 nodes spent 40% of its
// CPU here). Bounded; a flood of distinct valid keys only makes it start over.
class ValidPointCache {
 public:
  static constexpr std::size_t kMaxKeys = 8192;
  bool contains(const PeerId::Bytes& key) const { return keys_.contains(key); }
  void insert(const PeerId::Bytes& key) {
    if (keys_.size() >= kMaxKeys) keys_.clear();
    keys_.insert(key);
  }

 private:
  struct Hash {
    std::size_t operator()(const PeerId::Bytes& key) const {
      std::size_t h;  // the key is a curve point: its bytes are already well mixed
      std::memcpy(&h, key.data(), sizeof h);
      return h;
    }
  };
  std::unordered_set<PeerId::Bytes, Hash> keys_;
};

}  // namespace

std::expected<PeerId, KeyError> PeerId::from_slice(std::span<const std::uint8_t> bytes) {
  ensure_sodium();
  if (bytes.size() != kSize) return std::unexpected(KeyError::kInvalidLength);
  Bytes out;
  std::memcpy(out.data(), bytes.data(), kSize);
  thread_local ValidPointCache valid;
  if (!valid.contains(out)) {
    // Small-order and non-canonical points would make any signature check meaningless.
    if (crypto_core_ed25519_is_valid_point(bytes.data()) != 1) {
      return std::unexpected(KeyError::kInvalidPublicKey);
    }
    valid.insert(out);
  }
  return from_bytes(out);
}

std::expected<PeerId, KeyError> PeerId::parse(std::string_view text) {
  auto bytes = hex_to_bytes<kSize>(text);
  if (!bytes) return std::unexpected(bytes.error());
  return from_slice(*bytes);
}

bool PeerId::verify(std::span<const std::uint8_t> message, const Signature& signature) const {
  ensure_sodium();
  return crypto_sign_verify_detached(signature.as_bytes().data(), message.data(), message.size(),
                                     bytes_.data()) == 0;
}

std::string PeerId::to_string() const { return detail::to_hex(bytes_); }

SecretKey SecretKey::from_bytes(const Bytes& seed) {
  ensure_sodium();
  SecretKey key;
  key.seed_ = seed;
  PeerId::Bytes pk;
  crypto_sign_seed_keypair(pk.data(), key.expanded_.data(), key.seed_.data());
  key.public_key_ = PeerId::from_bytes(pk);
  return key;
}

SecretKey SecretKey::generate() {
  ensure_sodium();
  Bytes seed;
  randombytes_buf(seed.data(), seed.size());
  SecretKey key = from_bytes(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

SecretKey SecretKey::from_seed(std::string_view text) { return from_bytes(Digest(text).as_bytes()); }

std::expected<SecretKey, KeyError> SecretKey::from_slice(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kSize) return std::unexpected(KeyError::kInvalidLength);
  Bytes seed;
  std::memcpy(seed.data(), bytes.data(), kSize);
  SecretKey key = from_bytes(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

std::expected<SecretKey, KeyError> SecretKey::parse(std::string_view text) {
  auto bytes = hex_to_bytes<kSize>(text);
  if (!bytes) return std::unexpected(bytes.error());
  SecretKey key = from_bytes(*bytes);
  sodium_memzero(bytes->data(), bytes->size());
  return key;
}

SecretKey::SecretKey(const SecretKey& other)
    : seed_(other.seed_), expanded_(other.expanded_), public_key_(other.public_key_) {}

SecretKey& SecretKey::operator=(const SecretKey& other) {
  if (this != &other) {
    seed_ = other.seed_;
    expanded_ = other.expanded_;
    public_key_ = other.public_key_;
  }
  return *this;
}

SecretKey::~SecretKey() { wipe(); }

void SecretKey::wipe() {
  sodium_memzero(seed_.data(), seed_.size());
  sodium_memzero(expanded_.data(), expanded_.size());
}

Signature SecretKey::sign(std::span<const std::uint8_t> message) const {
  Signature::Bytes sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), expanded_.data());
  return Signature::from_bytes(sig);
}

std::string SecretKey::expose_secret_hex() const { return detail::to_hex(seed_); }

bool SecretKey::operator==(const SecretKey& other) const {
  return sodium_memcmp(seed_.data(), other.seed_.data(), kSize) == 0;
}

}  // namespace mosaik
