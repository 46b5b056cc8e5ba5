// The durable log store (docs/decisions/0410): what it writes reads back, survives a reopen,
// follows MemoryLogStore's semantics write for write, and damaged or truncated files are
// errors naming the file.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "groups/storage/crc32c.hpp"
#include "groups/storage/lmdb_log_store.hpp"
#include "support/temp_dir.hpp"

namespace mosaik::groups::storage {
namespace lmdb_log_store_test {
namespace {

namespace fs = std::filesystem;
using raft::Entry;
using raft::HardState;
using raft::SnapshotPoint;

using test::TempDir;
LmdbOptions options_in(const fs::path& dir, bool skip_fsync = false) {
  LmdbOptions o;
  o.directory = dir;
  o.map_size_bytes = std::size_t{256} << 20;
  o.unsafe_skip_fsync = skip_fsync;
  return o;
}

Entry entry(std::uint64_t term, std::uint64_t index, std::string data = "x") {
  return Entry{Term(term), Index(index), 0, raft::Bytes(data.begin(), data.end())};
}

std::vector<Entry> run(std::uint64_t term, std::uint64_t first, std::uint64_t last) {
  std::vector<Entry> out;
  for (auto i = first; i <= last; ++i) out.push_back(entry(term, i, "entry-" + std::to_string(i)));
  return out;
}

// Waits for the write's completion (the writer thread calls it after the commit).
std::expected<void, StorageError> save(LmdbLogStore& store, std::optional<SnapshotPoint> snapshot,
                                       std::optional<HardState> hard, std::vector<Entry> entries) {
  std::promise<std::expected<void, StorageError>> done;
  auto result = done.get_future();
  store.save(std::move(snapshot), std::move(hard), std::move(entries),
             [&done](std::expected<void, StorageError> r) { done.set_value(std::move(r)); });
  return result.get();
}

std::expected<void, StorageError> compact(LmdbLogStore& store, SnapshotPoint point) {
  std::promise<std::expected<void, StorageError>> done;
  auto result = done.get_future();
  store.compact(std::move(point), [&done](std::expected<void, StorageError> r) { done.set_value(std::move(r)); });
  return result.get();
}

std::unique_ptr<LmdbLogStore> open_group(const std::shared_ptr<LmdbStorage>& storage, std::string_view name = "g1") {
  auto store = storage->open_group(name);
  EXPECT_TRUE(store.has_value()) << (store ? "" : store.error().message);
  return store ? std::move(*store) : nullptr;
}

std::shared_ptr<LmdbStorage> open_storage(const fs::path& dir, bool skip_fsync = false) {
  auto storage = LmdbStorage::open(options_in(dir, skip_fsync));
  EXPECT_TRUE(storage.has_value()) << (storage ? "" : storage.error().message);
  return storage ? *storage : nullptr;
}

void expect_same(const raft::LogStore& a, const raft::MemoryLogStore& b) {
  ASSERT_EQ(a.base(), b.base());
  ASSERT_EQ(a.last_index(), b.last_index());
  ASSERT_EQ(a.hard_state(), b.hard_state());
  for (auto i = b.base().cursor.index; i <= b.last_index().next(); i = i.next()) ASSERT_EQ(a.term(i), b.term(i)) << i.value;
  if (b.last_index() > b.base().cursor.index) {
    const auto first = b.base().cursor.index.next();
    ASSERT_EQ(a.entries(first, b.last_index(), SIZE_MAX), b.entries(first, b.last_index(), SIZE_MAX));
    ASSERT_EQ(a.entries(first, b.last_index(), 100), b.entries(first, b.last_index(), 100));
  }
}

TEST(Crc32c, matches_the_castagnoli_check_value) {
  const std::string text = "123456789";
  EXPECT_EQ(crc32c({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}), 0xE3069283u);
}

TEST(LmdbLogStore, hard_state_and_entries_read_back_once_the_write_completes) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  auto store = open_group(storage);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->last_index(), Index(0));
  EXPECT_NE(store->epoch(), 0u);
  HardState hard{Term(3), Digest::random(), 42, {}};
  ASSERT_TRUE(save(*store, std::nullopt, hard, run(3, 1, 10)));
  EXPECT_EQ(store->hard_state(), hard);
  EXPECT_EQ(store->last_index(), Index(10));
  EXPECT_EQ(store->term(Index(7)), Term(3));
  EXPECT_FALSE(store->term(Index(11)).has_value());
  const auto read = store->entries(Index(2), Index(4), SIZE_MAX);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0], entry(3, 2, "entry-2"));
  // The size bound: the first entry always, then while within max_bytes.
  EXPECT_EQ(store->entries(Index(2), Index(9), 0).size(), 1u);
}

TEST(LmdbLogStore, a_reopened_store_has_the_hard_state_entries_snapshot_point_and_epoch_it_had) {
  TempDir dir;
  HardState hard{Term(5), Digest::random(), 7, {}};
  const SnapshotPoint point{Cursor{Term(2), Index(4)}, raft::Membership{{Digest::random()}, {}}};
  std::uint64_t epoch = 0;
  {
    auto storage = open_storage(dir.path());
    auto store = open_group(storage);
    ASSERT_TRUE(save(*store, std::nullopt, hard, run(2, 1, 6)));
    ASSERT_TRUE(compact(*store, point));
    ASSERT_TRUE(save(*store, std::nullopt, std::nullopt, run(5, 7, 9)));
    epoch = store->epoch();
  }
  auto storage = open_storage(dir.path());
  auto store = open_group(storage);
  EXPECT_EQ(store->epoch(), epoch);
  EXPECT_EQ(store->hard_state(), hard);
  EXPECT_EQ(store->base(), point);
  EXPECT_EQ(store->last_index(), Index(9));
  EXPECT_FALSE(store->term(Index(4)).has_value());  // the base is not an entry
  EXPECT_EQ(store->term(Index(5)), Term(2));
  EXPECT_EQ(store->term(Index(9)), Term(5));
  // Another group of the same node has a store (and an epoch) of its own.
  auto other = open_group(storage, "g2");
  EXPECT_EQ(other->last_index(), Index(0));
  EXPECT_NE(other->epoch(), epoch);
}

TEST(LmdbLogStore, entries_that_conflict_replace_the_stored_suffix) {
  TempDir dir;
  {
    auto storage = open_storage(dir.path());
    auto store = open_group(storage);
    ASSERT_TRUE(save(*store, std::nullopt, std::nullopt, run(1, 1, 8)));
    ASSERT_TRUE(save(*store, std::nullopt, std::nullopt, run(2, 4, 5)));
    EXPECT_EQ(store->last_index(), Index(5));
    EXPECT_EQ(store->term(Index(3)), Term(1));
    EXPECT_EQ(store->term(Index(4)), Term(2));
    EXPECT_FALSE(store->term(Index(6)).has_value());
  }
  auto storage = open_storage(dir.path());
  auto store = open_group(storage);  // the reopen's walk also proves no stale entry 6..8 is left
  EXPECT_EQ(store->last_index(), Index(5));
  EXPECT_EQ(store->term(Index(5)), Term(2));
}

TEST(LmdbLogStore, compaction_drops_the_prefix_and_a_point_not_in_the_log_is_refused) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  auto store = open_group(storage);
  ASSERT_TRUE(save(*store, std::nullopt, std::nullopt, run(1, 1, 6)));
  ASSERT_TRUE(compact(*store, SnapshotPoint{Cursor{Term(1), Index(3)}, {}}));
  EXPECT_EQ(store->base().cursor.index, Index(3));
  EXPECT_FALSE(store->term(Index(3)).has_value());
  EXPECT_EQ(store->entries(Index(4), Index(6), SIZE_MAX).size(), 3u);
  auto wrong_term = compact(*store, SnapshotPoint{Cursor{Term(9), Index(5)}, {}});
  ASSERT_FALSE(wrong_term);
  EXPECT_NE(wrong_term.error().message.find(storage->data_file().string()), std::string::npos);
  EXPECT_EQ(store->base().cursor.index, Index(3));  // the refused write changed nothing
}

TEST(LmdbLogStore, entries_that_do_not_continue_the_log_are_refused_without_touching_it) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  auto store = open_group(storage);
  ASSERT_TRUE(save(*store, std::nullopt, std::nullopt, run(1, 1, 3)));
  HardState hard{Term(4), std::nullopt, 0, {}};
  auto gap = save(*store, std::nullopt, hard, run(1, 6, 7));
  ASSERT_FALSE(gap);
  EXPECT_NE(gap.error().message.find("do not continue"), std::string::npos) << gap.error().message;
  EXPECT_EQ(store->last_index(), Index(3));
  EXPECT_EQ(store->hard_state(), HardState{});  // the whole write was refused, hard state too
}

// Random writes applied to both stores; every read must agree, before and after a reopen.
TEST(LmdbLogStore, follows_memory_log_store_write_for_write) {
  TempDir dir;
  const auto seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  raft::MemoryLogStore model;
  auto storage = open_storage(dir.path(), true);  // 200 commits: no fsync, the semantics are the point
  auto store = open_group(storage);
  std::uint64_t term = 1;
  for (int step = 0; step < 200; ++step) {
    const auto base = model.base().cursor.index.value;
    const auto last = model.last_index().value;
    const int what = static_cast<int>(rng() % 10);
    if (what < 6) {  // append, possibly over a suffix
      const auto from = base + 1 + (last > base ? rng() % (last - base + 1) : 0);
      if (rng() % 3 == 0) ++term;
      const auto to = from + rng() % 5;
      std::optional<HardState> hard;
      if (rng() % 2) hard = HardState{Term(term), std::nullopt, 1, {}};
      model.save(std::nullopt, hard, run(term, from, to));
      ASSERT_TRUE(save(*store, std::nullopt, hard, run(term, from, to)));
    } else if (what < 8 && last > base) {  // compact
      const Index at(base + 1 + rng() % (last - base));
      const SnapshotPoint point{Cursor{*model.term(at), at}, {}};
      model.compact(point);
      ASSERT_TRUE(compact(*store, point));
    } else {  // a snapshot install: sometimes within the log with its term, sometimes not
      const Index at(base + 1 + rng() % (last - base + 3));
      const Term t = model.term(at).value_or(Term(term));
      const SnapshotPoint point{Cursor{rng() % 2 ? t : Term(term + 1), at}, {}};
      model.save(point, std::nullopt, {});
      ASSERT_TRUE(save(*store, point, std::nullopt, {}));
    }
    ASSERT_NO_FATAL_FAILURE(expect_same(*store, model)) << "step " << step;
  }
  store.reset();
  storage.reset();
  storage = open_storage(dir.path());
  store = open_group(storage);
  expect_same(*store, model);
}

// Flips one byte of every copy of `marker` in the file.
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

TEST(LmdbLogStore, a_damaged_entry_is_an_error_naming_the_file_and_the_entry) {
  TempDir dir;
  {
    auto storage = open_storage(dir.path());
    auto store = open_group(storage);
    auto entries = run(1, 1, 5);
    entries[2] = entry(1, 3, "a-marker-no-other-record-holds");
    ASSERT_TRUE(save(*store, std::nullopt, std::nullopt, entries));
  }
  ASSERT_GT(damage(dir.path() / "data.mdb", "a-marker-no-other-record-holds"), 0);
  auto storage = open_storage(dir.path());
  ASSERT_TRUE(storage);
  auto store = storage->open_group("g1");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find((dir.path() / "data.mdb").string()), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("entry 3: checksum mismatch"), std::string::npos) << store.error().message;
}

TEST(LmdbLogStore, a_damaged_hard_state_is_an_error_naming_the_file) {
  TempDir dir;
  const auto vote = Digest::from_hex(std::string(64, 'a')).value();
  {
    auto storage = open_storage(dir.path());
    auto store = open_group(storage);
    ASSERT_TRUE(save(*store, std::nullopt, HardState{Term(2), vote, 1, {}}, {}));
  }
  const auto& raw = vote.as_bytes();
  ASSERT_GT(damage(dir.path() / "data.mdb", std::string(raw.begin(), raw.end())), 0);
  auto storage = open_storage(dir.path());
  auto store = storage->open_group("g1");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("hard_state: checksum mismatch"), std::string::npos) << store.error().message;
}

TEST(LmdbLogStore, a_truncated_data_file_is_an_error_naming_it_not_a_crash) {
  TempDir dir;
  {
    auto storage = open_storage(dir.path());
    auto store = open_group(storage);
    for (int i = 0; i < 20; ++i)  // several pages of entries
      ASSERT_TRUE(save(*store, std::nullopt, std::nullopt, {entry(1, i + 1, std::string(2000, 'e'))}));
  }
  const auto file = dir.path() / "data.mdb";
  const auto size = fs::file_size(file);
  for (auto keep : {size / 2, std::uintmax_t{4096}, std::uintmax_t{0}}) {
    fs::resize_file(file, keep);
    auto storage = LmdbStorage::open(options_in(dir.path()));
    ASSERT_FALSE(storage) << "kept " << keep << " bytes";
    EXPECT_NE(storage.error().message.find(file.string()), std::string::npos) << storage.error().message;
  }
}

TEST(LmdbLogStore, a_write_that_does_not_fit_fails_alone_naming_the_file) {
  TempDir dir;
  auto o = options_in(dir.path());
  o.map_size_bytes = std::size_t{1} << 20;
  auto storage = LmdbStorage::open(o);
  ASSERT_TRUE(storage);
  auto store = open_group(*storage);
  ASSERT_TRUE(save(*store, std::nullopt, std::nullopt, run(1, 1, 2)));
  auto too_big = save(*store, std::nullopt, std::nullopt, {entry(1, 3, std::string(4 << 20, 'b'))});
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message.find((dir.path() / "data.mdb").string()), std::string::npos) << too_big.error().message;
  EXPECT_EQ(store->last_index(), Index(2));
  EXPECT_TRUE(save(*store, std::nullopt, std::nullopt, run(1, 3, 4)));  // the store goes on
  EXPECT_EQ(store->last_index(), Index(4));
}

TEST(LmdbStorage, a_directory_in_use_by_another_storage_is_refused) {
  TempDir dir;
  auto first = open_storage(dir.path());
  ASSERT_TRUE(first);
  auto second = LmdbStorage::open(options_in(dir.path()));
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("in use by another node"), std::string::npos) << second.error().message;
  first.reset();
  EXPECT_TRUE(LmdbStorage::open(options_in(dir.path())));  // released with the first
}

}  // namespace
}  // namespace lmdb_log_store_test
}  // namespace mosaik::groups::storage
