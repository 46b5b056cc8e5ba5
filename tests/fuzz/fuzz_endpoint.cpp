// libFuzzer target: datagrams from the network into a real transport::Endpoint (QUIC over
// ngtcp2 0.12 with the GnuTLS handshake) on an in-memory path, so that everything a remote
// host reaches before and during a handshake runs: EndpointCore::on_packet and accept_new,
// ngtcp2_pkt_decode_version_cid, ngtcp2_accept, ngtcp2_conn_read_pkt and the TLS server.
//
// Records (fuzz_records.hpp): each is one datagram (0 bytes included) from one of two hosts
// (op bit 0); what is ready on the executor runs before the next one. Seeds are a real
// client's datagrams, recorded (seeds_endpoint.cpp); its keys and connection ids are random,
// so a replay does not complete the handshake, but it gets deep into it.
//
// Invariants: the endpoint survives any datagram sequence; before a host's address is
// validated QUIC lets a server answer at most three times the bytes it received
// (RFC 9000 section 8.1), and no fuzzed host can validate it, so the endpoint never sends
// more than three times what the input delivered.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "endpoint_harness.hpp"
#include "fuzz_check.hpp"
#include "fuzz_records.hpp"

namespace {

using namespace mosaik;
namespace harness = mosaik::fuzz::endpoint_harness;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  asio::io_context io(1);
  fuzz::MemoryNetwork network(io.get_executor());
  std::size_t sent = 0;
  network.set_tap([&sent](const transport::UdpEndpoint& from, const transport::UdpEndpoint&,
                          std::span<const std::uint8_t> datagram) {
    if (from == harness::server_address()) sent += datagram.size();
  });
  std::optional<transport::Endpoint> endpoint;
  {
    auto bound = transport::Endpoint::bind(harness::server_key(),
                                           harness::config(network, harness::server_address()),
                                           io.get_executor());
    MOSAIK_FUZZ_CHECK(bound.has_value());
    endpoint.emplace(std::move(*bound));
  }
  harness::serve(*endpoint);
  harness::drain(io);

  std::size_t received = 0;
  fuzz::RecordReader records({data, size});
  while (auto record = records.next()) {
    network.deliver(harness::client_address(record->op), harness::server_address(), record->bytes);
    received += record->bytes.size();
    harness::drain(io);
    MOSAIK_FUZZ_CHECK(sent <= 3 * received);
  }
  endpoint.reset();  // shuts the endpoint down on the executor
  harness::drain(io);
  return 0;
}
