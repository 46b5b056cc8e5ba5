// Each protocol a peer opens to us reads its first frame with a limit sized to that frame
// and within a deadline (docs/decisions/0204): a frame over the limit is refused at its
// header, a peer that sends nothing is closed in bounded time.
#include "mosaik/mosaik.hpp"
#include "mosaik/transport/close_reason.hpp"
#include "node_fixture.hpp"
#include "support/co_assert.hpp"

namespace mosaik {
namespace protocol_limits_net_test {
namespace {

using test::make_node;

const NetworkId kNet = "protocol-limits-net-test";

// A link on `alpn` from `from` to `to` whose first bytes are a frame header declaring
// `declared` bytes; returns how the node closed it (waited for at most `seconds`).
asio::awaitable<std::expected<wire::Bytes, transport::LinkError>> declare_frame(
    const Network& from, const Network& to, std::string alpn, std::uint32_t declared, double seconds) {
  auto conn = co_await from.local().endpoint().connect(to.local().addr(), std::move(alpn));
  if (!conn) throw std::runtime_error("connect: " + conn.error().message);
  auto link = co_await conn->open_link();
  if (!link) throw std::runtime_error("open_link: " + link.error().message);
  wire::Bytes header = {static_cast<std::uint8_t>(declared >> 24), static_cast<std::uint8_t>(declared >> 16),
                        static_cast<std::uint8_t>(declared >> 8), static_cast<std::uint8_t>(declared),
                        0x01, 0x02};
  (void)co_await link->send_framed(std::move(header));
  co_return co_await test::timeout_s(seconds, link->recv_frame());
}

TEST(ProtocolLimits, an_announce_hello_over_256_bytes_is_refused_at_its_header) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet);
    // Well under the 5 s hello deadline: the header alone decides.
    auto reply = co_await declare_frame(b, a, "/mosaik/announce", 1024, 3);
    CO_ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().reason, transport::close_reason::ProtocolViolation);
  });
}

TEST(ProtocolLimits, an_announce_link_without_a_hello_is_closed_with_timeout) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet);
    auto reply = co_await declare_frame(b, a, "/mosaik/announce", 34, 15);  // never finished
    CO_ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().reason, transport::close_reason::Timeout);
  });
}

TEST(ProtocolLimits, a_catalog_sync_frame_over_4_mib_is_refused_at_its_header) {
  block_on([]() -> asio::awaitable<void> {
    auto a = co_await make_node(kNet);
    auto b = co_await make_node(kNet);
    // Well under sync_timeout: the header alone decides.
    auto reply = co_await declare_frame(b, a, "/mosaik/catalog-sync", (4u << 20) + 1, 1.5);
    CO_ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().reason, transport::close_reason::ProtocolViolation);
  });
}

}  // namespace
}  // namespace protocol_limits_net_test
}  // namespace mosaik
