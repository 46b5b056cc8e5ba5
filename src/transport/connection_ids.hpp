// The connection IDs this endpoint issues: one length everywhere, so a short-header packet's
// destination ID can be read without knowing its connection.
#pragma once

#include <ngtcp2/ngtcp2.h>
#include <sodium.h>

#include <cstddef>

namespace mosaik::transport::detail {

inline constexpr std::size_t kCidLength = 16;

inline ngtcp2_cid random_cid() {
  ngtcp2_cid cid;
  cid.datalen = kCidLength;
  randombytes_buf(cid.data, kCidLength);
  return cid;
}

}  // namespace mosaik::transport::detail
