// Owning handles for GnuTLS objects: every GnuTLS pointer lives in a unique_ptr whose
// deleter calls the matching deinit, so early returns in setup code cannot leak.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>
#include <type_traits>

namespace mosaik::transport::detail {

struct GnutlsSessionDeleter {
  void operator()(gnutls_session_int* s) const noexcept { gnutls_deinit(s); }
};
struct GnutlsCredentialsDeleter {
  void operator()(gnutls_certificate_credentials_st* c) const noexcept {
    gnutls_certificate_free_credentials(c);
  }
};
struct GnutlsX509CrtDeleter {
  void operator()(gnutls_x509_crt_int* c) const noexcept { gnutls_x509_crt_deinit(c); }
};
struct GnutlsX509PrivkeyDeleter {
  // GnuTLS zeroes the key material inside deinit.
  void operator()(gnutls_x509_privkey_int* k) const noexcept { gnutls_x509_privkey_deinit(k); }
};
struct GnutlsPubkeyDeleter {
  void operator()(gnutls_pubkey_st* k) const noexcept { gnutls_pubkey_deinit(k); }
};

using GnutlsSession = std::unique_ptr<gnutls_session_int, GnutlsSessionDeleter>;
using GnutlsCredentials = std::unique_ptr<gnutls_certificate_credentials_st, GnutlsCredentialsDeleter>;
using GnutlsX509Crt = std::unique_ptr<gnutls_x509_crt_int, GnutlsX509CrtDeleter>;
using GnutlsX509Privkey = std::unique_ptr<gnutls_x509_privkey_int, GnutlsX509PrivkeyDeleter>;

// A datum whose data GnuTLS allocated; freed with gnutls_free.
struct GnutlsDatum {
  gnutls_datum_t d{nullptr, 0};
  GnutlsDatum() = default;
  GnutlsDatum(const GnutlsDatum&) = delete;
  GnutlsDatum& operator=(const GnutlsDatum&) = delete;
  ~GnutlsDatum() { gnutls_free(d.data); }
};

}  // namespace mosaik::transport::detail
