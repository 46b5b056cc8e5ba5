// libFuzzer target: the streams handshake (/mosaik/streams/1.0, src/streams/protocol.hpp).
// A producer decodes a consumer's Subscribe, applies refuse_subscribe and feeds the
// consumer's entry to its catalog as StreamsService does; a consumer decodes the producer's
// SubscribeAccepted and checks it names its stream.
//
// Records (fuzz_records.hpp): op bit 0 says Subscribe (to the producer) or SubscribeAccepted
// (to the consumer); bit 1 re-signs the consumer entry for a fixed peer; bits 2-4 pick the
// connected peer among the fixed ones (catalog_harness.hpp); the step moves the clock.
//
// Invariants: what decodes re-encodes to bytes that decode to the same message; an accepted
// Subscribe is for our network and carries the connected peer's own valid entry; the
// catalog it is fed to passes check_catalog.

#include <cstddef>
#include <cstdint>

#include "catalog_harness.hpp"
#include "fuzz_records.hpp"
#include "streams/protocol.hpp"

namespace {

using namespace mosaik;
using namespace mosaik::streams::detail;
namespace harness = mosaik::fuzz::catalog_harness;

template <class M>
void check_round_trip(const M& message) {
  const wire::Bytes bytes = wire::encode(message);
  auto again = wire::decode<M>(bytes);
  MOSAIK_FUZZ_CHECK(again.has_value());
  MOSAIK_FUZZ_CHECK(wire::encode(*again) == bytes);
}

void producer_reads(discovery::CatalogState& catalog, Subscribe request, const PeerId& peer,
                    bool re_sign, discovery::Timestamp now) {
  check_round_trip(request);
  if (re_sign) {
    auto consumer = request.consumer;
    harness::re_sign(consumer);
    request.consumer = consumer;
  }
  if (refuse_subscribe(request, peer, harness::network())) return;
  MOSAIK_FUZZ_CHECK(request.network_id == harness::network());
  MOSAIK_FUZZ_CHECK(request.consumer.peer_id() == peer);
  MOSAIK_FUZZ_CHECK(request.consumer.entry().network_id() == harness::network());
  MOSAIK_FUZZ_CHECK(request.consumer.verify());
  (void)catalog.merge(request.consumer, now);  // discovery_.feed: we may not know it yet
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const discovery::Config config = harness::config();
  discovery::CatalogState catalog(harness::network(), harness::local_key().public_key(), config);
  discovery::Timestamp now = harness::kOrigin;
  fuzz::RecordReader records({data, size});
  while (auto record = records.next()) {
    now += harness::kClockStep * record->step;
    if (record->bytes.size() > kMaxSubscribeFrame) continue;  // the link refuses the frame
    if ((record->op & 1) == 0) {
      const PeerId peer = harness::peer_keys()[(record->op >> 2 & 7) % harness::kPeers].public_key();
      if (auto request = wire::decode<Subscribe>(record->bytes)) {
        producer_reads(catalog, std::move(*request), peer, (record->op & 2) != 0, now);
      }
      harness::check_catalog(catalog, config, /*signatures=*/false);
    } else if (auto accepted = wire::decode<SubscribeAccepted>(record->bytes)) {
      check_round_trip(*accepted);  // the consumer then goes on only if it names kStream
    }
  }
  harness::check_catalog(catalog, config, /*signatures=*/true);
  return 0;
}
