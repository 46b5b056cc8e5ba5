// A peer that crashes and comes back with the same key on a new port (a node with a data
// dir, on every deploy) must be reached at its new address at once: the connection dialed
// to its previous process is dead but still looks open until the idle timeout, and must not
// be reused for a dial that names the new address.
#include <optional>

#include "transport_fixture.hpp"

namespace mosaik::transport::test {
namespace restarted_peer_test {
namespace {

using mosaik::test::secs;

// Opens a link to `to`, sends one message and waits for its echo.
asio::awaitable<bool> echo_round_trip(Endpoint& ep, EndpointAddr to, std::uint64_t seq) {
  auto link = co_await Link<Numbered>::open(ep, to);
  if (!link) co_return false;
  const Numbered message{seq, "are you there"};
  auto sent = co_await link->send(message);
  if (!sent) co_return false;
  auto echoed = co_await link->recv();
  co_return echoed.has_value() && echoed->seq == seq;
}

// A crash, not a shutdown: nothing the endpoint sends from now on arrives, not even the
// CONNECTION_CLOSE its destruction sends, so its peers keep the connection as open.
void crash(std::optional<Endpoint>& ep) {
  FaultConfig blackhole;
  blackhole.drop = 1.0;
  ASSERT_TRUE(ep->set_faults(blackhole));
  ep.reset();
}

TEST(RestartedPeer, a_dial_to_its_new_address_does_not_reuse_the_connection_to_its_dead_process) {
  const auto key = SecretKey::generate();
  auto config = loopback_config();  // idle timeout 30 s: the dead connection stays open throughout
  config.faults = FaultConfig{};     // injection present, inactive until the crash
  std::optional<Endpoint> before = bind_or_die(key, config);
  serve_echo(*before);
  auto client = bind_or_die(SecretKey::generate());
  ASSERT_TRUE(run_on(client, echo_round_trip(client, before->addr(), 1), 10));
  const EndpointAddr old_addr = before->addr();
  crash(before);

  std::optional<Endpoint> after = bind_or_die(key, config);
  serve_echo(*after);
  ASSERT_EQ(after->addr().id, old_addr.id);
  ASSERT_NE(after->addr().direct_addresses, old_addr.direct_addresses) << "the restart got the same port";
  // Well under the idle timeout: only a fresh dial to the new address answers this soon.
  EXPECT_TRUE(run_on(client, echo_round_trip(client, after->addr(), 2), 5));
}

}  // namespace
}  // namespace restarted_peer_test
}  // namespace mosaik::transport::test
