#include "proof.hpp"

#include <sodium.h>

#include <algorithm>
#include <string_view>

namespace mosaik::groups::detail {
namespace {

static_assert(crypto_auth_BYTES == Digest::kSize);
static_assert(crypto_auth_KEYBYTES == GroupKey::kSize);

constexpr std::string_view kExporterLabel = "EXPORTER-mosaik-group-bond";

}  // namespace

std::expected<Exported, std::string> exported_for_bond(const transport::Connection& connection,
                                                      const GroupId& group, BondRole role) {
  // Context: the group and the prover's role, so neither a proof for another group nor the
  // other side's proof is ever the one expected.
  std::array<std::uint8_t, Digest::kSize + 1> context{};
  std::copy_n(group.as_bytes().begin(), Digest::kSize, context.begin());
  context.back() = static_cast<std::uint8_t>(role);
  auto bytes = connection.export_keying_material(kExporterLabel, context, 32);
  if (!bytes) return std::unexpected(bytes.error());
  if (bytes->size() != 32) return std::unexpected(std::string("TLS exporter: short output"));
  Exported out{};
  std::copy_n(bytes->begin(), out.size(), out.begin());
  sodium_memzero(bytes->data(), bytes->size());
  return out;
}

Digest bond_proof(const Exported& exported, const GroupKey& key, const PeerId& prover, const PeerId& verifier) {
  const auto proof_key = key.derive("bond-proof");
  crypto_auth_hmacsha512256_state state;
  crypto_auth_hmacsha512256_init(&state, proof_key.data(), proof_key.size());
  crypto_auth_hmacsha512256_update(&state, exported.data(), exported.size());
  crypto_auth_hmacsha512256_update(&state, prover.as_bytes().data(), prover.as_bytes().size());
  crypto_auth_hmacsha512256_update(&state, verifier.as_bytes().data(), verifier.as_bytes().size());
  Digest::Bytes out{};
  crypto_auth_hmacsha512256_final(&state, out.data());
  sodium_memzero(&state, sizeof state);
  return Digest::from_bytes(out);
}

bool proofs_equal(const Digest& a, const Digest& b) {
  return sodium_memcmp(a.as_bytes().data(), b.as_bytes().data(), Digest::kSize) == 0;
}

}  // namespace mosaik::groups::detail
