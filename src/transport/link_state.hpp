// What a RawLink shares between its halves: the connection, its stream, and the frame
// decoder for the receive side.
#pragma once

#include <asio/dispatch.hpp>

#include <memory>

#include "mosaik/primitives/frame.hpp"
#include "quic_connection.hpp"

namespace mosaik::transport::detail {

struct LinkState {
  LinkState(std::shared_ptr<QuicConnection> c, std::shared_ptr<StreamState> s,
            std::size_t max_frame, std::shared_ptr<void> keep)
      : keepalive(std::move(keep)), conn(std::move(c)), stream(std::move(s)), decoder(max_frame) {}
  LinkState(const LinkState&) = delete;
  LinkState& operator=(const LinkState&) = delete;

  // A link dropped without close() still delivers what it sent (FIN after it), and stops
  // reading: the peer's sends then fail with Cancelled.
  ~LinkState() {
    asio::dispatch(conn->executor(), [weak_conn = std::weak_ptr<QuicConnection>(conn),
                                      weak_stream = std::weak_ptr<StreamState>(stream)] {
      auto c = weak_conn.lock();
      auto s = weak_stream.lock();
      if (c && s) c->finish_stream(*s);
    });
  }

  // First member, so destroyed last: the event loop outlives the connection's timers.
  std::shared_ptr<void> keepalive;
  std::shared_ptr<QuicConnection> conn;
  std::shared_ptr<StreamState> stream;
  wire::FrameDecoder decoder;
  std::uint64_t fed = 0;  // stream bytes moved into the decoder so far
};

}  // namespace mosaik::transport::detail
