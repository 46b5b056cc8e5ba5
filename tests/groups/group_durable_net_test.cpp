// Nodes with a data dir (NetworkBuilder::with_data_dir, decision 0410) on 127.0.0.1: the
// secret key and the group logs on disk. A rebuilt node has its PeerId and rejoins its group
// as the member it was, with its log; a damaged or truncated store, a key file others can
// read, or a directory another node holds fail with the file named; a member whose log is
// damaged stays out of its group.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <utility>

#include "group_fixture.hpp"
#include "durable_fixture.hpp"
#include "kv_machine.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "support/co_assert.hpp"
#include "support/temp_dir.hpp"

namespace mosaik::test {
namespace group_durable_net_test {
namespace {

namespace fs = std::filesystem;
const NetworkId kNet = "groups-durable-net-test";

asio::awaitable<std::expected<Network, network::Error>> build_node(const fs::path& data_dir,
                                                                   std::optional<EndpointAddr> bootstrap = std::nullopt,
                                                                   std::optional<SecretKey> key = std::nullopt) {
  co_return co_await build_durable_node(kNet, data_dir, std::move(bootstrap), std::move(key));
}

asio::awaitable<Network> node_in(const fs::path& data_dir, std::optional<EndpointAddr> bootstrap = std::nullopt) {
  co_return co_await durable_node(kNet, data_dir, std::move(bootstrap));
}

groups::Group<KvStore> join(const Network& node, const groups::GroupKey& key, std::uint32_t founders) {
  return node.groups().with_key(key).with_state_machine(KvStore{}).with_consensus_config(test_consensus(founders)).join();
}

// A node in each of `dirs`, bootstrapped from the first.
asio::awaitable<std::vector<std::optional<Network>>> three_nodes(const TempDir (&dirs)[3]) {
  std::vector<std::optional<Network>> nodes(3);
  nodes[0] = co_await node_in(dirs[0].path());
  const auto bootstrap = nodes[0]->local().addr();
  for (std::size_t i = 1; i < 3; ++i) nodes[i] = co_await node_in(dirs[i].path(), bootstrap);
  co_return nodes;
}

template <class M = SnapshotKvStore>
groups::Group<M> join_snapshots(const Network& node, const groups::GroupKey& key, std::uint32_t founders, M machine = {}) {
  return node.groups()
      .with_key(key)
      .with_state_machine(std::move(machine))
      .with_consensus_config(test_consensus(founders))
      .join();
}

// SnapshotKvStore whose snapshots are encoded (on the writer thread) only once `gate` opens:
// a test holds a snapshot write while the group goes on.
struct GatedKvStore : SnapshotKvStore {
  std::shared_future<void> gate;
  [[nodiscard]] groups::SnapshotCapture capture_snapshot() const {
    return groups::SnapshotCapture([gate = gate, items = snapshot()] {
      gate.wait();
      return items;
    });
  }
};

// Opens on release() or, should the test end early, when destroyed: declared after the node,
// it opens before the node's destruction waits for the snapshot writer.
struct Gate {
  std::promise<void> promise;
  std::shared_future<void> future = promise.get_future().share();
  bool opened = false;
  void release() {
    if (!std::exchange(opened, true)) promise.set_value();
  }
  ~Gate() { release(); }
};

// Puts `value` once a leader is known; retried (bounded) while the group has none.
template <class M>
asio::awaitable<bool> put(const groups::Group<M>& group, std::uint64_t value) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    (void)co_await with_timeout(group.when().online(), std::chrono::seconds(2));
    auto r = co_await timeout_s(15, group.execute(KvPut{0, value}));
    if (r.has_value()) co_return true;
  }
  co_return false;
}

// Flips one byte in every copy of `marker` in `file`; how many it found.
int damage(const fs::path& file, const std::string& marker) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  int hits = 0;
  for (auto at = bytes.find(marker); at != std::string::npos; at = bytes.find(marker, at + 1), ++hits)
    bytes[at + marker.size() / 2] ^= 0x20;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return hits;
}

TEST(DataDir, a_rebuilt_node_has_its_peer_id_from_a_key_file_only_its_owner_reads) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dir;
    PeerId first;
    {
      auto node = co_await node_in(dir.path());
      first = node.local().id();
      co_await node.shutdown();
    }
    struct stat st {};
    CO_ASSERT_TRUE(::stat((dir.path() / "secret_key").c_str(), &st) == 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto again = co_await node_in(dir.path());
    EXPECT_EQ(again.local().id(), first);
    co_await again.shutdown();
  });
}

TEST(DataDir, a_key_file_others_can_read_or_another_key_or_a_second_node_fails_the_build_naming_it) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dir;
    const auto key_file = (dir.path() / "secret_key").string();
    {
      auto node = co_await node_in(dir.path());
      // The directory is this node's while it runs.
      auto second = co_await build_node(dir.path());
      CO_ASSERT_TRUE(!second.has_value());
      EXPECT_EQ(second.error().kind, network::Error::Kind::kDataDir);
      EXPECT_NE(second.error().message.find(dir.path().string()), std::string::npos) << second.error().message;
      co_await node.shutdown();
    }
    fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                  fs::perms::others_read);
    auto readable = co_await build_node(dir.path());
    CO_ASSERT_TRUE(!readable.has_value());
    EXPECT_EQ(readable.error().kind, network::Error::Kind::kDataDir);
    EXPECT_NE(readable.error().message.find(key_file + ": permissions 0644 are too open"), std::string::npos)
        << readable.error().message;
    fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write);
    auto other_key = co_await build_node(dir.path(), std::nullopt, SecretKey::generate());
    CO_ASSERT_TRUE(!other_key.has_value());
    EXPECT_NE(other_key.error().message.find(key_file + ": holds the key of peer"), std::string::npos)
        << other_key.error().message;
  });
}

TEST(DataDir, a_truncated_log_file_fails_the_build_naming_it) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dir;
    {
      auto node = co_await node_in(dir.path());
      {
        auto group = join(node, groups::GroupKey::generate(), 1);
        for (std::uint64_t v = 1; v <= 5; ++v) CO_ASSERT_TRUE(co_await put(group, v));
      }
      co_await node.shutdown();
    }
    const auto file = dir.path() / "groups" / "data.mdb";
    fs::resize_file(file, fs::file_size(file) / 2);
    auto built = co_await build_node(dir.path());
    CO_ASSERT_TRUE(!built.has_value());
    EXPECT_EQ(built.error().kind, network::Error::Kind::kDataDir);
    EXPECT_NE(built.error().message.find(file.string()), std::string::npos) << built.error().message;
  });
}

TEST(DurableGroupNet, a_member_whose_log_is_damaged_stays_out_of_the_group) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dir;
    const auto key = groups::GroupKey::generate();
    constexpr std::uint64_t kMarker = 0x4d41524b45523432ull;  // "MARKER42" in the log's msgpack
    {
      auto node = co_await node_in(dir.path());
      {
        auto group = join(node, key, 1);
        CO_ASSERT_TRUE(co_await put(group, kMarker));
      }
      co_await node.shutdown();
    }
    CO_ASSERT_TRUE(damage(dir.path() / "groups" / "data.mdb", "MARKER42") > 0);
    auto node = co_await node_in(dir.path());  // the environment opens; the group's store does not
    auto group = join(node, key, 1);
    EXPECT_TRUE(group.status().terminated) << "a member with a damaged log joined its group";
    auto r = co_await timeout_s(15, group.execute(KvPut{0, 1}));
    EXPECT_FALSE(r.has_value());
    // Another group of the same node is unaffected.
    auto other = join(node, groups::GroupKey::generate(), 1);
    EXPECT_TRUE(co_await put(other, 2));
    co_await node.shutdown();
  });
}

// The proof that it is the same member: with the third node stopped too, only the first
// and the rebuilt one are up. As the voter it was, the rebuilt one makes a majority of the
// three; as a new member it would first have to be added, which needs a majority of the old
// three, so nothing would commit.
TEST(DurableGroupNet, a_rebuilt_node_rejoins_as_the_voter_it_was_with_its_log_and_catches_up) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dirs[3];
    const auto key = groups::GroupKey::generate();
    auto nodes = co_await three_nodes(dirs);
    const auto bootstrap = nodes[0]->local().addr();
    std::vector<std::optional<groups::Group<KvStore>>> members(3);
    for (std::size_t i = 0; i < 3; ++i) members[i] = join(*nodes[i], key, 3);
    for (std::uint64_t v = 1; v <= 10; ++v) CO_ASSERT_TRUE(co_await put(*members[0], v));
    // The member to restart holds the commands (a strong read waits until it applied them).
    auto seen = co_await timeout_s(15, members[2]->query(KvQuery{0, true}, groups::Consistency::Strong));
    CO_ASSERT_TRUE(seen.has_value());
    CO_ASSERT_TRUE(seen->result.applied_count == 10);
    const PeerId id = nodes[2]->local().id();
    // The node stops (a durable member does not leave its group then; dropping its last
    // handle first would), then its handle goes, then the node, which releases its data dir.
    auto stop = [&](std::size_t i) -> asio::awaitable<void> {
      co_await nodes[i]->shutdown();
      members[i].reset();
      nodes[i].reset();
    };
    co_await stop(2);
    // Meanwhile the other two commit more: a majority of the three voters.
    for (std::uint64_t v = 11; v <= 15; ++v) CO_ASSERT_TRUE(co_await put(*members[0], v));
    co_await stop(1);

    nodes[2] = co_await node_in(dirs[2].path(), bootstrap);
    EXPECT_EQ(nodes[2]->local().id(), id);
    members[2] = join(*nodes[2], key, 3);
    EXPECT_GT(members[2]->log_position().value, 10u) << "the rebuilt member did not read its log back";
    CO_ASSERT_TRUE(co_await put(*members[0], 16));
    auto caught_up = co_await timeout_s(15, members[2]->query(KvQuery{0, true}, groups::Consistency::Strong));
    CO_ASSERT_TRUE(caught_up.has_value());
    std::vector<std::uint64_t> expected;
    for (std::uint64_t v = 1; v <= 16; ++v) expected.push_back(v);
    EXPECT_EQ(caught_up->result.applied, expected);
    for (std::size_t i : {0u, 2u}) co_await stop(i);
  });
}


// A SnapshotSync group on durable nodes (decision 0411): each member writes its snapshots to
// its data dir and compacts its log behind them. A member restarted after that reads its
// state back from its own snapshot, alone (nobody to fetch from), and is the voter it was:
// with the third node still down, it and one more restarted member make a majority.
TEST(DurableGroupNet, a_member_restarted_after_its_log_was_compacted_comes_back_from_its_snapshot_as_the_voter_it_was) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dirs[3];
    const auto key = groups::GroupKey::generate();
    auto nodes = co_await three_nodes(dirs);
    const auto bootstrap = nodes[0]->local().addr();
    std::vector<std::optional<groups::Group<SnapshotKvStore>>> members(3);
    for (std::size_t i = 0; i < 3; ++i) members[i] = join_snapshots(*nodes[i], key, 3);
    const GroupId group = members[0]->id();
    constexpr std::uint64_t kPuts = 60;  // snapshots every 10 indices
    for (std::uint64_t v = 1; v <= kPuts; ++v) CO_ASSERT_TRUE(co_await put(*members[0], v));
    auto seen = co_await timeout_s(15, members[2]->query(KvQuery{0, true}, groups::Consistency::Strong));
    CO_ASSERT_TRUE(seen.has_value());
    CO_ASSERT_TRUE(seen->result.applied_count == kPuts);
    for (std::size_t i : {0u, 2u}) CO_ASSERT_TRUE(co_await until_snapshot_on_disk(dirs[i].path(), group.to_hex(), 50));
    auto stop = [&](std::size_t i) -> asio::awaitable<void> {
      co_await nodes[i]->shutdown();
      members[i].reset();
      nodes[i].reset();
    };
    for (std::size_t i : {2u, 1u, 0u}) co_await stop(i);
    CO_ASSERT_TRUE(log_base(dirs[2].path(), group.to_hex()) > groups::Index(0));  // the log alone cannot rebuild the state
    CO_ASSERT_TRUE(snapshot_files(dirs[2].path(), group.to_hex()).size() == 1u);  // only the newest is kept

    // Alone: the state comes from its own snapshot file.
    nodes[2] = co_await node_in(dirs[2].path());
    SnapshotKvStore restarted;
    const auto installs = restarted.installs;
    members[2] = join_snapshots(*nodes[2], key, 3, restarted);
    auto local = co_await timeout_s(15, members[2]->query(KvQuery{0, true}, groups::Consistency::Weak));
    CO_ASSERT_TRUE(local.has_value());
    EXPECT_EQ(installs->load(), 1u) << "the restarted member did not install its snapshot";
    CO_ASSERT_TRUE(local->result.applied_count >= 40);
    for (std::uint64_t i = 0; i < local->result.applied_count; ++i) EXPECT_EQ(local->result.applied[i], i + 1);

    // With a second old voter back (the third still down) the group commits: the same voters.
    nodes[0] = co_await node_in(dirs[0].path(), nodes[2]->local().addr());
    members[0] = join_snapshots(*nodes[0], key, 3);
    co_await until_knows(*nodes[2], nodes[0]->local().id());
    CO_ASSERT_TRUE(co_await put(*members[2], kPuts + 1));
    auto all = co_await timeout_s(15, members[2]->query(KvQuery{0, true}, groups::Consistency::Strong));
    CO_ASSERT_TRUE(all.has_value());
    std::vector<std::uint64_t> expected;
    for (std::uint64_t v = 1; v <= kPuts + 1; ++v) expected.push_back(v);
    EXPECT_EQ(all->result.applied, expected);
    EXPECT_EQ(installs->load(), 1u) << "the restarted member fetched a snapshot from a peer";
    for (std::size_t i : {0u, 2u}) co_await stop(i);
  });
}

// A lone member of a SnapshotSync group writes 25 puts (snapshots every 10 indices) and its
// node stops; the group's id.
asio::awaitable<GroupId> fill_and_stop(const fs::path& dir, const groups::GroupKey& key) {
  auto node = co_await node_in(dir);
  auto member = join_snapshots(node, key, 1);
  const GroupId group = member.id();
  for (std::uint64_t v = 1; v <= 25; ++v) CO_ASSERT_TRUE(co_await put(member, v));
  CO_ASSERT_TRUE(co_await until_snapshot_on_disk(dir, group.to_hex(), 20));
  co_await node.shutdown();
  co_return group;
}

// A damaged snapshot file keeps its member out of the group, as a damaged log does (0411);
// the file named in the error is checked by snapshot_files_test.
TEST(DurableGroupNet, a_member_whose_snapshot_file_is_damaged_stays_out_of_the_group) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dir;
    const auto key = groups::GroupKey::generate();
    const GroupId group = co_await fill_and_stop(dir.path(), key);
    const auto files = snapshot_files(dir.path(), group.to_hex());
    CO_ASSERT_TRUE(files.size() == 1u);
    fs::resize_file(files.back(), fs::file_size(files.back()) - 3);
    auto node = co_await node_in(dir.path());
    auto member = join_snapshots(node, key, 1);
    EXPECT_TRUE(member.status().terminated) << "a member with a truncated snapshot joined its group";
    co_await node.shutdown();
  });
}

// A compacted log whose snapshot files are gone cannot rebuild the state: the member drops
// the log too and rejoins as a new member (a new storage epoch, decision 0100) rather than
// replay a log that starts in the middle.
TEST(DurableGroupNet, a_member_whose_snapshots_are_gone_drops_its_compacted_log_and_rejoins_as_a_new_member) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dir;
    const auto key = groups::GroupKey::generate();
    const GroupId group = co_await fill_and_stop(dir.path(), key);
    CO_ASSERT_TRUE(log_base(dir.path(), group.to_hex()) > groups::Index(0));
    fs::remove_all(dir.path() / "groups" / "snapshots" / group.to_hex());
    auto node = co_await node_in(dir.path());
    auto member = join_snapshots(node, key, 1);
    EXPECT_FALSE(member.status().terminated);
    EXPECT_EQ(member.log_position(), groups::Index(0)) << "the compacted log was kept without its snapshot";
    co_await node.shutdown();
  });
}

// Compaction never runs ahead of a snapshot on disk (0411): while the first snapshot's write
// is held on the writer thread the group goes on committing (the write is not on the
// executor) and takes further snapshots, but its log is not compacted behind any of them.
TEST(DurableGroupNet, the_log_is_compacted_only_behind_a_snapshot_written_to_disk) {
  block_on([]() -> asio::awaitable<void> {
    TempDir dir;
    const auto key = groups::GroupKey::generate();
    GroupId group;
    {
      auto node = co_await node_in(dir.path());
      Gate gate;
      GatedKvStore machine;
      machine.gate = gate.future;
      auto member = join_snapshots(node, key, 1, machine);
      group = member.id();
      for (std::uint64_t v = 1; v <= 35; ++v) CO_ASSERT_TRUE(co_await put(member, v));
      EXPECT_TRUE(snapshot_files(dir.path(), group.to_hex()).empty());
      co_await node.shutdown();
      gate.release();  // the write completes after the member stopped: it compacts nothing
    }
    EXPECT_EQ(log_base(dir.path(), group.to_hex()), groups::Index(0))
        << "the log was compacted behind a snapshot that was not on disk";
    const auto files = snapshot_files(dir.path(), group.to_hex());
    CO_ASSERT_TRUE(files.size() == 1u);
    EXPECT_EQ(snapshot_index(files.back()), 10u) << "the held write is the first snapshot's";
  });
}

}  // namespace
}  // namespace group_durable_net_test
}  // namespace mosaik::test
