#include "mosaik/transport/connection.hpp"

#include <asio/dispatch.hpp>

#include "link_state.hpp"
#include "mosaik/transport/on_executor.hpp"
#include "quic_connection.hpp"

namespace mosaik::transport {
namespace {

asio::awaitable<std::expected<RawLink, LinkError>> make_link(
    std::shared_ptr<detail::QuicConnection> conn, std::shared_ptr<void> keepalive, bool open,
    std::size_t max_frame_size) {
  // Not a conditional expression: g++ 12 double-destroys temporaries of a co_await in ?:.
  std::expected<std::shared_ptr<detail::StreamState>, LinkError> stream =
      std::unexpected(LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose, false, ""});
  if (open) {
    stream = co_await conn->open_stream();
  } else {
    stream = co_await conn->accept_stream();
  }
  if (!stream) co_return std::unexpected(stream.error());
  co_return RawLink(std::make_shared<detail::LinkState>(conn, std::move(*stream), max_frame_size,
                                                        std::move(keepalive)));
}

}  // namespace

Connection::Connection(std::shared_ptr<detail::QuicConnection> impl, std::shared_ptr<void> keepalive)
    : keepalive_(std::move(keepalive)), impl_(std::move(impl)) {}

PeerId Connection::peer_id() const { return PeerId::from_bytes(impl_->peer_key()); }
const std::string& Connection::alpn() const { return impl_->alpn(); }
const SocketAddr& Connection::remote_address() const { return impl_->remote(); }
std::chrono::nanoseconds Connection::rtt() const { return impl_->smoothed_rtt(); }
bool Connection::is_open() const {
  return impl_->state() == detail::QuicConnection::State::kOpen;
}
std::optional<LinkError> Connection::close_error() const { return impl_->terminal_error(); }

std::expected<wire::Bytes, std::string> Connection::export_keying_material(
    std::string_view label, std::span<const std::uint8_t> context, std::size_t length) const {
  return impl_->export_keying_material(label, context, length);
}

void Connection::close(const CloseReason& reason) {
  asio::dispatch(impl_->executor(), [impl = impl_, reason] { impl->close(reason); });
}

void Connection::close_after_delivery(const CloseReason& reason) {
  asio::dispatch(impl_->executor(), [impl = impl_, reason] { impl->close_after_delivery(reason); });
}

asio::awaitable<std::expected<RawLink, LinkError>> Connection::open_link(std::size_t max_frame_size) {
  if (detail::executor_stopped(impl_->executor())) {
    co_return std::unexpected(LinkError{LinkError::Kind::kClosed, close_reason::GracefulShutdown,
                                        false, "the endpoint has shut down"});
  }
  co_return co_await detail::on_executor(impl_->executor(),
                                         make_link(impl_, keepalive_, true, max_frame_size));
}

asio::awaitable<std::expected<RawLink, LinkError>> Connection::accept_link(
    std::size_t max_frame_size) {
  if (detail::executor_stopped(impl_->executor())) {
    co_return std::unexpected(LinkError{LinkError::Kind::kClosed, close_reason::GracefulShutdown,
                                        false, "the endpoint has shut down"});
  }
  co_return co_await detail::on_executor(impl_->executor(),
                                         make_link(impl_, keepalive_, false, max_frame_size));
}

asio::any_io_executor Connection::executor() const { return impl_->executor(); }

}  // namespace mosaik::transport
