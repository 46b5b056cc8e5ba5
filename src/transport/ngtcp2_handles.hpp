// ngtcp2_conn in a unique_ptr, so a connection's QUIC state is freed exactly once.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <memory>

namespace mosaik::transport::detail {

struct Ngtcp2ConnDeleter {
  void operator()(ngtcp2_conn* c) const noexcept { ngtcp2_conn_del(c); }
};
using Ngtcp2Conn = std::unique_ptr<ngtcp2_conn, Ngtcp2ConnDeleter>;

}  // namespace mosaik::transport::detail
