// One QUIC bidirectional stream as the connection and its link share it: the bytes queued
// for sending (kept until the peer acknowledges them, because ngtcp2 retransmits from our
// buffers), the bytes received and not yet read (bounded by the flow-control window we
// grant), and the terminal error once the stream is closed.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "mosaik/transport/errors.hpp"
#include "signal.hpp"

namespace mosaik::transport::detail {

using Bytes = std::vector<std::uint8_t>;

struct StreamState {
  StreamState(std::int64_t stream_id, const asio::any_io_executor& executor)
      : id(stream_id), readable(executor), writable(executor) {}

  const std::int64_t id;

  // --- send side: chunks cover stream offsets [front_offset, queued) ---
  std::deque<Bytes> send_chunks;
  std::uint64_t front_offset = 0;  // stream offset of send_chunks.front()[0]
  std::uint64_t queued = 0;        // total bytes ever queued
  std::uint64_t sent = 0;          // bytes handed to ngtcp2
  std::uint64_t acked = 0;         // contiguous bytes the peer acknowledged
  std::size_t cursor_index = 0;    // chunk holding offset `sent`
  std::size_t cursor_pos = 0;      // position of `sent` inside that chunk
  bool in_ready_list = false;      // queued in the connection's list of streams with data
  bool flow_blocked = false;       // waiting for MAX_STREAM_DATA
  bool fin_requested = false;      // end the stream after the queued bytes (link dropped)
  bool fin_sent = false;
  std::size_t delivery_waiters = 0;  // links in until_delivered(): woken on every ack

  std::uint64_t unacked() const { return queued - acked; }
  bool has_unsent() const { return sent < queued || (fin_requested && !fin_sent); }

  // --- receive side ---
  std::deque<Bytes> recv_chunks;
  std::size_t recv_front_pos = 0;  // bytes of recv_chunks.front() already read
  // What the link holds (receive_accounting.cpp): bytes ngtcp2 handed us in order, and bytes
  // the link took as complete frames; the difference is unread or an unfinished frame.
  std::uint64_t recv_delivered = 0;
  std::uint64_t recv_taken = 0;
  bool recv_abandoned = false;  // nobody reads any more: nothing of it is held

  // --- lifecycle: each direction ends once, with the error later operations fail with ---
  std::optional<LinkError> send_error;  // we closed, or the peer asked us to stop (STOP_SENDING)
  std::optional<LinkError> recv_error;  // we closed, or the peer reset or finished its side
  bool closed_in_quic = false;          // ngtcp2 has closed the stream

  void fail(const LinkError& e) {
    if (!send_error) send_error = e;
    if (!recv_error) recv_error = e;
  }

  Signal readable;
  Signal writable;
};

}  // namespace mosaik::transport::detail
