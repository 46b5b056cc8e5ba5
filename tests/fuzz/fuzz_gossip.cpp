// libFuzzer target: the gossip protocol (/mosaik/announce) as a neighbour speaks it. Each
// record (fuzz_records.hpp, gossip_harness.hpp) is a framed message from one of eight fixed
// neighbours, a lost neighbour, a broadcast of ours or a tick, on a clock the input moves.
//
// Invariants, after every record: whatever decode_message accepts re-encodes to a message
// that decodes to itself; a refusal is counted once; the views stay within their sizes,
// disjoint and without us; Plumtree's neighbours are exactly the active view; everything we
// send is addressed to someone else, within the wire limits a peer enforces, and survives
// the codec; a delivered payload is within max_payload_bytes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "fuzz_records.hpp"
#include "gossip_harness.hpp"

namespace {

using namespace mosaik;
using namespace mosaik::discovery::gossip;
namespace harness = mosaik::fuzz::gossip_harness;

void check_codec_round_trip(const Message& message, const WireLimits& limits) {
  auto again = decode_message(encode_message(message), limits);
  MOSAIK_FUZZ_CHECK(again.has_value());
  MOSAIK_FUZZ_CHECK(*again == message);
}

void check_views(const GossipNode& node, const GossipConfig& config) {
  const auto& active = node.membership().active_view();
  const auto& passive = node.membership().passive_view();
  MOSAIK_FUZZ_CHECK(active.size() <= config.membership.active_view_size);
  MOSAIK_FUZZ_CHECK(passive.size() <= config.membership.passive_view_size);
  MOSAIK_FUZZ_CHECK(!active.contains(harness::self().id));
  MOSAIK_FUZZ_CHECK(!passive.contains(harness::self().id));
  for (const auto& [id, addr] : active) {
    MOSAIK_FUZZ_CHECK(addr.id == id);
    MOSAIK_FUZZ_CHECK(!passive.contains(id));
    MOSAIK_FUZZ_CHECK(node.tree().is_eager(id) || node.tree().is_lazy(id));
  }
  for (const auto& [id, addr] : passive) MOSAIK_FUZZ_CHECK(addr.id == id);
  MOSAIK_FUZZ_CHECK(node.tree().neighbor_count() == active.size());
}

void check_actions(const Actions& actions, const GossipConfig& config) {
  for (const auto& action : actions) {
    if (const auto* send = std::get_if<Send>(&action)) {
      MOSAIK_FUZZ_CHECK(send->to.id != harness::self().id);
      MOSAIK_FUZZ_CHECK(check_limits(send->message, config.limits).has_value());
      check_codec_round_trip(send->message, config.limits);
    } else if (const auto* deliver = std::get_if<Deliver>(&action)) {
      MOSAIK_FUZZ_CHECK(deliver->payload.size() <= config.limits.max_payload_bytes);
    } else if (const auto* connect = std::get_if<Connect>(&action)) {
      MOSAIK_FUZZ_CHECK(connect->peer.id != harness::self().id);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const GossipConfig config = harness::config();
  GossipNode node(harness::self(), config, harness::kRngSeed);
  Instant now{0};
  const std::array<EndpointAddr, 1> contact{harness::neighbours()[0]};
  node.join(contact, now);
  check_actions(node.take_actions(), config);

  std::uint64_t refused = 0;
  fuzz::RecordReader records({data, size});
  while (auto record = records.next()) {
    now += harness::kClockStep * record->step;
    const EndpointAddr& peer = harness::neighbours()[harness::neighbour_of(record->op)];
    switch (harness::action_of(record->op)) {
      case harness::Action::kReceive: {
        if (auto decoded = decode_message(record->bytes, config.limits)) {
          check_codec_round_trip(*decoded, config.limits);
        }
        if (!node.receive(peer.id, record->bytes, now)) ++refused;
        break;
      }
      case harness::Action::kPeerDown:
        node.peer_down(peer.id, now);
        break;
      case harness::Action::kBroadcast: {
        // Our own payloads are entries we built, within the limits like a peer's.
        const auto payload = record->bytes.first(std::min(record->bytes.size(), config.limits.max_payload_bytes));
        node.broadcast(Digest::hash(payload), wire::Bytes(payload.begin(), payload.end()), now,
                       harness::neighbour_of(record->op) % 2 == 1);
        break;
      }
      case harness::Action::kTick:
        node.tick(now);
        break;
    }
    MOSAIK_FUZZ_CHECK(node.rejections().total() == refused);
    check_views(node, config);
    check_actions(node.take_actions(), config);
  }
  return 0;
}
