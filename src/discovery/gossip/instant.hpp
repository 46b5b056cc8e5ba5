#pragma once
// Time as the gossip cores see it: a monotonic instant the shell passes in (milliseconds
// since an origin of the shell's choosing). The cores never read a clock, so a simulation
// can run them on virtual time.

#include <chrono>

namespace mosaik::discovery::gossip {

using Instant = std::chrono::milliseconds;

}  // namespace mosaik::discovery::gossip
