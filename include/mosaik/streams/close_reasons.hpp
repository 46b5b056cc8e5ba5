#pragma once
// The close reasons of /mosaik/streams/1.0 (the seed's codes). A consumer sees them as
// ChannelEvent::reason of a failed subscription:
//
//   if (ev.reason == streams::close_reason::NotAllowed) ...

#include "mosaik/transport/close_reason.hpp"

namespace mosaik::streams::close_reason {

inline constexpr auto StreamNotFound = transport::make_close_reason(10'404, "StreamNotFound");
inline constexpr auto NotAllowed = transport::make_close_reason(10'403, "NotAllowed");
inline constexpr auto NoCapacity = transport::make_close_reason(10'509, "NoCapacity");
inline constexpr auto TooSlow = transport::make_close_reason(10'413, "TooSlow");

}  // namespace mosaik::streams::close_reason
