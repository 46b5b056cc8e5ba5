#include "network_proof.hpp"

#include <sodium.h>

#include <algorithm>
#include <string_view>

namespace mosaik::transport::detail {
namespace {

static_assert(crypto_auth_BYTES == kNetworkProofSize);
static_assert(crypto_auth_KEYBYTES == NetworkSecret::kSize);

constexpr std::string_view kExporterLabel = "EXPORTER-mosaik-network-proof";

std::string_view role_context(ProofRole role) {
  return role == ProofRole::kDialer ? "dialer" : "acceptor";
}

}  // namespace

std::expected<NetworkProof, std::string> make_network_proof(gnutls_session_t session,
                                                            const NetworkSecret& key,
                                                            ProofRole role) {
  std::array<std::uint8_t, 32> exported{};
  const auto context = role_context(role);
  const int rv = gnutls_prf_rfc5705(session, kExporterLabel.size(), kExporterLabel.data(),
                                    context.size(), context.data(), exported.size(),
                                    reinterpret_cast<char*>(exported.data()));
  if (rv < 0) return std::unexpected(std::string("TLS exporter: ") + gnutls_strerror(rv));
  NetworkProof proof{};
  crypto_auth(proof.data(), exported.data(), exported.size(), key.expose_secret_bytes().data());
  sodium_memzero(exported.data(), exported.size());
  return proof;
}

void ReceivedProof::append(std::span<const std::uint8_t> data) {
  const std::size_t take = std::min(data.size(), kNetworkProofSize - size);
  std::copy_n(data.begin(), take, bytes.begin() + static_cast<std::ptrdiff_t>(size));
  size += take;
  if (take < data.size()) {
    excess = true;
    ended = true;
  }
}

bool ReceivedProof::matches(const NetworkProof& expected) const {
  return size == kNetworkProofSize && !excess &&
         sodium_memcmp(bytes.data(), expected.data(), kNetworkProofSize) == 0;
}

}  // namespace mosaik::transport::detail
