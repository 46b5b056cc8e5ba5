// The streams subsystem's logger (`MOSAIK_LOG=streams=debug`), one definition for all its files
// (they compile together in unity builds, where a file-local copy in each would collide).
#pragma once

#include "mosaik/primitives/log.hpp"

namespace mosaik::streams::detail {

inline const auto& logger = log::module_logger<"streams">;

}  // namespace mosaik::streams::detail
