#include "mosaik/transport/raw_link.hpp"

#include <asio/post.hpp>

#include "link_state.hpp"
#include "mosaik/transport/connection.hpp"
#include "mosaik/transport/on_executor.hpp"

namespace mosaik::transport {
namespace {

using detail::LinkState;

// How much received data a batch read moves into the decoder at once.
constexpr std::size_t kBatchFeedBytes = 64 * 1024;

LinkError endpoint_gone() {
  return LinkError{LinkError::Kind::kClosed, close_reason::GracefulShutdown, false,
                   "the endpoint has shut down"};
}

LinkError cancelled() {
  return LinkError{LinkError::Kind::kCancelled, close_reason::Cancelled, false,
                   "the operation was cancelled"};
}

asio::awaitable<std::expected<void, LinkError>> send_on_loop(std::shared_ptr<LinkState> st,
                                                             wire::Bytes frames) {
  auto& stream = *st->stream;
  // Bounded wait: each wake-up is an acknowledgement, an error or a cancellation.
  for (;;) {
    if (stream.send_error) co_return std::unexpected(*stream.send_error);
    // The peer closed the link with a reason: its STOP_SENDING came with it, sending is over.
    if (stream.recv_error && stream.recv_error->remote &&
        stream.recv_error->reason != close_reason::UnexpectedClose) {
      co_return std::unexpected(*stream.recv_error);
    }
    if (st->conn->has_send_capacity(stream)) break;
    if (!co_await stream.writable.wait()) co_return std::unexpected(cancelled());
  }
  co_return st->conn->enqueue(stream, std::move(frames));
}

asio::awaitable<std::expected<void, LinkError>> delivered_on_loop(std::shared_ptr<LinkState> st) {
  auto& stream = *st->stream;
  const std::uint64_t target = stream.queued;
  // Wake-ups on every acknowledgement while we wait, not only once there is room to send.
  ++stream.delivery_waiters;
  struct Release {
    std::size_t& n;
    ~Release() { --n; }
  } release{stream.delivery_waiters};
  // Bounded wait: each wake-up is an acknowledgement, an error or a cancellation.
  for (;;) {
    if (stream.acked >= target) co_return std::expected<void, LinkError>{};
    if (stream.send_error) co_return std::unexpected(*stream.send_error);
    if (stream.closed_in_quic) {
      co_return std::unexpected(LinkError{LinkError::Kind::kClosed, close_reason::UnexpectedClose,
                                          false, "the stream closed before it was all acknowledged"});
    }
    if (!co_await stream.writable.wait()) co_return std::unexpected(cancelled());
  }
}

// Feeds the decoder from the stream's received chunks: one chunk, or for a batch up to
// kBatchFeedBytes (more while no frame is complete), so a batch reader sees every frame
// that already arrived. The peer gets its credit back for what was fed.
void feed_decoder(LinkState& st, std::size_t up_to_bytes) {
  auto& stream = *st.stream;
  do {
    auto& chunk = stream.recv_chunks.front();
    std::span<const std::uint8_t> rest(chunk.data() + stream.recv_front_pos,
                                       chunk.size() - stream.recv_front_pos);
    st.decoder.feed(rest);
    st.fed += rest.size();
    st.conn->credit_fed(stream, rest.size());
    stream.recv_chunks.pop_front();
    stream.recv_front_pos = 0;
  } while (!stream.recv_chunks.empty() && st.decoder.buffered() < up_to_bytes);
}

// Every byte the decoder no longer holds was taken as part of a complete frame.
void count_taken_frames(LinkState& st) {
  const std::uint64_t taken = st.fed - st.decoder.buffered();
  if (taken > st.stream->recv_taken) st.conn->frames_taken(*st.stream, taken - st.stream->recv_taken);
}

// The receive loop shared by recv_frame and recv_frames: `take` pulls what the decoder has
// complete (nullopt: nothing yet); the loop feeds it and waits for data in between.
template <class Result, class Take>
asio::awaitable<std::expected<Result, LinkError>> recv_loop(std::shared_ptr<LinkState> st,
                                                            std::size_t feed_bytes, Take take) {
  auto& stream = *st->stream;
  for (;;) {
    std::expected<std::optional<Result>, wire::FrameError> got = take(st->decoder);
    if (!got) {
      st->conn->reset_stream(stream, close_reason::ProtocolViolation);
      co_return std::unexpected(LinkError{LinkError::Kind::kClosed,
                                          close_reason::ProtocolViolation, false,
                                          got.error().message()});
    }
    if (*got) {
      count_taken_frames(*st);
      co_return std::move(**got);
    }
    // Our own close ends the link at once; a peer's close still delivers what arrived before.
    if (stream.recv_error && !stream.recv_error->remote) co_return std::unexpected(*stream.recv_error);
    if (!stream.recv_chunks.empty()) {
      feed_decoder(*st, feed_bytes);
      continue;
    }
    if (stream.recv_error) co_return std::unexpected(*stream.recv_error);
    if (!co_await stream.readable.wait()) co_return std::unexpected(cancelled());
  }
}

asio::awaitable<std::expected<wire::Bytes, LinkError>> recv_on_loop(std::shared_ptr<LinkState> st) {
  return recv_loop<wire::Bytes>(std::move(st), 0, [](wire::FrameDecoder& decoder) {
    return decoder.next();
  });
}

asio::awaitable<std::expected<wire::FrameBatch, LinkError>> recv_batch_on_loop(
    std::shared_ptr<LinkState> st, std::size_t max_frames) {
  return recv_loop<wire::FrameBatch>(
      std::move(st), kBatchFeedBytes,
      [max_frames](wire::FrameDecoder& decoder)
          -> std::expected<std::optional<wire::FrameBatch>, wire::FrameError> {
        auto batch = decoder.take(max_frames);
        if (!batch) return std::unexpected(batch.error());
        if (batch->empty()) return std::nullopt;
        return std::move(*batch);
      });
}

}  // namespace

asio::awaitable<std::expected<void, LinkError>> RawLink::send_frame(
    std::span<const std::uint8_t> payload) {
  if (payload.size() > state_->decoder.max_frame_size()) {
    co_return std::unexpected(LinkError{LinkError::Kind::kClosed, close_reason::ProtocolViolation,
                                        false, "payload larger than the maximum frame size"});
  }
  wire::Bytes framed;
  wire::append_frame(framed, payload);
  co_return co_await send_framed(std::move(framed));
}

asio::awaitable<std::expected<void, LinkError>> RawLink::send_framed(wire::Bytes frames) {
  if (detail::executor_stopped(state_->conn->executor())) co_return std::unexpected(endpoint_gone());
  co_return co_await detail::on_executor(state_->conn->executor(),
                                         send_on_loop(state_, std::move(frames)));
}

asio::awaitable<std::expected<void, LinkError>> RawLink::until_delivered() {
  if (detail::executor_stopped(state_->conn->executor())) co_return std::unexpected(endpoint_gone());
  co_return co_await detail::on_executor(state_->conn->executor(), delivered_on_loop(state_));
}

asio::awaitable<std::expected<wire::Bytes, LinkError>> RawLink::recv_frame() {
  if (detail::executor_stopped(state_->conn->executor())) co_return std::unexpected(endpoint_gone());
  co_return co_await detail::on_executor(state_->conn->executor(), recv_on_loop(state_));
}

asio::awaitable<std::expected<wire::FrameBatch, LinkError>> RawLink::recv_frames(
    std::size_t max_frames) {
  if (max_frames == 0) max_frames = 1;
  if (detail::executor_stopped(state_->conn->executor())) co_return std::unexpected(endpoint_gone());
  co_return co_await detail::on_executor(state_->conn->executor(),
                                         recv_batch_on_loop(state_, max_frames));
}

void RawLink::close(const CloseReason& reason) {
  asio::dispatch(state_->conn->executor(), [st = state_, reason] {
    st->conn->reset_stream(*st->stream, reason);
  });
}

void RawLink::cancel() {
  asio::dispatch(state_->conn->executor(), [st = state_] {
    st->stream->fail(LinkError{LinkError::Kind::kCancelled, close_reason::Cancelled, false,
                               "the link was cancelled"});
    st->conn->reset_stream(*st->stream, close_reason::Cancelled);
  });
}

std::size_t RawLink::max_frame_size() const { return state_->decoder.max_frame_size(); }

void RawLink::set_max_frame_size(std::size_t max) {
  asio::dispatch(state_->conn->executor(), [st = state_, max] { st->decoder.set_max_frame_size(max); });
}

Connection RawLink::connection() const { return Connection(state_->conn, state_->keepalive); }

std::int64_t RawLink::stream_id() const { return state_->stream->id; }

}  // namespace mosaik::transport
