#include "tls_identity.hpp"

#include <sodium.h>

#include <cstring>
#include <ctime>

namespace mosaik::transport::detail {
namespace {

std::string gnutls_failure(const char* what, int rv) {
  return std::string(what) + ": " + gnutls_strerror(rv);
}

// A hex rendering of the key, used as the certificate's common name so tools that print
// certificates show which node they belong to.
std::string hex(const PublicKeyBytes& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(key.size() * 2);
  for (auto b : key) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace

std::expected<TlsIdentity, std::string> TlsIdentity::create(std::span<const std::uint8_t, 32> seed,
                                                            const PublicKeyBytes& public_key) {
  gnutls_x509_privkey_t raw_key = nullptr;
  if (int rv = gnutls_x509_privkey_init(&raw_key); rv < 0) {
    return std::unexpected(gnutls_failure("privkey_init", rv));
  }
  GnutlsX509Privkey key(raw_key);

  // GnuTLS copies both datums; our seed buffer stays owned (and wiped) by the caller.
  gnutls_datum_t x{const_cast<unsigned char*>(public_key.data()), 32};
  gnutls_datum_t k{const_cast<unsigned char*>(seed.data()), 32};
  if (int rv = gnutls_x509_privkey_import_ecc_raw(key.get(), GNUTLS_ECC_CURVE_ED25519, &x, nullptr,
                                                  &k);
      rv < 0) {
    return std::unexpected(gnutls_failure("import Ed25519 key", rv));
  }

  gnutls_x509_crt_t raw_crt = nullptr;
  if (int rv = gnutls_x509_crt_init(&raw_crt); rv < 0) {
    return std::unexpected(gnutls_failure("crt_init", rv));
  }
  GnutlsX509Crt crt(raw_crt);

  const std::string cn = "CN=" + hex(public_key);
  const unsigned char serial[1] = {1};
  int rv = gnutls_x509_crt_set_version(crt.get(), 3);
  if (rv >= 0) rv = gnutls_x509_crt_set_serial(crt.get(), serial, sizeof serial);
  // A fixed validity window: nobody checks it (trust is the key itself), and a fixed one keeps
  // the certificate independent of the local clock.
  if (rv >= 0) rv = gnutls_x509_crt_set_activation_time(crt.get(), 1577836800);  // 2020-01-01
  if (rv >= 0)
    rv = gnutls_x509_crt_set_expiration_time(crt.get(), GNUTLS_X509_NO_WELL_DEFINED_EXPIRATION);
  if (rv >= 0) rv = gnutls_x509_crt_set_dn(crt.get(), cn.c_str(), nullptr);
  if (rv >= 0) rv = gnutls_x509_crt_set_key(crt.get(), key.get());
  if (rv >= 0) rv = gnutls_x509_crt_sign2(crt.get(), crt.get(), key.get(), GNUTLS_DIG_UNKNOWN, 0);
  if (rv < 0) return std::unexpected(gnutls_failure("self-signed certificate", rv));

  gnutls_certificate_credentials_t raw_cred = nullptr;
  if (rv = gnutls_certificate_allocate_credentials(&raw_cred); rv < 0) {
    return std::unexpected(gnutls_failure("allocate credentials", rv));
  }
  TlsIdentity identity;
  identity.credentials_.reset(raw_cred);
  gnutls_x509_crt_t chain[1] = {crt.get()};
  if (rv = gnutls_certificate_set_x509_key(raw_cred, chain, 1, key.get()); rv < 0) {
    return std::unexpected(gnutls_failure("set certificate", rv));
  }
  identity.public_key_ = public_key;
  return identity;
}

std::expected<PublicKeyBytes, std::string> peer_public_key(gnutls_session_t session) {
  if (gnutls_certificate_type_get2(session, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509) {
    return std::unexpected("peer certificate is not X.509");
  }
  unsigned int count = 0;
  const gnutls_datum_t* certs = gnutls_certificate_get_peers(session, &count);
  if (certs == nullptr || count == 0) return std::unexpected("peer presented no certificate");

  gnutls_x509_crt_t raw_crt = nullptr;
  if (int rv = gnutls_x509_crt_init(&raw_crt); rv < 0) {
    return std::unexpected(gnutls_failure("crt_init", rv));
  }
  GnutlsX509Crt crt(raw_crt);
  if (int rv = gnutls_x509_crt_import(crt.get(), &certs[0], GNUTLS_X509_FMT_DER); rv < 0) {
    return std::unexpected(gnutls_failure("peer certificate", rv));
  }
  if (gnutls_x509_crt_get_pk_algorithm(crt.get(), nullptr) != GNUTLS_PK_EDDSA_ED25519) {
    return std::unexpected("peer key is not Ed25519");
  }
  gnutls_ecc_curve_t curve{};
  GnutlsDatum x;
  if (int rv = gnutls_x509_crt_get_pk_ecc_raw(crt.get(), &curve, &x.d, nullptr); rv < 0) {
    return std::unexpected(gnutls_failure("peer public key", rv));
  }
  if (curve != GNUTLS_ECC_CURVE_ED25519 || x.d.size != 32) {
    return std::unexpected("peer public key has the wrong size");
  }
  PublicKeyBytes out{};
  std::memcpy(out.data(), x.d.data, 32);
  return out;
}

}  // namespace mosaik::transport::detail
