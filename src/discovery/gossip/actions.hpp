#pragma once
// What the gossip cores ask their shell to do. The shell drains them after every input
// (take_actions()) and carries them out in order.
//
//   for (auto& a : node.take_actions()) std::visit(shell, a);

#include <variant>
#include <vector>

#include "messages.hpp"

namespace mosaik::discovery::gossip {

// Deliver `message` to `to`: over the open connection when there is one, otherwise over a
// short-lived one (a join, a neighbour request, a shuffle reply) that the shell closes
// once sent. If it cannot be delivered, the shell reports `peer_down(to.id)`.
struct Send {
  EndpointAddr to;
  Message message;
};

// `peer` entered the active view, or a neighbour now speaks from other addresses (it
// restarted with the same key on a new port): keep a connection to it open, at these.
struct Connect {
  EndpointAddr peer;
};

// `peer` left the active view: close the connection (after any Send queued before this).
struct Close {
  PeerId peer;
};

// A broadcast payload reached this node for the first time.
struct Deliver {
  MessageId id;
  wire::Bytes payload;
  std::uint16_t round = 0;  // hops it travelled
};

using Action = std::variant<Send, Connect, Close, Deliver>;
using Actions = std::vector<Action>;

}  // namespace mosaik::discovery::gossip
