#include "mosaik/primitives/keys.hpp"

#include <sodium.h>

#include <cstring>
#include <mutex>
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

// 32-byte values (keys, digests) this process has already checked and found good. The
// checks below cost tens of microseconds each, and the same ones come again and again:
// every catalog a node receives names the same peers, and every node of a process (tests,
// the discovery benchmark's 256, a host running several) checks the same entries. Only
// positive results are kept, so a hit is as good as the check. Bounded: a flood of distinct
// good values only makes it start over. One per process, behind a mutex: a lookup is much
// cheaper than the check it saves.
class CheckedOnce {
 public:
  static constexpr std::size_t kMaxValues = 16384;
  using Value = std::array<std::uint8_t, 32>;

  bool contains(const Value& v) const {
    std::lock_guard lock(mutex_);
    return values_.contains(v);
  }
  void insert(const Value& v) {
    std::lock_guard lock(mutex_);
    if (values_.size() >= kMaxValues) values_.clear();
    values_.insert(v);
  }

 private:
  struct Hash {
    std::size_t operator()(const Value& v) const {
      std::size_t h;  // curve points and BLAKE3 digests: their bytes are already well mixed
      std::memcpy(&h, v.data(), sizeof h);
      return h;
    }
  };
  mutable std::mutex mutex_;
  std::unordered_set<Value, Hash> values_;
};

// Public keys found to be valid points.
CheckedOnce& valid_points() {
  static CheckedOnce cache;
  return cache;
}

// BLAKE3(key ‖ signature ‖ message) of signatures found valid.
CheckedOnce& valid_signatures() {
  static CheckedOnce cache;
  return cache;
}

}  // namespace

std::expected<PeerId, KeyError> PeerId::from_slice(std::span<const std::uint8_t> bytes) {
  ensure_sodium();
  if (bytes.size() != kSize) return std::unexpected(KeyError::kInvalidLength);
  Bytes out;
  std::memcpy(out.data(), bytes.data(), kSize);
  if (!valid_points().contains(out)) {
    // Small-order and non-canonical points would make any signature check meaningless.
    if (crypto_core_ed25519_is_valid_point(bytes.data()) != 1) {
      return std::unexpected(KeyError::kInvalidPublicKey);
    }
    valid_points().insert(out);
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
  blake3::Hasher h;
  h.update(bytes_);
  h.update(signature.as_bytes());
  h.update(message);
  const auto checked = h.finalize();
  if (valid_signatures().contains(checked)) return true;
  if (crypto_sign_verify_detached(signature.as_bytes().data(), message.data(), message.size(),
                                  bytes_.data()) != 0) {
    return false;
  }
  valid_signatures().insert(checked);
  return true;
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
