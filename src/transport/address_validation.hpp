// Address validation with Retry (RFC 9000 §8.1.2): under handshake load a new client must
// echo a token the endpoint sealed for its address before the endpoint keeps any state for
// it, so a flood from spoofed source addresses holds nothing (docs/decisions/0205).
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mosaik/transport/packet_path.hpp"

namespace mosaik::transport::detail {

class AddressValidation {
 public:
  // How long a client may take to come back with its token.
  static constexpr std::chrono::seconds kTokenLifetime{10};

  AddressValidation();  // a fresh random secret: tokens die with the endpoint

  // The Retry packet answering the Initial `hd` from `from`, or empty when none can be
  // written (nothing is sent then).
  std::vector<std::uint8_t> retry(const ngtcp2_pkt_hd& hd, const UdpEndpoint& from,
                                  std::uint64_t now_ns) const;
  // The client's original destination ID when the Initial `hd` carries a token this endpoint
  // sealed for `from` and for the ID it is now addressed to, within its lifetime.
  std::optional<ngtcp2_cid> verify(const ngtcp2_pkt_hd& hd, const UdpEndpoint& from,
                                   std::uint64_t now_ns) const;
  // The Initial CONNECTION_CLOSE (INVALID_TOKEN) that tells a client its token failed.
  static std::vector<std::uint8_t> invalid_token_close(const ngtcp2_pkt_hd& hd);
  // The Initial CONNECTION_CLOSE (CONNECTION_REFUSED) that tells a proven client this
  // endpoint is at its bound of handshakes or connections.
  static std::vector<std::uint8_t> busy_close(const ngtcp2_pkt_hd& hd);

  // Whether an Initial carries a Retry token (rather than none, or another kind).
  static bool carries_retry_token(const ngtcp2_pkt_hd& hd);

 private:
  static std::vector<std::uint8_t> initial_close(const ngtcp2_pkt_hd& hd, std::uint64_t error);

  std::array<std::uint8_t, 32> secret_{};
};

}  // namespace mosaik::transport::detail
