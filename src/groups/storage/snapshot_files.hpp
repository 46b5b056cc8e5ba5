#pragma once
// State-machine snapshots on disk (docs/decisions/0411): one file per group holding the
// machine's snapshot at a snapshot point, written whole or not at all (a temporary file,
// fsynced, renamed over, the directory fsynced) and checked with CRC-32C when read back.
// One writer thread per node encodes and writes, so neither the encoding (O(state)) nor the
// fsync runs on the node's executor; the log is compacted behind a snapshot only after its
// write completed.
//
//   auto files = SnapshotFiles::open(data_dir / "groups" / "snapshots");          // expected
//   (*files)->write(group_hex, epoch, point, capture, [](auto result) { /* writer thread */ });
//   auto newest = (*files)->load(group_hex, epoch);  // expected<optional<StoredSnapshot>>
//
// <directory>/<group id hex>/snapshot-<index, 20 digits>.snap:
//   "MSKSNAP1" | epoch (8) | point length (4) | point (msgpack SnapshotPoint) | item count (8)
//   | items (key length (4) | key | value length (4) | value)... | crc32c of all before (4)
// Integers little-endian. Only the newest file of a group is kept.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "groups/raft/types.hpp"
#include "lmdb_log_store.hpp"
#include "mosaik/groups/state_sync.hpp"

namespace mosaik::groups::storage {

struct StoredSnapshot {
  raft::SnapshotPoint point;
  std::vector<SnapshotItem> items;
  std::filesystem::path file;
};

class SnapshotFiles {
 public:
  // Runs on the writer thread once the file is durable in its place, or the write failed.
  using Done = LmdbLogStore::Done;

  // Creates `directory` (mode 0700) if missing.
  [[nodiscard]] static std::expected<std::shared_ptr<SnapshotFiles>, StorageError> open(
      std::filesystem::path directory);
  ~SnapshotFiles();  // finishes the queued writes
  SnapshotFiles(const SnapshotFiles&) = delete;
  SnapshotFiles& operator=(const SnapshotFiles&) = delete;

  // Queued: encodes `capture` on the writer thread, writes the file of `point` and removes the
  // group's older files. `epoch` is the group's storage epoch, kept in the file.
  void write(std::string_view group, std::uint64_t epoch, raft::SnapshotPoint point,
             SnapshotCapture capture, Done done);
  // The group's newest snapshot of storage epoch `epoch`, verified; nullopt if it has none
  // (files of another epoch are of a store since dropped: they are removed). A damaged or
  // truncated file is an error naming it. Waits for queued writes first.
  [[nodiscard]] std::expected<std::optional<StoredSnapshot>, StorageError> load(
      std::string_view group, std::uint64_t epoch);
  // Removes every snapshot of the group (its data lost on purpose, with its log).
  [[nodiscard]] std::expected<void, StorageError> drop(std::string_view group);
  // Blocks until every write queued before the call has completed.
  void flush();

  [[nodiscard]] std::filesystem::path group_directory(std::string_view group) const;

 private:
  struct Job {
    std::string group;
    std::uint64_t epoch = 0;
    raft::SnapshotPoint point;
    SnapshotCapture capture;
    Done done;
  };

  explicit SnapshotFiles(std::filesystem::path directory);
  void run();
  [[nodiscard]] std::expected<void, StorageError> write_now(const Job& job);

  const std::filesystem::path directory_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;        // guarded by mutex_
  std::uint64_t queued_ = 0;     // guarded by mutex_: jobs ever queued
  std::uint64_t completed_ = 0;  // guarded by mutex_: jobs ever completed
  bool stopping_ = false;        // guarded by mutex_
  std::thread writer_;
};

}  // namespace mosaik::groups::storage
