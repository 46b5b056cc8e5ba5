// Seeds of fuzz_gossip: a capture of what our node hears in a small in-memory gossip network
// (it and four of the fixed neighbours, gossip_harness.hpp), running joins, shuffles and
// broadcasts of real announce payloads; then single messages of every kind and broken ones.

#include <deque>
#include <map>

#include "catalog_harness.hpp"
#include "discovery/service.hpp"
#include "fuzz_records.hpp"
#include "gossip_harness.hpp"
#include "seeds.hpp"

namespace mosaik::fuzz {
namespace {

namespace harness = gossip_harness;
using namespace discovery::gossip;

constexpr std::size_t kSimulatedNeighbours = 4;
constexpr Instant kTick{100};
constexpr Instant kCaptureLength{4000};
constexpr std::size_t kMaxDeliveriesPerTick = 1000;

// A real announce payload: a signed entry of a fixed catalog peer.
wire::Bytes announce_payload(std::size_t peer, discovery::Timestamp at) {
  return wire::encode(discovery::detail::AnnouncePayload{
      {catalog_harness::entry_of(peer, catalog_harness::kOrigin, at)}, {}});
}

// Node 0 is ours (harness::self()); node i > 0 is neighbour i - 1.
class Capture {
 public:
  Capture() {
    nodes_.emplace(harness::self().id, Node{harness::self(), GossipNode(harness::self(), harness::config(), harness::kRngSeed), 0});
    for (std::size_t i = 0; i < kSimulatedNeighbours; ++i) {
      const EndpointAddr& a = harness::neighbours()[i];
      nodes_.emplace(a.id, Node{a, GossipNode(a, harness::config(), 100 + i), i});
    }
  }

  wire::Bytes run() {
    const std::array<EndpointAddr, 1> contact{harness::neighbours()[0]};
    for (auto& [id, node] : nodes_) {
      if (id != contact[0].id) node.gossip.join(contact, now_);
    }
    collect();
    for (; now_ <= kCaptureLength; now_ += kTick) {
      if (now_ == Instant(1000)) broadcast_from(harness::neighbours()[1].id, announce_payload(1, catalog_harness::kOrigin));
      if (now_ == Instant(1500)) ours_broadcast(announce_payload(0, catalog_harness::kOrigin));
      if (now_ == Instant(2500)) broadcast_from(harness::neighbours()[2].id, announce_payload(2, catalog_harness::kOrigin));
      for (auto& [id, node] : nodes_) {
        if (id == harness::self().id) record(harness::op(harness::Action::kTick, 0), {});
        node.gossip.tick(now_);
      }
      collect();
      deliver_all();
    }
    return std::move(out_);
  }

 private:
  struct Node {
    EndpointAddr addr;
    GossipNode gossip;
    std::size_t index;  // among the neighbours, for records
  };
  struct InFlight {
    PeerId from;
    PeerId to;
    wire::Bytes bytes;
  };

  void record(std::uint8_t op, std::span<const std::uint8_t> bytes) {
    const auto step = static_cast<std::uint8_t>((now_ - recorded_at_) / harness::kClockStep);
    recorded_at_ = now_;
    append_record(out_, op, step, bytes);
  }

  void broadcast_from(const PeerId& id, wire::Bytes payload) {
    nodes_.at(id).gossip.broadcast(Digest::hash(payload), payload, now_, true);
    collect();
  }

  void ours_broadcast(wire::Bytes payload) {
    record(harness::op(harness::Action::kBroadcast, 1), payload);  // odd index: urgent
    broadcast_from(harness::self().id, std::move(payload));
  }

  void collect() {
    for (auto& [id, node] : nodes_) {
      for (auto& action : node.gossip.take_actions()) {
        if (auto* send = std::get_if<Send>(&action); send && nodes_.contains(send->to.id)) {
          queue_.push_back({id, send->to.id, encode_message(send->message)});
        }
      }
    }
  }

  void deliver_all() {
    for (std::size_t n = 0; n < kMaxDeliveriesPerTick && !queue_.empty(); ++n) {
      InFlight m = std::move(queue_.front());
      queue_.pop_front();
      if (m.to == harness::self().id) record(harness::op(harness::Action::kReceive, nodes_.at(m.from).index), m.bytes);
      (void)nodes_.at(m.to).gossip.receive(m.from, m.bytes, now_);
      collect();
    }
  }

  std::map<PeerId, Node> nodes_;
  std::deque<InFlight> queue_;
  Instant now_{0};
  Instant recorded_at_{0};
  wire::Bytes out_;
};

wire::Bytes single(std::size_t from, const Message& message) {
  wire::Bytes out;
  append_record(out, harness::op(harness::Action::kReceive, from), 1, encode_message(message));
  append_record(out, harness::op(harness::Action::kTick, 0), 200, {});
  return out;
}

}  // namespace

std::vector<wire::Bytes> gossip_seeds() {
  std::vector<wire::Bytes> seeds;
  seeds.push_back(Capture().run());
  const auto& n = harness::neighbours();
  const Digest id = Digest::hash(announce_payload(3, catalog_harness::kOrigin));
  seeds.push_back(single(0, Join{n[0]}));
  seeds.push_back(single(1, ForwardJoin{n[4], 6}));
  seeds.push_back(single(2, Neighbor{n[2], true}));
  seeds.push_back(single(3, NeighborReply{n[3], true}));
  seeds.push_back(single(0, Disconnect{}));
  seeds.push_back(single(1, Shuffle{n[1], 3, {n[5], n[6], n[7]}}));
  seeds.push_back(single(2, ShuffleReply{{n[5], n[6]}}));
  seeds.push_back(single(3, Gossip{{GossipItem{id, 2, true, announce_payload(3, catalog_harness::kOrigin)}}}));
  seeds.push_back(single(0, IHave{{Announcement{id, 1, true}}}));
  seeds.push_back(single(1, Graft{{id}}));
  seeds.push_back(single(2, Prune{}));
  // Broken on purpose: a walk too long, a sender that is not the peer, an unknown kind.
  seeds.push_back(single(0, ForwardJoin{n[4], 200}));
  seeds.push_back(single(1, Join{n[2]}));
  wire::Bytes unknown;
  append_record(unknown, 0, 0, wire::Bytes{0x92, 0x7f, 0x90});
  seeds.push_back(unknown);
  return seeds;
}

}  // namespace mosaik::fuzz
