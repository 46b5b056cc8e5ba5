// What a connection's links hold of the bytes they received. Credit goes back to the peer
// when bytes enter a link's frame decoder (as before); what counts as held is every byte
// received and not yet taken as part of a complete frame: unread chunks and unfinished
// frames. The endpoint bounds this per connection and in sum (docs/decisions/0204).
#include <algorithm>
#include <cassert>

#include "quic_connection.hpp"

namespace mosaik::transport::detail {

void QuicConnection::add_pinned(std::int64_t delta) {
  if (delta == 0 || terminal_error_) return;  // a closed connection reported its release
  pinned_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(pinned_) + delta);
  if (host_ != nullptr) host_->on_pinned_changed(*this, delta);
}

void QuicConnection::on_stream_data(StreamState& s, std::size_t bytes) {
  s.recv_delivered += bytes;
  add_pinned(static_cast<std::int64_t>(bytes));
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
  add_pinned(-static_cast<std::int64_t>(bytes));
}

void QuicConnection::release_receive(StreamState& s) {
  s.recv_abandoned = true;
  const std::uint64_t held = s.recv_delivered - s.recv_taken;
  s.recv_taken = s.recv_delivered;
  add_pinned(-static_cast<std::int64_t>(held));
}

}  // namespace mosaik::transport::detail
