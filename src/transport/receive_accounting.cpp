// What a connection's links hold of the bytes they received. Credit goes back to the peer
// when bytes enter a link's frame decoder (as before); what counts as held is every byte
// received and not yet taken as part of a complete frame: unread chunks and unfinished
// frames. The endpoint bounds this per connection and in sum (docs/decisions/0204).
#include <cassert>

#include <asio/post.hpp>

#include "quic_connection.hpp"

namespace mosaik::transport::detail {

void QuicConnection::add_buffered(std::int64_t delta) {
  if (delta == 0 || terminal_error_) return;  // a closed connection reported its release
  buffered_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(buffered_) + delta);
  if (host_ != nullptr) host_->on_buffered_receive_changed(*this, delta);
}

bool QuicConnection::close_soon(const CloseReason& reason) {
  if (close_soon_posted_) return false;
  close_soon_posted_ = true;
  asio::post(executor_, [weak = weak_from_this(), reason] {
    if (auto self = weak.lock()) self->close(reason);
  });
  return true;
}

void QuicConnection::on_stream_data(StreamState& s, std::size_t bytes) {
  s.recv_delivered += bytes;
  add_buffered(static_cast<std::int64_t>(bytes));
  if (s.recv_abandoned) release_receive(s);  // nobody will take it
}

void QuicConnection::credit_fed(StreamState& s, std::size_t bytes) {
  if (bytes == 0 || state_ != State::kOpen || s.closed_in_quic) return;
  (void)ngtcp2_conn_extend_max_stream_offset(conn_.get(), s.id, bytes);
  ngtcp2_conn_extend_max_offset(conn_.get(), bytes);
  schedule_flush();
}

void QuicConnection::frames_taken(StreamState& s, std::uint64_t bytes) {
  if (bytes == 0 || s.recv_abandoned) return;
  s.recv_taken += bytes;
  assert(s.recv_taken <= s.recv_delivered);
  add_buffered(-static_cast<std::int64_t>(bytes));
}

void QuicConnection::release_receive(StreamState& s) {
  s.recv_abandoned = true;
  const std::uint64_t held = s.recv_delivered - s.recv_taken;
  s.recv_taken = s.recv_delivered;
  add_buffered(-static_cast<std::int64_t>(held));
}

}  // namespace mosaik::transport::detail
