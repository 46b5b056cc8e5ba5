#pragma once
// StoreSecret: an optional secret folded into a collection's group key, so only its holders
// derive the collection's GroupId and pass the group's bond proof; a node of the network
// without it never receives an item (docs/decisions/0800). Like NetworkSecret it never
// prints and wipes its memory.
//
//   collections::Options o;  o.secret = collections::StoreSecret::from_passphrase(getenv("PRICES_SECRET"));
//   auto prices = Map<std::string, double>::reader_with_options(network, "prices", o);

#include <cstdint>
#include <span>
#include <string_view>

#include <fmt/format.h>

#include <mosaik/primitives/network_secret.hpp>

namespace mosaik::collections {

class StoreSecret {
 public:
  // Any byte string (hashed to 32 bytes); give it at least 128 random bits.
  static StoreSecret from_bytes(std::span<const std::uint8_t> secret) {
    return StoreSecret(NetworkSecret::from_bytes(secret));
  }
  static StoreSecret from_passphrase(std::string_view passphrase) {
    return StoreSecret(NetworkSecret::from_passphrase(passphrase));
  }
  // The key bytes for one store: unrelated for two stores or two secrets.
  [[nodiscard]] NetworkSecret::Bytes key_for(const Digest& store_descriptor) const {
    return secret_.derive(store_descriptor, "mosaik/collections/store-key/v1").expose_secret_bytes();
  }
  bool operator==(const StoreSecret& other) const { return secret_ == other.secret_; }

 private:
  explicit StoreSecret(NetworkSecret s) : secret_(std::move(s)) {}
  NetworkSecret secret_;
};

}  // namespace mosaik::collections

template <>
struct fmt::formatter<mosaik::collections::StoreSecret> : fmt::formatter<std::string_view> {
  auto format(const mosaik::collections::StoreSecret&, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
