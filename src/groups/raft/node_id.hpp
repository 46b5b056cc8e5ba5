#pragma once
// The identity of a group member inside the consensus core. The groups shell derives it
// from the member's PeerId and its storage epoch, so a member that lost its log comes back
// as a new member and never votes with a log it no longer has (docs/decisions/0100).

#include <mosaik/primitives/digest.hpp>

namespace mosaik::groups::raft {

using NodeId = mosaik::Digest;

}  // namespace mosaik::groups::raft
