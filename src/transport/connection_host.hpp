// What a QUIC connection needs from the endpoint that owns it: connection-ID routing,
// admitting a server connection's protocol, learning that a server connection is ready,
// being forgotten once finished, and the receive memory it holds.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstdint>
#include <string>

namespace mosaik::transport::detail {

class QuicConnection;

class ConnectionHost {
 public:
  virtual void register_cid(const ngtcp2_cid& cid, QuicConnection& conn) = 0;
  virtual void unregister_cid(const ngtcp2_cid& cid) = 0;
  // The client of a connection this endpoint accepted asked for `alpn` (its ClientHello was
  // read, nothing answered yet): false refuses it as busy, the endpoint being at that
  // protocol's bound of connections.
  virtual bool admits_alpn(QuicConnection& conn, const std::string& alpn) = 0;
  // A connection this endpoint accepted completed its handshake (peer and ALPN known).
  virtual void on_accepted(QuicConnection& conn) = 0;
  // The connection has nothing left to do; the host drops it (after the current call).
  virtual void on_finished(QuicConnection& conn) = 0;
  // Bytes received and not yet taken by links changed by `delta` on `conn` (the endpoint
  // bounds their sum over all connections).
  virtual void on_buffered_receive_changed(QuicConnection& conn, std::int64_t delta) = 0;

 protected:
  ~ConnectionHost() = default;
};

}  // namespace mosaik::transport::detail
