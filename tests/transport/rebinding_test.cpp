// A packet from another address than its connection's never reaches ngtcp2, whose 0.12
// release aborts the process on some of them (decision 0214): the connection keeps its path,
// and the node keeps serving. The real case (a node on 0.0.0.0 answering from another of its
// addresses) is tests/tools' MosaikBootstrap.nodes_on_the_wildcard_address_cannot_abort_...
#include <gtest/gtest.h>

#include <atomic>

#include "transport_fixture.hpp"

namespace mosaik::transport {
namespace rebinding_test {
namespace {

using test::bind_or_die;
using test::kTestAlpn;
using test::loopback_config;
using test::Numbered;

const asio::ip::address kFar = asio::ip::make_address("198.51.100.7");  // a documentation address

// What a node sees of a client that starts on loopback and then writes from another of its
// addresses (as a node bound to 0.0.0.0 may): after `after` datagrams its packets seem to
// come from kFar (same port); replies to kFar reach it.
class ClientChangesAddressPath final : public PacketPath, public PacketSink {
 public:
  ClientChangesAddressPath(std::unique_ptr<PacketPath> inner, int after) : inner_(std::move(inner)), after_(after) {}
  UdpEndpoint local_endpoint() const override { return inner_->local_endpoint(); }
  void start(PacketSink& sink) override {
    sink_ = &sink;
    inner_->start(*this);
  }
  void send(const UdpEndpoint& to, std::span<const std::uint8_t> data, std::size_t segment) override {
    inner_->send(to.address() == kFar ? UdpEndpoint(real_.address(), to.port()) : to, data, segment);
  }
  void close() override { inner_->close(); }
  void on_packet(const UdpEndpoint& from, std::span<const std::uint8_t> datagram) override {
    real_ = from;
    if (++seen_ <= after_) return sink_->on_packet(from, datagram);
    moved_.store(true);
    sink_->on_packet(UdpEndpoint(kFar, from.port()), datagram);
  }
  void on_batch_end() override { sink_->on_batch_end(); }
  static inline std::atomic<bool> moved_{false};

 private:
  std::unique_ptr<PacketPath> inner_;
  PacketSink* sink_ = nullptr;
  int after_;
  int seen_ = 0;
  UdpEndpoint real_;
};

// Echoes 50 messages through a server whose client changes address; "" when all came back.
std::string echo_while_the_client_moves(int after, double seconds) {
  ClientChangesAddressPath::moved_ = false;
  auto config = loopback_config();
  config.packet_path_factory = [after](asio::any_io_executor ex, const UdpEndpoint& at)
      -> std::expected<std::unique_ptr<PacketPath>, std::string> {
    auto udp = open_udp_path(ex, at);
    if (!udp) return std::unexpected(udp.error());
    return std::make_unique<ClientChangesAddressPath>(std::move(*udp), after);
  };
  auto server = bind_or_die(SecretKey::generate(), config);
  test::serve_echo(server);
  auto client = bind_or_die(SecretKey::generate());
  try {
    return test::run_on(client, [&]() -> asio::awaitable<std::string> {
      auto link = co_await Link<Numbered>::open(client, server.addr());
      if (!link) co_return "open: " + link.error().message;
      for (std::uint64_t i = 0; i < 50; ++i) {
        const Numbered m{i, test::body_for(i, 3000)};
        if (!co_await link->send(m)) co_return "send " + std::to_string(i);
        auto back = co_await link->recv();
        if (!back || back->seq != i) co_return "echo " + std::to_string(i);
      }
      co_return "";
    }(), seconds);
  } catch (const std::exception& e) {
    return e.what();
  }
}

TEST(Rebinding, packets_from_another_address_than_the_connections_are_dropped_and_the_server_serves_on) {
  for (int after : {4, 8, 16, 40}) {  // during the handshake, and after it
    const auto moved = echo_while_the_client_moves(after, 3);
    EXPECT_TRUE(ClientChangesAddressPath::moved_.load()) << "the client never moved (after " << after << ")";
    // The connection does not follow its peer to a new address: the echo stalls.
    EXPECT_NE(moved, "") << "a packet from a new path reached ngtcp2 (after " << after << " datagrams)";
  }
  // A server that dropped them still serves a client that stays put.
  EXPECT_EQ(echo_while_the_client_moves(1'000'000, 10), "");
}

}  // namespace
}  // namespace rebinding_test
}  // namespace mosaik::transport
