// The discovery subsystem's logger (`MOSAIK_LOG=discovery=debug`), one definition for all its files
// (they compile together in unity builds, where a file-local copy in each would collide).
#pragma once

#include "mosaik/primitives/log.hpp"

namespace mosaik::discovery::detail {

inline const auto& logger = log::module_logger<"discovery">;

}  // namespace mosaik::discovery::detail
