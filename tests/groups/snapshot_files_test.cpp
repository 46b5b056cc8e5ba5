// State-machine snapshots on disk (docs/decisions/0411): a written snapshot reads back equal,
// only the newest stays, the encoding runs on the writer thread, a leftover temporary file
// is ignored, a file of another storage epoch is not this store's, and a damaged or
// truncated file is an error naming it.
#include "groups/storage/snapshot_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "groups/storage/crc32c.hpp"
#include "support/temp_dir.hpp"

namespace mosaik::groups::storage {
namespace snapshot_files_test {
namespace {

namespace fs = std::filesystem;
using raft::SnapshotPoint;
using test::TempDir;

constexpr std::string_view kGroup = "ab12";
constexpr std::uint64_t kEpoch = 7;

SnapshotPoint point_at(std::uint64_t index) {
  SnapshotPoint p;
  p.cursor = Cursor{Term(3), Index(index)};
  return p;
}

std::vector<SnapshotItem> items(int n, std::string_view tag = "v") {
  std::vector<SnapshotItem> out;
  for (int i = 0; i < n; ++i) {
    const std::string k = "key-" + std::to_string(i), v = std::string(tag) + std::to_string(i);
    out.push_back({wire::Bytes(k.begin(), k.end()), wire::Bytes(v.begin(), v.end())});
  }
  out.push_back({{}, {}});  // empty key and value are items too
  return out;
}

std::shared_ptr<SnapshotFiles> open_in(const fs::path& dir) {
  auto files = SnapshotFiles::open(dir);
  if (!files) throw std::runtime_error(files.error().message);
  return *files;
}

// Waits for the write's completion (the writer thread calls it once the file is in place).
std::expected<void, StorageError> write(SnapshotFiles& files, std::uint64_t index,
                                        SnapshotCapture capture, std::uint64_t epoch = kEpoch) {
  std::promise<std::expected<void, StorageError>> done;
  auto result = done.get_future();
  files.write(kGroup, epoch, point_at(index), std::move(capture),
              [&done](std::expected<void, StorageError> r) { done.set_value(std::move(r)); });
  return result.get();
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SnapshotFiles, a_written_snapshot_reads_back_and_only_the_newest_stays) {
  TempDir dir;
  auto files = open_in(dir.path());
  EXPECT_FALSE(files->load(kGroup, kEpoch)->has_value()) << "a group without snapshots has none";
  ASSERT_TRUE(write(*files, 100, SnapshotCapture(items(50, "old"))).has_value());
  ASSERT_TRUE(write(*files, 200, SnapshotCapture(items(300))).has_value());
  EXPECT_EQ(names_in(files->group_directory(kGroup)),
            std::vector<std::string>{"snapshot-00000000000000000200.snap"});
  files.reset();  // read back by a new instance, as after a restart
  auto again = open_in(dir.path());
  auto loaded = again->load(kGroup, kEpoch);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->point, point_at(200));
  EXPECT_EQ((*loaded)->items, items(300));
  EXPECT_EQ((*loaded)->file, again->group_directory(kGroup) / "snapshot-00000000000000000200.snap");
}

TEST(SnapshotFiles, the_capture_is_encoded_on_the_writer_thread) {
  TempDir dir;
  auto files = open_in(dir.path());
  std::thread::id encoded_on;
  ASSERT_TRUE(write(*files, 10, SnapshotCapture([&encoded_on] {
                encoded_on = std::this_thread::get_id();
                return items(3);
              })).has_value());
  EXPECT_NE(encoded_on, std::thread::id());
  EXPECT_NE(encoded_on, std::this_thread::get_id());
  EXPECT_EQ((*files->load(kGroup, kEpoch))->items, items(3));
}

TEST(SnapshotFiles, a_temporary_file_a_crash_left_is_ignored_and_removed) {
  TempDir dir;
  auto files = open_in(dir.path());
  ASSERT_TRUE(write(*files, 10, SnapshotCapture(items(3))).has_value());
  const auto tmp = files->group_directory(kGroup) / "snapshot-00000000000000000020.snap.tmp";
  std::ofstream(tmp) << "half a snapshot";
  auto loaded = files->load(kGroup, kEpoch);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ((*loaded)->point, point_at(10));
  EXPECT_FALSE(fs::exists(tmp));
}

TEST(SnapshotFiles, a_snapshot_of_another_storage_epoch_is_not_loaded) {
  TempDir dir;
  auto files = open_in(dir.path());
  ASSERT_TRUE(write(*files, 10, SnapshotCapture(items(3)), kEpoch + 1).has_value());
  auto loaded = files->load(kGroup, kEpoch);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_FALSE(loaded->has_value()) << "a dropped store's state came back under a new epoch";
  EXPECT_FALSE(fs::exists(files->group_directory(kGroup)));
}

TEST(SnapshotFiles, drop_removes_every_snapshot_of_the_group) {
  TempDir dir;
  auto files = open_in(dir.path());
  ASSERT_TRUE(write(*files, 10, SnapshotCapture(items(3))).has_value());
  ASSERT_TRUE(files->drop(kGroup).has_value());
  EXPECT_FALSE(files->load(kGroup, kEpoch)->has_value());
}

// Each damage, on a fresh copy of one good file: the load fails naming the file and what is wrong.
TEST(SnapshotFiles, a_truncated_or_damaged_file_is_an_error_naming_it) {
  TempDir dir;
  auto files = open_in(dir.path());
  ASSERT_TRUE(write(*files, 10, SnapshotCapture(items(20))).has_value());
  const auto file = files->group_directory(kGroup) / "snapshot-00000000000000000010.snap";
  std::string good;
  {
    std::ifstream in(file, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto expect_error = [&](const std::string& bytes, const std::string& what, const char* why) {
    std::ofstream(file, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    auto loaded = files->load(kGroup, kEpoch);
    ASSERT_FALSE(loaded.has_value()) << why << ": loaded";
    EXPECT_NE(loaded.error().message.find(file.string() + ": "), std::string::npos)
        << why << ": " << loaded.error().message;
    EXPECT_NE(loaded.error().message.find(what), std::string::npos)
        << why << ": " << loaded.error().message;
  };
  expect_error(good.substr(0, good.size() / 2), "checksum mismatch", "cut in half");
  expect_error(good.substr(0, 10), "truncated", "cut to 10 bytes");
  expect_error("", "truncated", "empty");
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x01;
  expect_error(flipped, "checksum mismatch", "one bit flipped");
  // Damage the checksum cannot see (the checksum recomputed): each field is checked too.
  auto with_crc = [](std::string body) {
    const auto crc = crc32c({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
    for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
    return body;
  };
  const std::string body = good.substr(0, good.size() - 4);
  expect_error(with_crc(body + "junk"), "4 bytes after the last item", "bytes appended");
  std::string other_magic = body;
  other_magic[0] = 'X';
  expect_error(with_crc(other_magic), "not a snapshot file", "another magic");
  // The item count follows magic (8), epoch (8), point length (4) and the point.
  const auto point_size = static_cast<std::size_t>(static_cast<std::uint8_t>(body[16]));
  std::string many = body;
  many[20 + point_size + 7] = 0x7f;
  expect_error(with_crc(many), "item count beyond the file", "a huge item count");
  std::string fewer = body;
  fewer[20 + point_size] = static_cast<char>(static_cast<std::uint8_t>(fewer[20 + point_size]) + 1);
  expect_error(with_crc(fewer), "cut off", "one item more than the file holds");
  // A good file under another name: its content is of another point.
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(good.data(), static_cast<std::streamsize>(good.size()));
  fs::rename(file, files->group_directory(kGroup) / "snapshot-00000000000000000011.snap");
  auto renamed = files->load(kGroup, kEpoch);
  ASSERT_FALSE(renamed.has_value());
  EXPECT_NE(renamed.error().message.find("not the one its name says"), std::string::npos)
      << renamed.error().message;
}

}  // namespace
}  // namespace snapshot_files_test
}  // namespace mosaik::groups::storage
