#pragma once
// A node's data dir (NetworkBuilder::with_data_dir): what a node keeps across restarts.
// Today the groups' durable logs, in <dir>/groups (docs/decisions/0410).
//
//   auto data = open_data_dir(dir);   // expected; the error names the file
//   GroupsService(..., data->group_storage);

#include <expected>
#include <filesystem>
#include <memory>
#include <string>

#include "groups/storage/lmdb_log_store.hpp"

namespace mosaik::network::detail {

struct NodeData {
  std::shared_ptr<groups::storage::LmdbStorage> group_storage;
};

[[nodiscard]] std::expected<NodeData, std::string> open_data_dir(const std::filesystem::path& directory);

}  // namespace mosaik::network::detail
