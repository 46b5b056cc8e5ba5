// The groups subsystem's logger (`MOSAIK_LOG=groups=debug`), one definition for all its files
// (they compile together in unity builds, where a file-local copy in each would collide).
#pragma once

#include "mosaik/primitives/log.hpp"

namespace mosaik::groups::detail {

inline const auto& logger = log::module_logger<"groups">;

}  // namespace mosaik::groups::detail
