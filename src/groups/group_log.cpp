#include "group_log.hpp"

#include <asio/post.hpp>

#include <mutex>
#include <utility>

#include "groups/storage/lmdb_log_store.hpp"

namespace mosaik::groups::detail {
namespace {

class MemoryGroupLog final : public GroupLog {
 public:
  [[nodiscard]] const raft::LogStore& store() const override { return store_; }
  [[nodiscard]] std::optional<std::uint64_t> epoch() const override { return std::nullopt; }
  void write(std::optional<raft::SnapshotPoint> snapshot, std::optional<raft::HardState> hard,
             std::vector<raft::Entry> entries, Written written) override {
    store_.save(snapshot, hard, entries);
    written({});
  }
  void compact(const raft::SnapshotPoint& point, Written written) override {
    store_.compact(point);
    written({});
  }
  void write_snapshot(const raft::SnapshotPoint&, SnapshotCapture, Written written) override { written({}); }
  [[nodiscard]] std::optional<storage::StoredSnapshot> take_restored() override { return std::nullopt; }
  void close() override {}

 private:
  raft::MemoryLogStore store_;
};

class DurableGroupLog final : public GroupLog {
 public:
  DurableGroupLog(std::unique_ptr<storage::LmdbLogStore> store, std::shared_ptr<storage::SnapshotFiles> snapshots,
                  std::optional<storage::StoredSnapshot> restored, asio::any_io_executor executor)
      : store_(std::move(store)),
        snapshots_(std::move(snapshots)),
        restored_(std::move(restored)),
        name_(store_->name()),
        executor_(std::move(executor)) {}

  [[nodiscard]] const raft::LogStore& store() const override { return *store_; }
  [[nodiscard]] std::optional<std::uint64_t> epoch() const override { return store_->epoch(); }

  void write(std::optional<raft::SnapshotPoint> snapshot, std::optional<raft::HardState> hard,
             std::vector<raft::Entry> entries, Written written) override {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    store_->save(std::move(snapshot), std::move(hard), std::move(entries), on_executor(std::move(written)));
  }

  void compact(const raft::SnapshotPoint& point, Written written) override {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    store_->compact(point, on_executor(std::move(written)));
  }

  void write_snapshot(const raft::SnapshotPoint& point, SnapshotCapture capture, Written written) override {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    snapshots_->write(name_, store_->epoch(), point, std::move(capture), on_executor(std::move(written)));
  }

  [[nodiscard]] std::optional<storage::StoredSnapshot> take_restored() override {
    return std::exchange(restored_, std::nullopt);
  }

  void close() override {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

 private:
  // The store and the files call back on their writer threads: hop to the worker's executor.
  storage::LmdbLogStore::Done on_executor(Written written) {
    return [ex = executor_, written = std::move(written)](std::expected<void, storage::StorageError> r) {
      std::expected<void, std::string> result;
      if (!r) result = std::unexpected(r.error().message);
      asio::post(ex, [written, result] { written(result); });
    };
  }

  std::unique_ptr<storage::LmdbLogStore> store_;
  std::shared_ptr<storage::SnapshotFiles> snapshots_;
  std::optional<storage::StoredSnapshot> restored_;
  const std::string name_;  // the group's id in hex: its store's and its snapshots' name
  asio::any_io_executor executor_;
  std::mutex mutex_;  // close() against a write being queued
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<GroupLog> GroupLog::in_memory() { return std::make_unique<MemoryGroupLog>(); }

std::unique_ptr<GroupLog> GroupLog::durable(std::unique_ptr<storage::LmdbLogStore> store,
                                            std::shared_ptr<storage::SnapshotFiles> snapshots,
                                            std::optional<storage::StoredSnapshot> restored,
                                            asio::any_io_executor executor) {
  return std::make_unique<DurableGroupLog>(std::move(store), std::move(snapshots), std::move(restored),
                                           std::move(executor));
}

}  // namespace mosaik::groups::detail
