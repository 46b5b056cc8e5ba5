#include "address_validation.hpp"

#include <ngtcp2/ngtcp2_crypto.h>
#include <sodium.h>

#include "connection_ids.hpp"

namespace mosaik::transport::detail {
namespace {

// A Retry is about 150 bytes, an Initial CONNECTION_CLOSE about 60.
constexpr std::size_t kPacketRoom = 512;

const ngtcp2_sockaddr* sockaddr_of(const UdpEndpoint& ep) {
  return static_cast<const ngtcp2_sockaddr*>(ep.data());
}

ngtcp2_socklen socklen_of(const UdpEndpoint& ep) { return static_cast<ngtcp2_socklen>(ep.size()); }

// What a packet writer left in `packet`: its first `written` bytes, or nothing on failure.
std::vector<std::uint8_t> sized(std::vector<std::uint8_t>& packet, ngtcp2_ssize written) {
  if (written <= 0) return {};
  packet.resize(static_cast<std::size_t>(written));
  return std::move(packet);
}

}  // namespace

AddressValidation::AddressValidation() { randombytes_buf(secret_.data(), secret_.size()); }

bool AddressValidation::carries_retry_token(const ngtcp2_pkt_hd& hd) {
  return hd.type == NGTCP2_PKT_INITIAL && hd.token.len > 0 &&
         hd.token.base[0] == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY;
}

std::vector<std::uint8_t> AddressValidation::retry(const ngtcp2_pkt_hd& hd, const UdpEndpoint& from,
                                                   std::uint64_t now_ns) const {
  // The client addresses its next Initial to this ID; the token binds it, the client's
  // address and its first destination ID (which the server must quote in its parameters).
  const ngtcp2_cid retry_scid = random_cid();
  std::array<std::uint8_t, NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN> token{};
  const ngtcp2_ssize token_len = ngtcp2_crypto_generate_retry_token(
      token.data(), secret_.data(), secret_.size(), hd.version, sockaddr_of(from),
      socklen_of(from), &retry_scid, &hd.dcid, now_ns);
  if (token_len < 0) return {};
  std::vector<std::uint8_t> packet(kPacketRoom);
  const ngtcp2_ssize written = ngtcp2_crypto_write_retry(
      packet.data(), packet.size(), hd.version, &hd.scid, &retry_scid, &hd.dcid, token.data(),
      static_cast<std::size_t>(token_len));
  return sized(packet, written);
}

std::optional<ngtcp2_cid> AddressValidation::verify(const ngtcp2_pkt_hd& hd, const UdpEndpoint& from,
                                                    std::uint64_t now_ns) const {
  if (!carries_retry_token(hd)) return std::nullopt;
  ngtcp2_cid original_dcid;
  const auto lifetime = static_cast<ngtcp2_duration>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(kTokenLifetime).count());
  if (ngtcp2_crypto_verify_retry_token(&original_dcid, hd.token.base, hd.token.len, secret_.data(),
                                       secret_.size(), hd.version, sockaddr_of(from),
                                       socklen_of(from), &hd.dcid, lifetime, now_ns) != 0) {
    return std::nullopt;
  }
  return original_dcid;
}

std::vector<std::uint8_t> AddressValidation::invalid_token_close(const ngtcp2_pkt_hd& hd) {
  return initial_close(hd, NGTCP2_INVALID_TOKEN);
}

std::vector<std::uint8_t> AddressValidation::busy_close(const ngtcp2_pkt_hd& hd) {
  return initial_close(hd, NGTCP2_CONNECTION_REFUSED);
}

std::vector<std::uint8_t> AddressValidation::initial_close(const ngtcp2_pkt_hd& hd, std::uint64_t error) {
  std::vector<std::uint8_t> packet(kPacketRoom);
  const ngtcp2_ssize written = ngtcp2_crypto_write_connection_close(
      packet.data(), packet.size(), hd.version, &hd.scid, &hd.dcid, error, nullptr, 0);
  return sized(packet, written);
}

}  // namespace mosaik::transport::detail
