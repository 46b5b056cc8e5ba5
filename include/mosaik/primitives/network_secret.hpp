#pragma once
// NetworkSecret: an optional secret every node of a network holds. With it, a node admits
// only peers that prove they hold it too, and its DHT bootstrap record is out of reach of
// everyone else (docs/decisions/0206). Any byte string works; a passphrase is its UTF-8
// bytes. It should carry at least 128 random bits: a peer that records one proof can try
// guesses offline.
//
//   auto secret = mosaik::NetworkSecret::from_passphrase(std::getenv("MOSAIK_NETWORK_SECRET"));
//   auto key = secret.derive(network_id, "mosaik/some-purpose/v1");   // one key per use
//
// Like SecretKey it never prints (formats as "<redacted>") and wipes its memory when destroyed.

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "mosaik/primitives/digest.hpp"

namespace mosaik {

class NetworkSecret {
 public:
  static constexpr std::size_t kSize = 32;
  using Bytes = std::array<std::uint8_t, kSize>;

  // The secret is a hash of the input, so inputs of any length (even empty) are accepted,
  // and a passphrase equals the byte string of its characters.
  static NetworkSecret from_bytes(std::span<const std::uint8_t> secret);
  static NetworkSecret from_passphrase(std::string_view passphrase);

  // A key for one purpose on one network: the same secret on two networks, or for two
  // purposes, gives unrelated keys.
  NetworkSecret derive(const NetworkId& network, std::string_view purpose) const;

  NetworkSecret(const NetworkSecret& other) = default;
  NetworkSecret& operator=(const NetworkSecret& other) = default;
  ~NetworkSecret();

  // The 32 key bytes. Named loudly because they are the secret itself.
  const Bytes& expose_secret_bytes() const { return bytes_; }

  // Constant time.
  bool operator==(const NetworkSecret& other) const;

 private:
  NetworkSecret() = default;
  Bytes bytes_{};
};

}  // namespace mosaik

template <>
struct fmt::formatter<mosaik::NetworkSecret> : fmt::formatter<std::string_view> {
  auto format(const mosaik::NetworkSecret&, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
