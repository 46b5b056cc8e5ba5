#pragma once
// The endpoint fuzz_endpoint feeds datagrams to, as the seed capture (seeds_endpoint.cpp)
// also runs it: a real transport::Endpoint with a fixed key on an in-memory network, at a
// fixed address, serving one ALPN whose links are read until they close. The remote hosts
// the datagrams come from have fixed addresses too.

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <array>
#include <cstddef>
#include <string_view>

#include "memory_network.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/endpoint.hpp"
#include "mosaik/transport/raw_link.hpp"

namespace mosaik::fuzz::endpoint_harness {

inline constexpr std::string_view kAlpn = "/mosaik/fuzz/1";
// Handlers run between two datagrams at most; a bound, not a wait (no timer fires early).
inline constexpr std::size_t kMaxHandlersPerDrain = 10'000;

inline const SecretKey& server_key() {
  static const SecretKey key = SecretKey::from_seed("fuzz-endpoint-server");
  return key;
}

inline transport::UdpEndpoint server_address() {
  return {asio::ip::make_address("10.9.0.1"), 4433};
}

// Where a record's datagram comes from (op bit 0): two hosts, so a second path is reachable.
inline transport::UdpEndpoint client_address(std::uint8_t op) {
  return {asio::ip::make_address((op & 1) == 0 ? "10.9.0.2" : "10.9.0.3"), 5000};
}

inline transport::EndpointConfig config(MemoryNetwork& network, transport::UdpEndpoint address) {
  transport::EndpointConfig c;
  c.addresses = {address};
  c.packet_path_factory = network.factory();
  c.max_connections = 16;
  // A second handshake in progress already gets a Retry: fuzzed Initials reach the
  // stateless answers as well as token verification (which any token reaches).
  c.retry_from_pending_handshakes = 1;
  return c;
}

// The server side of the ALPN: every link's frames are read (and echoed) until it closes.
inline asio::awaitable<void> echo_link(transport::RawLink link) {
  for (std::size_t i = 0; i < 64; ++i) {
    auto frame = co_await link.recv_frame();
    if (!frame || !co_await link.send_frame(*frame)) co_return;
  }
}

inline asio::awaitable<void> serve_connection(transport::Connection connection) {
  for (std::size_t i = 0; i < 16; ++i) {
    auto link = co_await connection.accept_link();
    if (!link) co_return;
    asio::co_spawn(connection.executor(), echo_link(std::move(*link)), asio::detached);
  }
}

inline void serve(transport::Endpoint& endpoint) {
  endpoint.register_alpn(std::string(kAlpn), [](transport::Connection connection) {
    auto executor = connection.executor();
    asio::co_spawn(executor, serve_connection(std::move(connection)), asio::detached);
  });
}

// Runs what is ready now (no waiting on timers), at most kMaxHandlersPerDrain handlers.
inline void drain(asio::io_context& io) {
  io.restart();
  for (std::size_t i = 0; i < kMaxHandlersPerDrain && io.poll_one() > 0; ++i) {
  }
}

}  // namespace mosaik::fuzz::endpoint_harness
