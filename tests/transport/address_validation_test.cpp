// Address validation with Retry: a client that comes back with its token connects and talks
// as usual; a token that does not verify is refused at once and leaves no state behind.
#include <atomic>
#include <vector>

#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace address_validation_test {
namespace {

using mosaik::test::timeout_s;

// QUIC v1 long-header packet types (RFC 9000 §17.2).
constexpr std::uint8_t kInitial = 0;
constexpr std::uint8_t kRetry = 3;

bool long_header_of_type(std::span<const std::uint8_t> p, std::uint8_t type) {
  return p.size() > 5 && (p[0] & 0x80) != 0 && ((p[0] >> 4) & 0x3) == type;
}

// Where an Initial's token lies: after version, both IDs and the token's varint length.
std::span<std::uint8_t> initial_token(std::span<std::uint8_t> p) {
  if (!long_header_of_type(p, kInitial)) return {};
  std::size_t at = 5;
  for (int id = 0; id < 2; ++id) {
    if (at >= p.size()) return {};
    at += 1 + p[at];
  }
  if (at >= p.size()) return {};
  const std::size_t varint_len = std::size_t{1} << (p[at] >> 6);
  if (at + varint_len > p.size()) return {};
  std::uint64_t len = p[at] & 0x3f;
  for (std::size_t i = 1; i < varint_len; ++i) len = (len << 8) | p[at + i];
  at += varint_len;
  if (len > p.size() - at) return {};
  return p.subspan(at, static_cast<std::size_t>(len));
}

// A client's UDP path that counts the Retry packets it hears and can alter the token of the
// Initials it sends.
class WatchedPath final : public PacketPath, private PacketSink {
 public:
  struct Watch {
    std::atomic<int> retries_heard{0};
    std::atomic<int> tokens_sent{0};
    bool alter_tokens = false;
  };
  WatchedPath(std::unique_ptr<PacketPath> inner, std::shared_ptr<Watch> watch)
      : inner_(std::move(inner)), watch_(std::move(watch)) {}
  UdpEndpoint local_endpoint() const override { return inner_->local_endpoint(); }
  void start(PacketSink& sink) override {
    sink_ = &sink;
    inner_->start(*this);
  }
  void send(const UdpEndpoint& to, std::span<const std::uint8_t> data, std::size_t segment) override {
    std::vector<std::uint8_t> copy(data.begin(), data.end());
    if (auto token = initial_token(copy); !token.empty()) {
      ++watch_->tokens_sent;
      if (watch_->alter_tokens) token.back() ^= 0x01;  // inside the token's AEAD tag
    }
    inner_->send(to, copy, segment);
  }
  void close() override { inner_->close(); }

 private:
  void on_packet(const UdpEndpoint& from, std::span<const std::uint8_t> packet) override {
    if (long_header_of_type(packet, kRetry)) ++watch_->retries_heard;
    sink_->on_packet(from, packet);
  }
  void on_batch_end() override { sink_->on_batch_end(); }
  std::unique_ptr<PacketPath> inner_;
  std::shared_ptr<WatchedPath::Watch> watch_;
  PacketSink* sink_ = nullptr;
};

Endpoint watched_client(std::shared_ptr<WatchedPath::Watch> watch) {
  auto config = loopback_config();
  config.packet_path_factory = [watch](asio::any_io_executor ex, const UdpEndpoint& at)
      -> std::expected<std::unique_ptr<PacketPath>, std::string> {
    auto udp = open_udp_path(ex, at);
    if (!udp) return std::unexpected(udp.error());
    return std::make_unique<WatchedPath>(std::move(*udp), watch);
  };
  return bind_or_die(SecretKey::generate(), config);
}

Endpoint server_that_always_retries() {
  auto config = loopback_config();
  config.retry_from_pending_handshakes = 0;
  auto server = bind_or_die(SecretKey::generate(), config);
  serve_echo(server);
  return server;
}

TEST(AddressValidation, a_client_sent_a_retry_comes_back_with_its_token_and_talks) {
  auto server = server_that_always_retries();
  auto watch = std::make_shared<WatchedPath::Watch>();
  auto client = watched_client(watch);

  auto echoed = run_on(client, [](Endpoint& ep, EndpointAddr to) -> asio::awaitable<std::string> {
    auto link = co_await Link<Numbered>::open(ep, to);
    if (!link) co_return "open: " + link.error().message;
    const Numbered hello{7, "after a retry"};
    if (auto sent = co_await link->send(hello); !sent) co_return "send: " + sent.error().message;
    auto got = co_await link->recv();
    if (!got) co_return "recv: " + got.error().message;
    co_return got->body;
  }(client, server.addr()), 10);
  EXPECT_EQ(echoed, "after a retry");
  EXPECT_GE(watch->retries_heard.load(), 1);
  EXPECT_GE(watch->tokens_sent.load(), 1);
}

TEST(AddressValidation, an_altered_token_is_refused_at_once_and_holds_nothing) {
  auto server = server_that_always_retries();
  auto watch = std::make_shared<WatchedPath::Watch>();
  watch->alter_tokens = true;
  auto client = watched_client(watch);

  const auto started = std::chrono::steady_clock::now();
  auto conn = block_on(timeout_s(10, client.connect(server.addr(), std::string(kTestAlpn))));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ConnectError::Kind::kHandshakeFailed) << conn.error().message;
  EXPECT_NE(conn.error().message.find("INVALID_TOKEN"), std::string::npos) << conn.error().message;
  // Told, not left to the handshake timeout (5 s).
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_GE(watch->tokens_sent.load(), 1);
  EXPECT_EQ(server.open_connections(), 0u);
}

}  // namespace
}  // namespace address_validation_test
}  // namespace mosaik::transport::test
