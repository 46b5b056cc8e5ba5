// Shared setup for the transport tests: two endpoints on 127.0.0.1, each on its own event
// loop thread, and message types for typed links.
#pragma once

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <msgpack.hpp>

#include <cstdint>
#include <future>
#include <string>
#include <string_view>

#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/endpoint.hpp"
#include "mosaik/transport/link.hpp"
#include "support/time.hpp"

namespace mosaik::transport {
// gtest prints reasons by name and code instead of their bytes.
inline void PrintTo(const CloseReason& reason, std::ostream* os) { *os << fmt::format("{}", reason); }
}  // namespace mosaik::transport

namespace mosaik::transport::test {

inline constexpr std::string_view kTestAlpn = "/mosaik/test/1";

struct Numbered {
  std::uint64_t seq = 0;
  std::string body;
  MSGPACK_DEFINE(seq, body);
  static constexpr std::string_view alpn = kTestAlpn;
  friend bool operator==(const Numbered&, const Numbered&) = default;
};

// Same ALPN, different shape: what a peer speaking another version would send.
struct Other {
  std::string text;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  MSGPACK_DEFINE(text, a, b);
  static constexpr std::string_view alpn = kTestAlpn;
};

inline EndpointConfig loopback_config() {
  EndpointConfig config;
  // Generous: under sanitizers on a loaded machine, loss recovery can back off for seconds.
  config.idle_timeout = mosaik::test::secs(30);
  config.keep_alive = mosaik::test::millis(500);
  config.handshake_timeout = mosaik::test::secs(5);
  return config;
}

inline Endpoint bind_or_die(const SecretKey& key, EndpointConfig config = loopback_config()) {
  auto ep = Endpoint::bind(key, std::move(config));
  if (!ep) throw std::runtime_error("bind: " + ep.error().message);
  return std::move(*ep);
}

// Echo server body: every message received on a link goes back on it, until it closes.
inline asio::awaitable<void> echo_link(Link<Numbered> link) {
  for (;;) {
    auto msg = co_await link.recv();
    if (!msg) co_return;
    if (!co_await link.send(*msg)) co_return;
  }
}

inline asio::awaitable<void> echo_connection(Connection conn) {
  for (;;) {
    auto link = co_await Link<Numbered>::accept(conn);
    if (!link) co_return;
    auto executor = conn.executor();
    asio::co_spawn(executor, echo_link(std::move(*link)), asio::detached);
  }
}

inline void serve_echo(Endpoint& ep) {
  ep.register_alpn(std::string(kTestAlpn), [](Connection conn) {
    auto executor = conn.executor();  // before conn is moved into the coroutine
    asio::co_spawn(executor, echo_connection(std::move(conn)), asio::detached);
  });
}

}  // namespace mosaik::transport::test

namespace mosaik::transport::test {

// Runs `op` on the endpoint's own loop, bounded there by `seconds` (TIME_FACTOR-scaled), and
// returns its result to the test thread.
template <class T>
T run_on(Endpoint& ep, asio::awaitable<T> op, double seconds = 30) {
  return block_on(asio::co_spawn(ep.executor(), mosaik::test::timeout_s(seconds, std::move(op)),
                                 asio::use_awaitable));
}

inline std::string body_for(std::uint64_t seq, std::size_t size) {
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>('a' + (seq + i) % 26);
  return body;
}

// Sends `count` numbered messages; returns the first error's message, or "".
inline asio::awaitable<std::string> send_numbered(LinkSender<Numbered>& tx, std::uint64_t count,
                                                  std::size_t body_size) {
  for (std::uint64_t i = 0; i < count; ++i) {
    // A named message: g++ 12 double-destroys aggregate temporaries inside co_await.
    const Numbered message{i, body_for(i, body_size)};
    auto sent = co_await tx.send(message);
    if (!sent) co_return "send " + std::to_string(i) + ": " + sent.error().message;
  }
  co_return "";
}

// Receives `count` messages and checks each arrives once, in order, intact.
inline asio::awaitable<std::string> expect_numbered(LinkReceiver<Numbered>& rx, std::uint64_t count,
                                                    std::size_t body_size) {
  for (std::uint64_t i = 0; i < count; ++i) {
    auto got = co_await rx.recv();
    if (!got) co_return "recv " + std::to_string(i) + ": " + got.error().message;
    if (got->seq != i) {
      co_return "expected seq " + std::to_string(i) + ", got " + std::to_string(got->seq);
    }
    if (got->body != body_for(i, body_size)) co_return "corrupt body at " + std::to_string(i);
  }
  co_return "";
}

}  // namespace mosaik::transport::test
