#pragma once
// Durable-group tests (decisions 0410, 0411): a loopback node with a data dir, and what the
// tests look at in that dir: a group's snapshot files, the point its durable log starts
// after, and a bounded wait for a snapshot.
//
//   auto node = co_await durable_node(kNet, dir);
//   CO_ASSERT_TRUE(co_await until_snapshot_on_disk(dir, group_id.to_hex(), 50));
//   co_await node.shutdown();  ...  EXPECT_GT(log_base(dir, group_id.to_hex()), Index(0));

#include <algorithm>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <expected>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "groups/storage/lmdb_log_store.hpp"
#include "mosaik/network/network.hpp"
#include "node_fixture.hpp"

namespace mosaik::test {

// A node on 127.0.0.1 (fast discovery, no relays) keeping its key and group logs in `data_dir`.
inline asio::awaitable<std::expected<Network, network::Error>> build_durable_node(
    NetworkId net, std::filesystem::path data_dir,
    std::optional<EndpointAddr> bootstrap = std::nullopt,
    std::optional<SecretKey> key = std::nullopt) {
  const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
  auto discovery = fast_discovery();
  if (bootstrap) discovery.with_bootstrap(*bootstrap);
  auto builder = Network::builder(net);
  builder.with_addresses(loopback)
      .with_relay_mode(RelayMode::kDisabled)
      .with_discovery(std::move(discovery));
  builder.with_data_dir(data_dir);
  if (key) builder.with_secret_key(*key);
  co_return co_await builder.build();
}

// build_durable_node, which must succeed.
inline asio::awaitable<Network> durable_node(NetworkId net, std::filesystem::path data_dir,
                                             std::optional<EndpointAddr> bootstrap = std::nullopt) {
  auto built =
      co_await build_durable_node(std::move(net), std::move(data_dir), std::move(bootstrap));
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

// The group's snapshot files (`group`: its id in hex), oldest first.
inline std::vector<std::filesystem::path> snapshot_files(const std::filesystem::path& data_dir,
                                                         const std::string& group) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(data_dir / "groups" / "snapshots" / group, ec))
    if (e.path().extension() == ".snap") out.push_back(e.path());
  std::sort(out.begin(), out.end());  // the index is in the name, zero-padded
  return out;
}

// The index of a snapshot file (snapshot-<20 digits>.snap).
inline std::uint64_t snapshot_index(const std::filesystem::path& file) {
  return std::stoull(file.stem().string().substr(std::string_view("snapshot-").size()));
}

// Waits (bounded: 10 s) until the node wrote a snapshot of the group at `index` or later.
inline asio::awaitable<bool> until_snapshot_on_disk(std::filesystem::path data_dir,
                                                    std::string group, std::uint64_t index) {
  for (int look = 0; look < 100; ++look) {
    const auto files = snapshot_files(data_dir, group);
    if (!files.empty() && snapshot_index(files.back()) >= index) co_return true;
    asio::steady_timer wait(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
    co_await wait.async_wait(asio::use_awaitable);
  }
  co_return false;
}

// Where the group's durable log starts after; read while no node holds the data dir.
inline groups::Index log_base(const std::filesystem::path& data_dir, const std::string& group) {
  auto storage = groups::storage::LmdbStorage::open({.directory = data_dir / "groups"});
  if (!storage) throw std::runtime_error(storage.error().message);
  auto store = (*storage)->open_group(group);
  if (!store) throw std::runtime_error(store.error().message);
  return (*store)->base().cursor.index;
}

}  // namespace mosaik::test
