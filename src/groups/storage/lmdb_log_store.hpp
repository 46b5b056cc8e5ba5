#pragma once
// The durable log store (docs/decisions/0410): one LMDB environment per node (LmdbStorage,
// with one writer thread) and one LmdbLogStore per group in it. The store answers the core's
// reads (raft::LogStore) from disk; writes are queued to the writer thread, which batches
// them into one transaction and calls each write's completion only after the commit (fsynced
// unless unsafe_skip_fsync). No LMDB type appears here: only lmdb_log_store.cpp includes it.
//
//   auto storage = LmdbStorage::open({.directory = dir / "groups"});      // expected
//   auto store = (*storage)->open_group(group_id.to_hex());                // expected, verified
//   (*store)->save(r.snapshot, r.hard_state, r.entries, [](auto result) { /* writer thread */ });

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "groups/raft/log_store.hpp"

namespace mosaik::groups::storage {

// Why the store cannot be opened or written; the message names the file.
struct StorageError {
  std::string message;
};

// A record found damaged after the store was opened (a read the core relies on): a broken
// invariant for the core, so an exception, with the file named.
struct StoreCorrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct LmdbOptions {
  std::filesystem::path directory;              // created if missing (mode 0700)
  std::size_t map_size_bytes = std::size_t{64} << 30;  // address space, not disk: the file grows as written
  unsigned max_groups = 256;
  // Commits without fsync (MDB_NOSYNC): a process crash loses nothing, a power loss may lose
  // the last commits or worse. For benches and tests only.
  bool unsafe_skip_fsync = false;
};

class LmdbLogStore;

class LmdbStorage : public std::enable_shared_from_this<LmdbStorage> {
 public:
  // Opens (or creates) the environment in options.directory. A truncated or damaged data
  // file is an error naming it.
  [[nodiscard]] static std::expected<std::shared_ptr<LmdbStorage>, StorageError> open(LmdbOptions options);
  ~LmdbStorage();
  LmdbStorage(const LmdbStorage&) = delete;
  LmdbStorage& operator=(const LmdbStorage&) = delete;

  // The store of one group (`name`: its id in hex), created empty with a fresh epoch if
  // missing. Waits for queued writes first, then verifies every record.
  [[nodiscard]] std::expected<std::unique_ptr<LmdbLogStore>, StorageError> open_group(std::string_view name);
  // Deletes a group's store (its data lost on purpose: the next open draws a new epoch).
  [[nodiscard]] std::expected<void, StorageError> drop_group(std::string_view name);
  // Blocks until every write queued before the call has committed.
  void flush();

  [[nodiscard]] const std::filesystem::path& data_file() const;

  struct Env;  // lmdb_log_store.cpp

 private:
  explicit LmdbStorage(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
};

class LmdbLogStore final : public raft::LogStore {
 public:
  // Runs on the writer thread once the write committed (durably), or failed.
  using Done = std::function<void(std::expected<void, StorageError>)>;

  ~LmdbLogStore() override;

  // ---- raft::LogStore, from one thread at a time (the group's executor)
  [[nodiscard]] raft::HardState hard_state() const override;
  [[nodiscard]] raft::SnapshotPoint base() const override;
  [[nodiscard]] Index last_index() const override;
  [[nodiscard]] std::optional<Term> term(Index i) const override;
  [[nodiscard]] std::vector<raft::Entry> entries(Index from, Index to, std::size_t max_bytes) const override;

  // Random and non-zero, drawn when the group's store was created: with the PeerId, the member id.
  [[nodiscard]] std::uint64_t epoch() const;
  // The group's name in the environment (its id in hex).
  [[nodiscard]] const std::string& name() const;

  // ---- writes, queued in order; each is applied as MemoryLogStore's of the same name
  void save(std::optional<raft::SnapshotPoint> snapshot, std::optional<raft::HardState> hard,
            std::vector<raft::Entry> entries, Done done);
  void compact(raft::SnapshotPoint point, Done done);

  struct Group;  // lmdb_log_store.cpp

 private:
  friend class LmdbStorage;
  LmdbLogStore(std::shared_ptr<LmdbStorage> storage, std::shared_ptr<Group> group);
  std::shared_ptr<LmdbStorage> storage_;
  std::shared_ptr<Group> group_;
};

}  // namespace mosaik::groups::storage
