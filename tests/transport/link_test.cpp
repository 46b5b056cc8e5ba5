// Typed links over one QUIC stream each: bulk exchange both ways, many concurrent links on
// one connection, split and join, cancellation, typed close reasons, and the two kinds of
// bad frames (oversized, undecodable) that must close the link with ProtocolViolation.
#include <asio/experimental/awaitable_operators.hpp>

#include "mosaik/primitives/async/notifier.hpp"
#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace link_test {
namespace {

using namespace asio::experimental::awaitable_operators;
using mosaik::test::millis;
using mosaik::test::secs;

// A raw (untyped) link to `to` on the test ALPN, for tests that write bytes a typed link
// would refuse to send.
asio::awaitable<std::expected<RawLink, LinkError>> open_raw_link(Endpoint& ep, EndpointAddr to) {
  auto conn = co_await ep.connect(to, std::string(kTestAlpn));
  if (!conn) {
    co_return std::unexpected(
        LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose, false, "connect"});
  }
  auto raw = co_await conn->open_link();
  co_return raw;
}

// Both directions at once over one link: each side sends `count` and checks `count`.
asio::awaitable<std::string> exchange(Link<Numbered> link, std::uint64_t count, std::size_t size) {
  // Named halves, no structured bindings: g++ 12 mis-destroys those inside coroutines.
  auto halves = std::move(link).split();
  auto results = co_await (send_numbered(halves.first, count, size) &&
                           expect_numbered(halves.second, count, size));
  const std::string sent = std::get<0>(results);
  const std::string received = std::get<1>(results);
  co_return sent.empty() ? received : sent;
}

TEST(TransportLink, two_endpoints_exchange_100000_messages_each_way_over_one_link) {
  constexpr std::uint64_t kCount = 100'000;
  constexpr std::size_t kBody = 32;
  auto server = bind_or_die(SecretKey::generate());
  auto client = bind_or_die(SecretKey::generate());

  std::promise<std::string> server_result;
  auto server_done = server_result.get_future();
  server.register_alpn(std::string(kTestAlpn), [&server_result](Connection conn) {
    auto serve = [](Connection c, std::promise<std::string>& out) -> asio::awaitable<void> {
      auto link = co_await Link<Numbered>::accept(c);
      if (!link) {
        out.set_value("accept: " + link.error().message);
        co_return;
      }
      out.set_value(co_await exchange(std::move(*link), kCount, kBody));
    };
    asio::co_spawn(conn.executor(), serve(conn, server_result), asio::detached);
  });

  auto client_result = run_on(
      client,
      [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
        auto link = co_await Link<Numbered>::open(ep, to);
        if (!link) co_return "open: " + link.error().message;
        co_return co_await exchange(std::move(*link), kCount, kBody);
      }(client, server.addr()),
      120);
  EXPECT_EQ(client_result, "");
  ASSERT_EQ(server_done.wait_for(secs(60)), std::future_status::ready);
  EXPECT_EQ(server_done.get(), "");
}

TEST(TransportLink, one_hundred_concurrent_links_on_one_connection_keep_order_and_content) {
  constexpr int kLinks = 100;
  constexpr std::uint64_t kPerLink = 500;
  constexpr std::size_t kBody = 100;
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  auto client = bind_or_die(SecretKey::generate());

  auto one_link = [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
    auto link = co_await Link<Numbered>::open(ep, to);
    if (!link) co_return "open: " + link.error().message;
    auto conn = link->connection();
    co_return co_await exchange(std::move(*link), kPerLink, kBody);
  };
  auto all = [](Endpoint& ep, EndpointAddr to,
                decltype(one_link) body) -> asio::awaitable<std::vector<std::string>> {
    // Runs every link at once on this loop and collects each one's verdict.
    struct Shared {
      std::vector<std::string> results;
      int pending = kLinks;
      Notifier done;
    };
    auto shared = std::make_shared<Shared>();
    auto executor = co_await asio::this_coro::executor;
    for (int i = 0; i < kLinks; ++i) {
      asio::co_spawn(executor, body(ep, to),
                     [shared](std::exception_ptr e, std::string r) {
                       shared->results.push_back(e ? "exception" : r);
                       if (--shared->pending == 0) shared->done.notify();
                     });
    }
    for (;;) {  // bounded by the caller's timeout
      const auto seen = shared->done.version();
      if (shared->pending == 0) break;
      co_await shared->done.wait_change(seen);
    }
    co_return shared->results;
  };
  auto results = run_on(client, all(client, server.addr(), one_link), 120);
  ASSERT_EQ(results.size(), static_cast<std::size_t>(kLinks));
  for (const auto& r : results) EXPECT_EQ(r, "");
}

TEST(TransportLink, split_halves_join_back_into_a_working_link_and_strangers_do_not) {
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  auto client = bind_or_die(SecretKey::generate());
  auto verdict = run_on(client, [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
    auto a = co_await Link<Numbered>::open(ep, to);
    auto b = co_await Link<Numbered>::open(ep, to);
    if (!a || !b) co_return "open failed";
    auto a_halves = std::move(*a).split();
    auto b_halves = std::move(*b).split();
    if (Link<Numbered>::join(b_halves.first, a_halves.second)) {
      co_return "joined halves of different links";
    }
    auto joined = Link<Numbered>::join(std::move(a_halves.first), std::move(a_halves.second));
    if (!joined) co_return "could not rejoin";
    const Numbered seven{7, "seven"};
    if (!co_await joined->send(seven)) co_return "send failed";
    auto echo = co_await joined->recv();
    if (!echo || echo->seq != 7 || echo->body != "seven") co_return "wrong echo";
    co_return "";
  }(client, server.addr()));
  EXPECT_EQ(verdict, "");
}

TEST(TransportLink, cancel_wakes_a_pending_recv_and_a_timed_out_recv_leaves_the_link_usable) {
  auto server = bind_or_die(SecretKey::generate());
  serve_echo(server);
  auto client = bind_or_die(SecretKey::generate());
  auto verdict = run_on(client, [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
    auto link = co_await Link<Numbered>::open(ep, to);
    if (!link) co_return "open failed";
    // A recv bounded by a timeout is cancelled without harming the link.
    auto quiet = co_await with_timeout(link->recv(), millis(100));
    if (quiet) co_return "recv returned without a message";
    const Numbered one{1, "x"};
    if (!co_await link->send(one)) co_return "send after timeout failed";
    auto echo = co_await link->recv();
    if (!echo || echo->seq != 1) co_return "no echo after timeout";
    // cancel() ends a recv that waits for nothing.
    auto halves = std::move(*link).split();
    auto& tx = halves.first;
    auto& rx = halves.second;
    auto waiting = [](LinkReceiver<Numbered>& r) -> asio::awaitable<std::expected<Numbered, LinkError>> {
      co_return co_await r.recv();
    };
    auto cancel_soon = [](LinkSender<Numbered>& t) -> asio::awaitable<void> {
      co_await sleep_for(std::chrono::milliseconds(20));  // lets recv start waiting first
      t.cancel();
    };
    auto got = co_await (waiting(rx) && cancel_soon(tx));
    if (got) co_return "recv succeeded after cancel";
    if (got.error().kind != LinkError::Kind::kCancelled) co_return "not kCancelled: " + got.error().message;
    co_return "";
  }(client, server.addr()));
  EXPECT_EQ(verdict, "");
}

// The server side of the bad-frame tests: accepts one link with a 1 KiB frame limit and
// reports how its first recv ended.
void serve_one_strict_link(Endpoint& server, std::promise<std::optional<LinkError>>& out) {
  server.register_alpn(std::string(kTestAlpn), [&out](Connection conn) {
    auto serve = [](Connection c, std::promise<std::optional<LinkError>>& o) -> asio::awaitable<void> {
      auto link = co_await Link<Numbered>::accept(c, 1024);
      if (!link) {
        o.set_value(link.error());
        co_return;
      }
      auto got = co_await link->recv();
      o.set_value(got ? std::nullopt : std::optional<LinkError>(got.error()));
      // Keep the link until the client has seen the close.
      co_await link->recv();
    };
    asio::co_spawn(conn.executor(), serve(conn, out), asio::detached);
  });
}

TEST(TransportLink, oversized_frame_closes_the_link_with_protocol_violation_on_both_sides) {
  auto server = bind_or_die(SecretKey::generate());
  std::promise<std::optional<LinkError>> server_error;
  auto server_done = server_error.get_future();
  serve_one_strict_link(server, server_error);
  auto client = bind_or_die(SecretKey::generate());

  auto client_error = run_on(client, [](Endpoint& ep, EndpointAddr to)
                                          -> asio::awaitable<std::optional<LinkError>> {
    auto link = co_await Link<Numbered>::open(ep, to);
    if (!link) co_return LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose, false, "open"};
    // 64 KiB against the server's 1 KiB limit.
    const Numbered big{1, std::string(64 * 1024, 'x')};
    (void)co_await link->send(big);
    auto got = co_await link->recv();
    co_return got ? std::nullopt : std::optional<LinkError>(got.error());
  }(client, server.addr()));

  ASSERT_EQ(server_done.wait_for(secs(10)), std::future_status::ready);
  auto server_side = server_done.get();
  ASSERT_TRUE(server_side.has_value());
  EXPECT_EQ(server_side->reason, close_reason::ProtocolViolation) << server_side->message;
  ASSERT_TRUE(client_error.has_value());
  EXPECT_EQ(client_error->kind, LinkError::Kind::kClosed);
  EXPECT_EQ(client_error->reason, close_reason::ProtocolViolation) << client_error->message;
  EXPECT_TRUE(client_error->remote);
}

TEST(TransportLink, batched_receive_delivers_the_frames_before_an_oversized_one_then_fails) {
  auto server = bind_or_die(SecretKey::generate());
  struct Seen {
    std::size_t frames = 0;
    bool in_order = true;
    std::optional<LinkError> error;
  };
  std::promise<Seen> seen;
  auto server_done = seen.get_future();
  server.register_alpn(std::string(kTestAlpn), [&seen](Connection conn) {
    auto serve = [](Connection c, std::promise<Seen>& out) -> asio::awaitable<void> {
      auto raw = co_await c.accept_link(1024);
      Seen result;
      if (!raw) {
        result.error = raw.error();
        out.set_value(result);
        co_return;
      }
      // Bounded: 100 good frames then an error, in at most 101 reads.
      for (int read = 0; read < 101 && !result.error; ++read) {
        auto batch = co_await raw->recv_frames(64);
        if (!batch) {
          result.error = batch.error();
          break;
        }
        for (std::size_t i = 0; i < batch->size(); ++i) {
          const auto n = wire::decode<std::uint64_t>((*batch)[i]);
          result.in_order = result.in_order && n && *n == result.frames;
          ++result.frames;
        }
      }
      out.set_value(result);
      co_await raw->recv_frame();  // keep the link until the client has seen the close
    };
    asio::co_spawn(conn.executor(), serve(conn, seen), asio::detached);
  });
  auto client = bind_or_die(SecretKey::generate());

  auto client_error = run_on(client, [](Endpoint& ep, EndpointAddr to)
                                          -> asio::awaitable<std::optional<LinkError>> {
    auto raw = co_await open_raw_link(ep, to);
    if (!raw) co_return raw.error();
    // 100 small frames and a 64 KiB one (over the server's 1 KiB limit) in one write.
    wire::Bytes frames;
    for (std::uint64_t i = 0; i < 100; ++i) wire::append_encoded_frame(frames, i);
    wire::append_frame(frames, wire::Bytes(64 * 1024, 0x01));
    (void)co_await raw->send_framed(std::move(frames));
    auto got = co_await raw->recv_frame();
    co_return got ? std::nullopt : std::optional<LinkError>(got.error());
  }(client, server.addr()));

  ASSERT_EQ(server_done.wait_for(secs(10)), std::future_status::ready);
  const auto server_side = server_done.get();
  EXPECT_EQ(server_side.frames, 100u);
  EXPECT_TRUE(server_side.in_order);
  ASSERT_TRUE(server_side.error.has_value());
  EXPECT_EQ(server_side.error->reason, close_reason::ProtocolViolation) << server_side.error->message;
  ASSERT_TRUE(client_error.has_value());
  EXPECT_EQ(client_error->reason, close_reason::ProtocolViolation) << client_error->message;
}

TEST(TransportLink, undecodable_frame_closes_the_link_with_protocol_violation_on_both_sides) {
  auto server = bind_or_die(SecretKey::generate());
  std::promise<std::optional<LinkError>> server_error;
  auto server_done = server_error.get_future();
  serve_one_strict_link(server, server_error);
  auto client = bind_or_die(SecretKey::generate());

  auto client_error = run_on(client, [](Endpoint& ep, EndpointAddr to)
                                          -> asio::awaitable<std::optional<LinkError>> {
    auto link = co_await Link<Other>::open(ep, to);
    if (!link) co_return LinkError{LinkError::Kind::kTransport, close_reason::UnexpectedClose, false, "open"};
    const Other other{"not a Numbered", 1, 2};
    (void)co_await link->send(other);
    auto got = co_await link->recv();
    co_return got ? std::nullopt : std::optional<LinkError>(got.error());
  }(client, server.addr()));

  ASSERT_EQ(server_done.wait_for(secs(10)), std::future_status::ready);
  auto server_side = server_done.get();
  ASSERT_TRUE(server_side.has_value());
  EXPECT_EQ(server_side->reason, close_reason::ProtocolViolation) << server_side->message;
  ASSERT_TRUE(client_error.has_value());
  EXPECT_EQ(client_error->reason, close_reason::ProtocolViolation) << client_error->message;
  EXPECT_TRUE(client_error->remote);
}

TEST(TransportLink, a_frame_header_declaring_4_gib_is_refused_before_its_body_arrives) {
  auto server = bind_or_die(SecretKey::generate());
  std::promise<std::optional<LinkError>> server_error;
  auto server_done = server_error.get_future();
  server.register_alpn(std::string(kTestAlpn), [&server_error](Connection conn) {
    auto serve = [](Connection c, std::promise<std::optional<LinkError>>& o) -> asio::awaitable<void> {
      auto link = co_await Link<Numbered>::accept(c);  // default 16 MiB limit
      if (!link) co_return;
      auto got = co_await link->recv();
      o.set_value(got ? std::nullopt : std::optional<LinkError>(got.error()));
    };
    auto executor = conn.executor();
    asio::co_spawn(executor, serve(conn, server_error), asio::detached);
  });
  auto client = bind_or_die(SecretKey::generate());

  // Only the 4-byte header goes out: a decoder that waited for (or allocated) the declared
  // body would never answer; the check on the header alone closes the link.
  auto client_error = run_on(client, [](Endpoint& ep, EndpointAddr to)
                                          -> asio::awaitable<std::optional<LinkError>> {
    auto raw = co_await open_raw_link(ep, to);
    if (!raw) co_return raw.error();
    wire::Bytes header(4, 0xff);  // named: g++ 12 rejects a braced list inside co_await
    (void)co_await raw->send_framed(std::move(header));
    auto got = co_await raw->recv_frame();
    co_return got ? std::nullopt : std::optional<LinkError>(got.error());
  }(client, server.addr()));

  ASSERT_EQ(server_done.wait_for(secs(10)), std::future_status::ready);
  auto seen = server_done.get();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->reason, close_reason::ProtocolViolation) << seen->message;
  ASSERT_TRUE(client_error.has_value());
  EXPECT_EQ(client_error->reason, close_reason::ProtocolViolation) << client_error->message;
}

inline constexpr CloseReason kInvalidProof = make_close_reason(30405, "InvalidProof");

// Server side of the close tests: echoes the first message, then reports how the next
// recv ended.
void serve_echo_once_then_report(Endpoint& server, std::promise<std::optional<LinkError>>& out) {
  server.register_alpn(std::string(kTestAlpn), [&out](Connection conn) {
    auto serve = [](Connection c, std::promise<std::optional<LinkError>>& o) -> asio::awaitable<void> {
      auto link = co_await Link<Numbered>::accept(c);
      if (!link) {
        o.set_value(link.error());
        co_return;
      }
      auto first = co_await link->recv();
      if (first) (void)co_await link->send(*first);
      auto next = co_await link->recv();
      o.set_value(next ? std::nullopt : std::optional<LinkError>(next.error()));
    };
    asio::co_spawn(conn.executor(), serve(conn, out), asio::detached);
  });
}

TEST(TransportLink, a_typed_link_close_reason_reaches_the_peer_and_compares_equal) {
  auto server = bind_or_die(SecretKey::generate());
  std::promise<std::optional<LinkError>> server_error;
  auto server_done = server_error.get_future();
  serve_echo_once_then_report(server, server_error);
  auto client = bind_or_die(SecretKey::generate());

  auto verdict = run_on(client, [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
    auto link = co_await Link<Numbered>::open(ep, to);
    if (!link) co_return "open failed";
    const Numbered hello{0, "hello"};
    if (!co_await link->send(hello)) co_return "send failed";
    if (!co_await link->recv()) co_return "no echo";
    link->close(kInvalidProof);
    auto after = co_await link->recv();
    if (after) co_return "recv after close succeeded";
    if (after.error().remote) co_return "local close reported as remote";
    co_return "";
  }(client, server.addr()));
  EXPECT_EQ(verdict, "");

  ASSERT_EQ(server_done.wait_for(secs(10)), std::future_status::ready);
  auto seen = server_done.get();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->kind, LinkError::Kind::kClosed);
  EXPECT_TRUE(seen->remote);
  EXPECT_EQ(seen->reason, kInvalidProof) << seen->message;
  EXPECT_TRUE((seen->reason == ApplicationClose{30405, ""}));
}

TEST(TransportLink, closing_the_connection_fails_every_link_on_it_with_the_reason) {
  auto server = bind_or_die(SecretKey::generate());
  std::promise<std::optional<LinkError>> server_error;
  auto server_done = server_error.get_future();
  serve_echo_once_then_report(server, server_error);
  auto client = bind_or_die(SecretKey::generate());

  auto verdict = run_on(client, [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
    auto link = co_await Link<Numbered>::open(ep, to);
    if (!link) co_return "open failed";
    const Numbered hello{0, "hello"};
    if (!co_await link->send(hello)) co_return "send failed";
    if (!co_await link->recv()) co_return "no echo";
    link->connection().close(kInvalidProof);
    auto after = co_await link->recv();
    if (after) co_return "recv after connection close succeeded";
    if (after.error().reason != kInvalidProof) co_return "wrong local reason";
    co_return "";
  }(client, server.addr()));
  EXPECT_EQ(verdict, "");

  ASSERT_EQ(server_done.wait_for(secs(10)), std::future_status::ready);
  auto seen = server_done.get();
  ASSERT_TRUE(seen.has_value());
  EXPECT_TRUE(seen->remote);
  EXPECT_EQ(seen->reason, kInvalidProof) << seen->message;
}

TEST(TransportLink, close_after_delivery_delivers_everything_sent_then_closes_with_the_reason) {
  constexpr std::uint64_t kCount = 2000;  // 2 MB: far more than one flight
  constexpr std::size_t kBody = 1000;
  auto server = bind_or_die(SecretKey::generate());
  struct Seen {
    std::uint64_t received = 0;
    std::optional<LinkError> error;
  };
  std::promise<Seen> seen;
  auto server_done = seen.get_future();
  server.register_alpn(std::string(kTestAlpn), [&seen](Connection conn) {
    auto serve = [](Connection c, std::promise<Seen>& out) -> asio::awaitable<void> {
      Seen result;
      auto link = co_await Link<Numbered>::accept(c);
      // Bounded: the client sends kCount messages, then the connection closes.
      for (std::uint64_t i = 0; link && i <= kCount; ++i) {
        auto got = co_await link->recv();
        if (!got) {
          result.error = got.error();
          break;
        }
        ++result.received;
      }
      out.set_value(result);
    };
    asio::co_spawn(conn.executor(), serve(conn, seen), asio::detached);
  });
  auto client = bind_or_die(SecretKey::generate());

  auto sent_all = run_on(client, [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<bool> {
    auto link = co_await Link<Numbered>::open(ep, to);
    if (!link) co_return false;
    for (std::uint64_t i = 0; i < kCount; ++i) {
      const Numbered m{i, std::string(kBody, 'x')};
      if (!co_await link->send(m)) co_return false;
    }
    // Most of it is still unacknowledged here: close() would drop it.
    link->connection().close_after_delivery(kInvalidProof);
    // Holding the link (dropping it would end the stream first): recv ends with the close.
    auto after = co_await link->recv();
    co_return !after && after.error().reason == kInvalidProof;
  }(client, server.addr()));
  EXPECT_TRUE(sent_all);

  ASSERT_EQ(server_done.wait_for(secs(10)), std::future_status::ready);
  const auto result = server_done.get();
  EXPECT_EQ(result.received, kCount);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_TRUE(result.error->remote);
  EXPECT_EQ(result.error->reason, kInvalidProof) << result.error->message;
}

}  // namespace
}  // namespace link_test
}  // namespace mosaik::transport::test
