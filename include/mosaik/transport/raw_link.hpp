#pragma once
// RawLink: frames of bytes over one bidirectional QUIC stream (4-byte big-endian length,
// then the payload). Link<P> puts typed msgpack messages on top; subsystems use Link<P>.
//
//   auto link = co_await connection.open_link();
//   co_await link->send_frame(bytes);  auto frame = co_await link->recv_frame();

#include <asio/awaitable.hpp>

#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <vector>

#include "mosaik/primitives/frame.hpp"
#include "mosaik/transport/close_reason.hpp"
#include "mosaik/transport/errors.hpp"

namespace mosaik::transport {

namespace detail {
struct LinkState;
}

class Connection;

class RawLink {
 public:
  explicit RawLink(std::shared_ptr<detail::LinkState> state) : state_(std::move(state)) {}

  // Sends one frame that holds `payload`. Waits while the stream's send buffer is full.
  asio::awaitable<std::expected<void, LinkError>> send_frame(std::span<const std::uint8_t> payload);
  // Sends bytes that already are one or more complete frames (header included).
  asio::awaitable<std::expected<void, LinkError>> send_framed(wire::Bytes frames);
  // The next frame's payload. An oversized frame closes the link with ProtocolViolation.
  asio::awaitable<std::expected<wire::Bytes, LinkError>> recv_frame();
  // Every frame that already arrived, up to `max_frames` (at least one; waits for the
  // first). Frames before an oversized one are delivered; the next call reports it.
  asio::awaitable<std::expected<wire::FrameBatch, LinkError>> recv_frames(std::size_t max_frames);

  // Completes once the peer acknowledged every byte sent on this link so far; fails with the
  // link's error if it ends first. Bound it with a timeout: a peer that stops reading stops
  // acknowledging.
  asio::awaitable<std::expected<void, LinkError>> until_delivered();

  // Closes the link with `reason`: pending data is dropped, the peer's recv fails with it.
  void close(const CloseReason& reason);
  // Wakes every pending and future operation with kCancelled (closes with Cancelled).
  void cancel();

  std::size_t max_frame_size() const;
  // Changes the limit for frames not yet received (a protocol whose first message is small
  // reads it with a tight limit, then raises it). Call between receives, not during one.
  void set_max_frame_size(std::size_t max);
  Connection connection() const;
  std::int64_t stream_id() const;

  const std::shared_ptr<detail::LinkState>& state() const { return state_; }

 private:
  std::shared_ptr<detail::LinkState> state_;
};

}  // namespace mosaik::transport
