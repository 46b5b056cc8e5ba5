#pragma once
// Link<P>: typed messages over one bidirectional QUIC stream, the building block of every
// subsystem protocol (the seed's Link). P is a msgpack-serializable message type that names
// its ALPN:
//
//   struct Ping { std::uint64_t n; MSGPACK_DEFINE(n); static constexpr std::string_view alpn = "/x/1"; };
//   auto link = co_await Link<Ping>::open(endpoint, peer_addr);
//   co_await link->send(Ping{1});  auto got = co_await link->recv();
//   auto [tx, rx] = std::move(*link).split();  auto again = Link<Ping>::join(std::move(tx), std::move(rx));
//
// A frame over the maximum size, or one that does not decode as P, closes the link with
// ProtocolViolation on both sides.

#include <asio/awaitable.hpp>

#include <concepts>
#include <expected>
#include <string_view>
#include <utility>

#include "mosaik/primitives/frame.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/transport/connection.hpp"
#include "mosaik/transport/endpoint.hpp"
#include "mosaik/transport/raw_link.hpp"

namespace mosaik::transport {

template <class P>
concept Protocol = requires {
  { P::alpn } -> std::convertible_to<std::string_view>;
};

template <Protocol P>
class LinkSender {
 public:
  explicit LinkSender(RawLink raw) : raw_(std::move(raw)) {}

  asio::awaitable<std::expected<void, LinkError>> send(const P& message) {
    wire::Bytes framed;
    wire::append_encoded_frame(framed, message);
    if (framed.size() - wire::kFrameHeaderSize > raw_.max_frame_size()) {
      co_return std::unexpected(LinkError{LinkError::Kind::kClosed, close_reason::ProtocolViolation,
                                          false, "message larger than the maximum frame size"});
    }
    co_return co_await raw_.send_framed(std::move(framed));
  }
  void close(const CloseReason& reason) { raw_.close(reason); }
  void cancel() { raw_.cancel(); }
  const RawLink& raw() const { return raw_; }

 private:
  RawLink raw_;
};

template <Protocol P>
class LinkReceiver {
 public:
  explicit LinkReceiver(RawLink raw) : raw_(std::move(raw)) {}

  // The next message; an undecodable one closes the link with ProtocolViolation.
  asio::awaitable<std::expected<P, LinkError>> recv() {
    auto frame = co_await raw_.recv_frame();
    if (!frame) co_return std::unexpected(frame.error());
    auto message = wire::decode<P>(*frame);
    if (!message) {
      raw_.close(close_reason::ProtocolViolation);
      co_return std::unexpected(LinkError{LinkError::Kind::kClosed,
                                          close_reason::ProtocolViolation, false,
                                          "undecodable message: " + message.error().message()});
    }
    co_return std::move(*message);
  }
  void close(const CloseReason& reason) { raw_.close(reason); }
  void cancel() { raw_.cancel(); }
  const RawLink& raw() const { return raw_; }

 private:
  RawLink raw_;
};

template <Protocol P>
class Link {
 public:
  static constexpr std::string_view alpn = P::alpn;

  explicit Link(RawLink raw) : sender_(raw), receiver_(std::move(raw)) {}

  // Connects to `peer` (reusing the endpoint's connection for this ALPN) and opens a stream.
  static asio::awaitable<std::expected<Link, ConnectError>> open(
      Endpoint& endpoint, EndpointAddr peer,
      std::size_t max_frame_size = wire::kDefaultMaxFrameSize) {
    auto conn = co_await endpoint.connect(std::move(peer), std::string(alpn));
    if (!conn) co_return std::unexpected(conn.error());
    auto raw = co_await conn->open_link(max_frame_size);
    if (!raw) {
      co_return std::unexpected(
          ConnectError{ConnectError::Kind::kClosed, raw.error().reason, raw.error().message});
    }
    co_return Link(std::move(*raw));
  }
  // Waits for the peer's next link on `conn` (it appears when the peer first sends).
  static asio::awaitable<std::expected<Link, LinkError>> accept(
      Connection& conn, std::size_t max_frame_size = wire::kDefaultMaxFrameSize) {
    auto raw = co_await conn.accept_link(max_frame_size);
    if (!raw) co_return std::unexpected(raw.error());
    co_return Link(std::move(*raw));
  }

  asio::awaitable<std::expected<void, LinkError>> send(const P& message) {
    return sender_.send(message);
  }
  asio::awaitable<std::expected<P, LinkError>> recv() { return receiver_.recv(); }

  void close(const CloseReason& reason) { sender_.close(reason); }
  void cancel() { sender_.cancel(); }
  Connection connection() const { return sender_.raw().connection(); }

  std::pair<LinkSender<P>, LinkReceiver<P>> split() && {
    return {std::move(sender_), std::move(receiver_)};
  }
  // Rejoins halves split from the same link; nullopt when they belong to different links.
  static std::optional<Link> join(LinkSender<P> sender, LinkReceiver<P> receiver) {
    if (sender.raw().state() != receiver.raw().state()) return std::nullopt;
    return Link(std::move(sender), std::move(receiver));
  }

 private:
  Link(LinkSender<P> s, LinkReceiver<P> r) : sender_(std::move(s)), receiver_(std::move(r)) {}
  LinkSender<P> sender_;
  LinkReceiver<P> receiver_;
};

}  // namespace mosaik::transport
