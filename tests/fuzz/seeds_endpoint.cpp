// Seeds of fuzz_endpoint: the datagrams a real client endpoint sends to the harness's server
// (endpoint_harness.hpp) while it connects, opens a link and exchanges a frame, recorded on
// the in-memory network; then that capture cut after its first datagram, and tiny datagrams.
// The run waits on the executor for real timers (acks, pacing), bounded in handlers and time.

#include <asio/use_future.hpp>

#include <chrono>

#include "endpoint_harness.hpp"
#include "fuzz_records.hpp"
#include "seeds.hpp"

namespace mosaik::fuzz {
namespace {

namespace harness = endpoint_harness;

constexpr std::size_t kMaxHandlers = 100'000;
constexpr auto kMaxCaptureTime = std::chrono::seconds(20);

asio::awaitable<bool> client_exchange(transport::Endpoint& client, EndpointAddr server) {
  auto connection = co_await client.connect(std::move(server), std::string(harness::kAlpn));
  if (!connection) co_return false;
  auto link = co_await connection->open_link();
  if (!link) co_return false;
  const wire::Bytes hello{'h', 'e', 'l', 'l', 'o'};
  if (!co_await link->send_frame(hello)) co_return false;
  auto echo = co_await link->recv_frame();
  co_return echo && *echo == hello;
}

wire::Bytes capture_handshake() {
  asio::io_context io(1);
  MemoryNetwork network(io.get_executor());
  const auto client_address = harness::client_address(0);
  wire::Bytes records;
  network.set_tap([&](const transport::UdpEndpoint& from, const transport::UdpEndpoint& to,
                      std::span<const std::uint8_t> datagram) {
    if (from == client_address && to == harness::server_address()) append_record(records, 0, 0, datagram);
  });
  {
    auto server = transport::Endpoint::bind(harness::server_key(), harness::config(network, harness::server_address()),
                                            io.get_executor());
    auto client = transport::Endpoint::bind(SecretKey::from_seed("fuzz-endpoint-client"),
                                            harness::config(network, client_address), io.get_executor());
    if (!server || !client) return records;
    harness::serve(*server);
    auto done = asio::co_spawn(io, client_exchange(*client, server->addr()), asio::use_future);
    const auto deadline = std::chrono::steady_clock::now() + kMaxCaptureTime;
    for (std::size_t i = 0; i < kMaxHandlers && std::chrono::steady_clock::now() < deadline; ++i) {
      if (done.wait_for(std::chrono::seconds(0)) == std::future_status::ready) break;
      if (io.stopped()) io.restart();
      io.run_one_for(std::chrono::milliseconds(50));
    }
  }  // both endpoints shut down on the executor
  harness::drain(io);
  return records;
}

}  // namespace

std::vector<wire::Bytes> endpoint_seeds() {
  std::vector<wire::Bytes> seeds;
  const wire::Bytes capture = capture_handshake();
  seeds.push_back(capture);
  RecordReader reader(capture);
  if (auto first = reader.next()) {
    wire::Bytes initial;
    append_record(initial, 0, 0, first->bytes);
    append_record(initial, 1, 0, first->bytes);  // the same Initial from another host
    seeds.push_back(initial);
  }
  wire::Bytes tiny;
  for (std::uint8_t first : {0x00, 0x40, 0xc0}) append_record(tiny, 0, 0, wire::Bytes(3, first));
  seeds.push_back(tiny);
  return seeds;
}

}  // namespace mosaik::fuzz
