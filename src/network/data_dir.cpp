#include "data_dir.hpp"

#include <fmt/format.h>

namespace mosaik::network::detail {

std::expected<NodeData, std::string> open_data_dir(const std::filesystem::path& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return std::unexpected(fmt::format("{}: cannot create: {}", directory.string(), ec.message()));
  std::filesystem::permissions(directory, std::filesystem::perms::owner_all, ec);  // others read no key or log
  if (ec) return std::unexpected(fmt::format("{}: cannot restrict to its owner: {}", directory.string(), ec.message()));
  NodeData data;
  groups::storage::LmdbOptions options;
  options.directory = directory / "groups";
  auto storage = groups::storage::LmdbStorage::open(std::move(options));
  if (!storage) return std::unexpected(storage.error().message);
  data.group_storage = std::move(*storage);
  return data;
}

}  // namespace mosaik::network::detail
