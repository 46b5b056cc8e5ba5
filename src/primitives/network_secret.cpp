#include "mosaik/primitives/network_secret.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include "sodium_init.hpp"

namespace mosaik {
namespace {

using detail::ensure_sodium;

// Domain separation: a network secret's hash never equals another protocol's hash of it.
constexpr std::string_view kSecretLabel = "mosaik/network-secret/v1";

}  // namespace

NetworkSecret NetworkSecret::from_bytes(std::span<const std::uint8_t> secret) {
  ensure_sodium();
  NetworkSecret out;
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kSize);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kSecretLabel.data()),
                            kSecretLabel.size());
  crypto_generichash_update(&state, secret.data(), secret.size());
  crypto_generichash_final(&state, out.bytes_.data(), kSize);
  sodium_memzero(&state, sizeof state);
  return out;
}

NetworkSecret NetworkSecret::from_passphrase(std::string_view passphrase) {
  return from_bytes({reinterpret_cast<const std::uint8_t*>(passphrase.data()), passphrase.size()});
}

NetworkSecret NetworkSecret::derive(const NetworkId& network, std::string_view purpose) const {
  ensure_sodium();
  // Keyed BLAKE2b over (purpose length, purpose, network id): unambiguous for any purpose.
  NetworkSecret out;
  const auto length = static_cast<std::uint8_t>(std::min<std::size_t>(purpose.size(), 255));
  crypto_generichash_state state;
  crypto_generichash_init(&state, bytes_.data(), kSize, kSize);
  crypto_generichash_update(&state, &length, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(purpose.data()), length);
  crypto_generichash_update(&state, network.as_bytes().data(), network.as_bytes().size());
  crypto_generichash_final(&state, out.bytes_.data(), kSize);
  sodium_memzero(&state, sizeof state);
  return out;
}

NetworkSecret::~NetworkSecret() { sodium_memzero(bytes_.data(), bytes_.size()); }

bool NetworkSecret::operator==(const NetworkSecret& other) const {
  return sodium_memcmp(bytes_.data(), other.bytes_.data(), kSize) == 0;
}

}  // namespace mosaik
