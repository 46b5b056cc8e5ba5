#pragma once
// Connection: an authenticated QUIC connection to one peer for one ALPN. Cheap to copy;
// links are opened and accepted on it. Its state lives on the endpoint's executor.
//
//   auto conn = co_await endpoint.connect(addr, "/mosaik/groups/1");
//   conn->peer_id();  conn->rtt();  auto link = co_await conn->open_link();

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mosaik/primitives/frame.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/close_reason.hpp"
#include "mosaik/transport/endpoint_addr.hpp"
#include "mosaik/transport/errors.hpp"
#include "mosaik/transport/raw_link.hpp"

namespace mosaik::transport {

namespace detail {
class QuicConnection;
}

class Connection {
 public:
  Connection(std::shared_ptr<detail::QuicConnection> impl, std::shared_ptr<void> keepalive);

  // Fixed after the handshake: safe from any thread.
  PeerId peer_id() const;
  const std::string& alpn() const;
  // The peer's address as this connection sees it: the address dialed, or the source of an
  // accepted handshake (connections do not migrate, decision 0214).
  const SocketAddr& remote_address() const;

  // The rest runs on (or hops to) the endpoint's executor.
  std::chrono::nanoseconds rtt() const;  // smoothed RTT estimate; call on the executor
  bool is_open() const;                  // call on the executor
  std::optional<LinkError> close_error() const;  // why it closed; call on the executor
  // Key material for proofs bound to this session (TLS exporter, RFC 5705); on the executor.
  [[nodiscard]] std::expected<wire::Bytes, std::string> export_keying_material(
      std::string_view label, std::span<const std::uint8_t> context, std::size_t length) const;
  // Closes the connection (every link on it) with `reason`. Posted to the executor.
  // What the links queued but the peer has not acknowledged yet is dropped.
  void close(const CloseReason& reason);
  // Closes with `reason` once the peer acknowledged everything queued on its links (at once
  // when nothing is outstanding); the idle timeout still ends a peer that stopped answering.
  void close_after_delivery(const CloseReason& reason);

  asio::awaitable<std::expected<RawLink, LinkError>> open_link(
      std::size_t max_frame_size = wire::kDefaultMaxFrameSize);
  asio::awaitable<std::expected<RawLink, LinkError>> accept_link(
      std::size_t max_frame_size = wire::kDefaultMaxFrameSize);

  asio::any_io_executor executor() const;
  const std::shared_ptr<detail::QuicConnection>& impl() const { return impl_; }
  const std::shared_ptr<void>& keepalive() const { return keepalive_; }

 private:
  // Declared first, so destroyed last: the endpoint's event loop outlives the connection.
  std::shared_ptr<void> keepalive_;
  std::shared_ptr<detail::QuicConnection> impl_;
};

}  // namespace mosaik::transport
