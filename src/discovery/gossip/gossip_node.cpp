#include "gossip_node.hpp"

namespace mosaik::discovery::gossip {

namespace {

bool is_membership(const Message& m) {
  return std::holds_alternative<Join>(m) || std::holds_alternative<ForwardJoin>(m) ||
         std::holds_alternative<Neighbor>(m) || std::holds_alternative<NeighborReply>(m) ||
         std::holds_alternative<Disconnect>(m) || std::holds_alternative<Shuffle>(m) ||
         std::holds_alternative<ShuffleReply>(m);
}

}  // namespace

GossipNode::GossipNode(EndpointAddr self, GossipConfig config, std::uint64_t rng_seed)
    : config_(config),
      membership_(self, config.membership, rng_seed),
      tree_(self.id, config.broadcast) {}

void GossipNode::join(std::span<const EndpointAddr> contacts, Instant now) {
  membership_.join(contacts, now);
  pump_membership(now);
}

void GossipNode::learn(const EndpointAddr& peer, Instant now) {
  membership_.learn(peer, now);
  pump_membership(now);
}

bool GossipNode::broadcast(const MessageId& id, wire::Bytes payload, Instant now, bool urgent) {
  return tree_.broadcast(id, std::move(payload), now, urgent);
}

std::expected<void, CodecError> GossipNode::receive(const PeerId& from,
                                                    std::span<const std::uint8_t> bytes, Instant now) {
  auto message = decode_message(bytes, config_.limits);
  if (!message) {
    rejections_.count(message.error().code);
    return std::unexpected(std::move(message.error()));
  }
  return handle(from, *message, now);
}

std::expected<void, CodecError> GossipNode::handle(const PeerId& from, const Message& message,
                                                   Instant now) {
  if (auto ok = check_limits(message, config_.limits); !ok) {
    rejections_.count(ok.error().code);
    return ok;
  }
  if (auto ok = check_item_ids(message); !ok) {
    rejections_.count(ok.error().code);
    return ok;
  }
  if (is_membership(message)) {
    membership_.handle(from, message, now);
    pump_membership(now);
  } else {
    tree_.handle(from, message, now);
  }
  return {};
}

void GossipNode::peer_down(const PeerId& peer, Instant now) {
  membership_.peer_down(peer, now);
  pump_membership(now);
}

void GossipNode::tick(Instant now) {
  membership_.tick(now);
  pump_membership(now);
  tree_.tick(now);
}

Actions GossipNode::take_actions() {
  for (auto& a : tree_.take_actions()) actions_.push_back(std::move(a));
  return std::exchange(actions_, {});
}

void GossipNode::pump_membership(Instant now) {
  for (auto& a : membership_.take_actions()) {
    if (const auto* c = std::get_if<Connect>(&a)) tree_.neighbor_up(c->peer, now);
    if (const auto* c = std::get_if<Close>(&a)) tree_.neighbor_down(c->peer);
    actions_.push_back(std::move(a));
  }
}

}  // namespace mosaik::discovery::gossip
