#pragma once
// A node's data dir (NetworkBuilder::with_data_dir): what a node keeps across restarts.
//   <dir>/secret_key  the node's secret key (64 hex characters, mode 0600): the same PeerId
//                     after a restart, so it rejoins its groups as the member it was
//   <dir>/groups/     every group's durable log and storage epoch, in LMDB (decision 0410)
//   <dir>/groups/snapshots/  the newest state-machine snapshot of each SnapshotSync group (0411)
//
//   auto data = open_data_dir(dir, given_key);   // expected; an error names the file
//   SecretKey key = data->secret_key;  GroupsService(..., data->group_storage, data->group_snapshots);

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "groups/storage/lmdb_log_store.hpp"
#include "groups/storage/snapshot_files.hpp"
#include "mosaik/primitives/keys.hpp"

namespace mosaik::network::detail {

struct NodeData {
  SecretKey secret_key;
  std::shared_ptr<groups::storage::LmdbStorage> group_storage;
  std::shared_ptr<groups::storage::SnapshotFiles> group_snapshots;
};

// Creates what is missing. `given` (with_secret_key) is written on a first start and must
// match the stored key afterwards; without it, a first start generates one.
[[nodiscard]] std::expected<NodeData, std::string> open_data_dir(const std::filesystem::path& directory,
                                                                 const std::optional<SecretKey>& given);

}  // namespace mosaik::network::detail
