// The transport's logger (`MOSAIK_LOG=transport=debug`): connections opened, closed and
// timed out, at debug; what a user must act on (bounds hit) at warn.
#pragma once

#include "mosaik/primitives/keys.hpp"  // log lines name peers
#include "mosaik/primitives/log.hpp"
#include "mosaik/transport/endpoint_addr.hpp"  // and addresses

namespace mosaik::transport::detail {

inline const auto& transport_logger = log::module_logger<"transport">;

}  // namespace mosaik::transport::detail
