#pragma once
// How a collection joins its group: the seed's SyncConfig, plus the consensus timing and the
// optional store secret (docs/decisions/0800). Writers and readers of one collection must
// use equal values: all of them are part of the GroupId.
//
//   collections::Options o;  o.sync.fetch_batch_size = 5000;  o.consensus = my_timing;
//   auto m = Map<std::string, u64>::writer_with_options(network, "balances", o);

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <mosaik/collections/store_secret.hpp>
#include <mosaik/groups/consensus_config.hpp>
#include <mosaik/groups/group_key.hpp>
#include <mosaik/groups/state_sync.hpp>
#include <mosaik/primitives/digest.hpp>

namespace mosaik::collections {

using SyncConfig = groups::SyncConfig;

struct Options {
  SyncConfig sync{};
  groups::ConsensusConfig consensus{};
  std::optional<StoreSecret> secret;
};

// What identifies one collection: its kind, StoreId and element type names.
struct StoreDescriptor {
  std::string_view kind;  // "map", "vec", "set", "register", "once", "depq"
  StoreId store;
  std::vector<std::string> type_names;
};

// The state machine's signature: kind and element type names.
[[nodiscard]] UniqueId machine_signature(const StoreDescriptor& d);
// The group key: BLAKE3 of the descriptor and every SyncConfig field, keyed by the store
// secret's key when there is one.
[[nodiscard]] groups::GroupKey store_group_key(const StoreDescriptor& d, const SyncConfig& sync,
                                               const std::optional<StoreSecret>& secret);

}  // namespace mosaik::collections
