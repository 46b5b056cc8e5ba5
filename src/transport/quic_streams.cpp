// The stream half of QuicConnection: the write loop that turns queued stream bytes into
// packets (batched for GSO), and the operations links use on their stream.
#include <algorithm>
#include <cstring>

#include <asio/post.hpp>

#include "clock.hpp"
#include "quic_connection.hpp"

namespace mosaik::transport::detail {
namespace {

constexpr std::size_t kMaxVecs = 16;
// One GSO send must fit one UDP datagram's length (65 507 bytes of IPv4 payload).
constexpr std::size_t kMaxGsoBatchBytes = 65000;

}  // namespace

std::shared_ptr<StreamState> QuicConnection::next_ready_stream() {
  while (!ready_streams_.empty()) {
    auto it = streams_.find(ready_streams_.front());
    if (it == streams_.end()) {
      ready_streams_.pop_front();
      continue;
    }
    auto& s = it->second;
    if (s->send_error || !s->has_unsent() || s->flow_blocked) {
      s->in_ready_list = false;
      ready_streams_.pop_front();
      continue;
    }
    return s;
  }
  return nullptr;
}

std::size_t QuicConnection::gather(const StreamState& s, ngtcp2_vec* vecs, std::size_t max) const {
  std::size_t n = 0;
  std::size_t index = s.cursor_index;
  std::size_t pos = s.cursor_pos;
  while (n < max && index < s.send_chunks.size()) {
    const Bytes& chunk = s.send_chunks[index];
    if (pos < chunk.size()) {
      vecs[n].base = const_cast<std::uint8_t*>(chunk.data()) + pos;
      vecs[n].len = chunk.size() - pos;
      ++n;
    }
    ++index;
    pos = 0;
  }
  return n;
}

void QuicConnection::advance_sent(StreamState& s, std::size_t n) {
  s.sent += n;
  if (n > 0 && has_send_capacity(s)) s.writable.notify();
  while (n > 0 && s.cursor_index < s.send_chunks.size()) {
    const std::size_t left = s.send_chunks[s.cursor_index].size() - s.cursor_pos;
    if (n < left) {
      s.cursor_pos += n;
      return;
    }
    n -= left;
    ++s.cursor_index;
    s.cursor_pos = 0;
  }
}

void QuicConnection::on_acked(StreamState& s, std::uint64_t upto) {
  if (upto <= s.acked) return;
  s.acked = upto;
  while (!s.send_chunks.empty() && s.front_offset + s.send_chunks.front().size() <= s.acked) {
    s.front_offset += s.send_chunks.front().size();
    s.send_chunks.pop_front();
    if (s.cursor_index > 0) {
      --s.cursor_index;
    } else {
      s.cursor_pos = 0;
    }
  }
  if (has_send_capacity(s) || s.delivery_waiters > 0) s.writable.notify();
  if (close_after_delivery_ && all_delivered()) {
    // Inside ngtcp2's packet processing: close from the next loop turn.
    asio::post(executor_, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (self && self->close_after_delivery_ && self->all_delivered()) {
        self->close(*self->close_after_delivery_);
      }
    });
  }
}

// A stream blocked by connection-level flow control gets no callback when MAX_DATA arrives
// (ngtcp2 0.12 has none): re-check every blocked stream before writing.
void QuicConnection::unblock_streams_with_credit() {
  if (blocked_streams_.empty() || ngtcp2_conn_get_max_data_left(conn_.get()) == 0) return;
  std::erase_if(blocked_streams_, [this](std::int64_t id) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return true;
    auto& s = *it->second;
    if (!s.flow_blocked) return true;
    if (ngtcp2_conn_get_max_stream_data_left(conn_.get(), id) == 0) return false;
    s.flow_blocked = false;
    if (s.has_unsent() && !s.in_ready_list) {
      s.in_ready_list = true;
      ready_streams_.push_back(id);
    }
    return true;
  });
}

void QuicConnection::flush() {
  if ((state_ != State::kHandshaking && state_ != State::kOpen) || in_flush_) return;
  auto self = shared_from_this();
  in_flush_ = true;
  unblock_streams_with_credit();

  const ngtcp2_tstamp ts = now_ns();
  // Handshake packets stay at the QUIC minimum; after it the path's size (large on loopback).
  const std::size_t path_max = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_.get());
  const std::size_t max_size = ngtcp2_conn_get_handshake_completed(conn_.get())
                                   ? path_max
                                   : std::min<std::size_t>(path_max, NGTCP2_MAX_UDP_PAYLOAD_SIZE);
  const std::size_t quantum = ngtcp2_conn_get_send_quantum(conn_.get());
  const std::size_t max_packets =
      std::clamp<std::size_t>(quantum / std::max<std::size_t>(max_size, 1), 1, kMaxPacketsPerFlush);
  if (tx_buffer_.size() < max_packets * max_size) tx_buffer_.resize(max_packets * max_size);

  std::size_t batch_bytes = 0;   // bytes of complete packets in tx_buffer_
  std::size_t segment = 0;       // size of the batch's first packet (GSO segment)
  std::size_t packets = 0;
  bool more = false;             // stopped by the per-flush cap with data left
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  ngtcp2_vec vecs[kMaxVecs];

  // Bounded: each round writes a packet, drops a stream from the ready list, or stops.
  for (std::size_t round = 0; round < 4 * kMaxPacketsPerFlush + 4 * ready_streams_.size() + 8;
       ++round) {
    // Streams carry data once TLS is done (before admission, only the network proof's).
    std::shared_ptr<StreamState> stream =
        ngtcp2_conn_get_handshake_completed(conn_.get()) != 0 ? next_ready_stream() : nullptr;
    const std::size_t nvecs = stream ? gather(*stream, vecs, kMaxVecs) : 0;
    const std::int64_t sid = stream ? stream->id : -1;
    std::uint32_t flags = stream ? NGTCP2_WRITE_STREAM_FLAG_MORE : NGTCP2_WRITE_STREAM_FLAG_NONE;
    // The FIN rides on the last bytes (or alone) once everything queued fits in this call.
    const bool all_gathered = stream && stream->cursor_index + nvecs >= stream->send_chunks.size();
    if (stream && stream->fin_requested && all_gathered) flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    ngtcp2_ssize accepted = -1;
    std::uint8_t* dest = tx_buffer_.data() + batch_bytes;
    const ngtcp2_ssize n = ngtcp2_conn_writev_stream(conn_.get(), &ps.path, &pi, dest, max_size,
                                                     &accepted, flags, sid, vecs, nvecs, ts);
    if (n < 0) {
      switch (n) {
        case NGTCP2_ERR_STREAM_DATA_BLOCKED:
          stream->flow_blocked = true;
          if (std::find(blocked_streams_.begin(), blocked_streams_.end(), stream->id) ==
              blocked_streams_.end()) {
            blocked_streams_.push_back(stream->id);
          }
          continue;
        case NGTCP2_ERR_STREAM_SHUT_WR:
        case NGTCP2_ERR_STREAM_NOT_FOUND:
          on_peer_stopped_reading(*stream);
          stream->in_ready_list = false;
          if (!ready_streams_.empty()) ready_streams_.pop_front();
          continue;
        case NGTCP2_ERR_WRITE_MORE:
          advance_sent(*stream, static_cast<std::size_t>(accepted));
          if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && stream->sent == stream->queued) {
            stream->fin_sent = true;
          }
          continue;
        default:
          in_flush_ = false;
          on_read_error(static_cast<int>(n));
          return;
      }
    }
    if (stream && accepted >= 0) {
      advance_sent(*stream, static_cast<std::size_t>(accepted));
      if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) && stream->sent == stream->queued) {
        stream->fin_sent = true;
      }
    }
    if (n == 0) break;  // nothing to send, or congestion/pacing limited
    const auto size = static_cast<std::size_t>(n);
    if (segment == 0) segment = size;
    if (size > segment) {
      // GSO needs equal segments: send what we have, restart the batch with this packet.
      send_packets({tx_buffer_.data(), batch_bytes}, segment);
      std::memmove(tx_buffer_.data(), dest, size);
      batch_bytes = size;
      segment = size;
    } else {
      batch_bytes += size;
    }
    ++packets;
    if (size < segment || batch_bytes + max_size > std::min(tx_buffer_.size(), kMaxGsoBatchBytes)) {
      send_packets({tx_buffer_.data(), batch_bytes}, segment);
      batch_bytes = 0;
      segment = 0;
    }
    if (packets >= max_packets) {
      more = true;
      break;
    }
  }
  send_packets({tx_buffer_.data(), batch_bytes}, segment);
  if (packets > 0) ngtcp2_conn_update_pkt_tx_time(conn_.get(), ts);
  in_flush_ = false;
  arm_timer();
  if (more) schedule_flush();  // let reads and timers run, then continue
}

asio::awaitable<std::expected<std::shared_ptr<StreamState>, LinkError>>
QuicConnection::open_stream() {
  auto self = shared_from_this();
  // Bounded by the peer's stream limit: we wait for MAX_STREAMS, never spin.
  for (;;) {
    if (terminal_error_) co_return std::unexpected(*terminal_error_);
    if (state_ != State::kOpen) {
      co_return std::unexpected(LinkError{LinkError::Kind::kClosed, close_reason::UnexpectedClose,
                                          false, "the connection is not open"});
    }
    std::int64_t id = -1;
    const int rv = ngtcp2_conn_open_bidi_stream(conn_.get(), &id, nullptr);
    if (rv == 0) {
      auto stream = std::make_shared<StreamState>(id, executor_);
      streams_.emplace(id, stream);
      co_return stream;
    }
    if (rv != NGTCP2_ERR_STREAM_ID_BLOCKED) {
      co_return std::unexpected(LinkError{LinkError::Kind::kTransport,
                                          close_reason::UnexpectedClose, false,
                                          std::string("open stream: ") + ngtcp2_strerror(rv)});
    }
    if (!co_await streams_changed_.wait()) {
      co_return std::unexpected(LinkError{LinkError::Kind::kCancelled, close_reason::Cancelled,
                                          false, "open cancelled"});
    }
  }
}

asio::awaitable<std::expected<std::shared_ptr<StreamState>, LinkError>>
QuicConnection::accept_stream() {
  auto self = shared_from_this();
  for (;;) {
    if (!incoming_streams_.empty()) {
      auto stream = std::move(incoming_streams_.front());
      incoming_streams_.pop_front();
      co_return stream;
    }
    if (terminal_error_) co_return std::unexpected(*terminal_error_);
    if (!co_await streams_changed_.wait()) {
      co_return std::unexpected(LinkError{LinkError::Kind::kCancelled, close_reason::Cancelled,
                                          false, "accept cancelled"});
    }
  }
}

std::expected<void, LinkError> QuicConnection::enqueue(StreamState& stream, Bytes bytes) {
  if (stream.send_error) return std::unexpected(*stream.send_error);
  if (bytes.empty()) return {};
  // Never flush here: one flush, posted once, runs after the handlers already queued on the
  // loop, so every message enqueued until then shares its packets (one datagram for a burst
  // instead of one each). A lone message waits only for those handlers (decision 0215).
  stream.queued += bytes.size();
  stream.send_chunks.push_back(std::move(bytes));
  if (!stream.in_ready_list) {
    stream.in_ready_list = true;
    ready_streams_.push_back(stream.id);
  }
  schedule_flush();
  return {};
}

void QuicConnection::reset_stream(StreamState& stream, const CloseReason& reason) {
  stream.fail(LinkError{LinkError::Kind::kClosed, reason, false,
                        fmt::format("link closed locally with {}", reason)});
  stream.recv_chunks.clear();
  release_receive(stream);
  stream.readable.notify();
  stream.writable.notify();
  if (state_ != State::kOpen || stream.closed_in_quic) return;
  (void)ngtcp2_conn_shutdown_stream(conn_.get(), stream.id, reason.code());
  schedule_flush();
}

void QuicConnection::on_peer_stopped_reading(StreamState& stream) {
  if (stream.send_error) return;
  // Our links send STOP_SENDING together with RESET_STREAM(reason) when closed, or alone
  // (Cancelled) when dropped: report the reason the reset carried, if one came.
  const bool reset_with_reason = stream.recv_error && stream.recv_error->remote &&
                                 stream.recv_error->reason != close_reason::UnexpectedClose;
  const CloseReason reason = reset_with_reason ? stream.recv_error->reason : close_reason::Cancelled;
  stream.send_error = LinkError{LinkError::Kind::kClosed, reason, true,
                                fmt::format("the peer stopped reading the link ({})", reason)};
  stream.writable.notify();
}

void QuicConnection::finish_stream(StreamState& stream) {
  if (state_ != State::kOpen || stream.closed_in_quic) {
    release_receive(stream);
    return;
  }
  if (!stream.send_error && !stream.fin_requested) {
    stream.fin_requested = true;
    if (!stream.in_ready_list) {
      stream.in_ready_list = true;
      ready_streams_.push_back(stream.id);
    }
  }
  // Nobody reads any more: ask the peer to stop sending (it sees Cancelled on its sends).
  if (!stream.recv_error) {
    stream.recv_error = LinkError{LinkError::Kind::kCancelled, close_reason::Cancelled, false,
                                  "the link was dropped"};
    stream.recv_chunks.clear();
    (void)ngtcp2_conn_shutdown_stream_read(conn_.get(), stream.id, close_reason::Cancelled.code());
  }
  release_receive(stream);  // the link is gone: nothing it held will be taken
  schedule_flush();
}

void QuicConnection::forget_stream(std::int64_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  it->second->closed_in_quic = true;
  // Closed in both directions: bytes a live link still has to read stay counted until it
  // takes them or goes; only a stream nobody reads is freed here.
  if (it->second->recv_abandoned) release_receive(*it->second);
  it->second->readable.notify();
  it->second->writable.notify();
  streams_.erase(it);
}

}  // namespace mosaik::transport::detail
