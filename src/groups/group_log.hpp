#pragma once
// GroupLog: where a group worker keeps its log. In memory (the default: every start is a new
// member) or in the node's LMDB storage (docs/decisions/0410: the same member after a
// restart). A write's completion runs on the worker's executor once the write is durable:
// at once for memory, after the fsynced commit for LMDB; the worker only then reports
// `persisted` and sends the Ready's messages.
//
//   auto log = GroupLog::in_memory();                                   // or GroupLog::durable(...)
//   Core core(options, log->store(), now);
//   log->write(r.snapshot, r.hard_state, std::move(r.entries), [](auto result) { /* executor */ });

#include <asio/any_io_executor.hpp>

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "groups/raft/log_store.hpp"

namespace mosaik::groups::storage {
class LmdbLogStore;
}

namespace mosaik::groups::detail {

class GroupLog {
 public:
  // Runs on the worker's executor (or inline, for memory) once the write is durable; an
  // error message (naming the file) if it failed.
  using Written = std::function<void(std::expected<void, std::string>)>;

  static std::unique_ptr<GroupLog> in_memory();
  static std::unique_ptr<GroupLog> durable(std::unique_ptr<storage::LmdbLogStore> store, asio::any_io_executor executor);

  virtual ~GroupLog() = default;
  [[nodiscard]] virtual const raft::LogStore& store() const = 0;
  // The storage epoch kept with the log; nullopt when the log does not outlive the process.
  [[nodiscard]] virtual std::optional<std::uint64_t> epoch() const = 0;
  virtual void write(std::optional<raft::SnapshotPoint> snapshot, std::optional<raft::HardState> hard,
                     std::vector<raft::Entry> entries, Written written) = 0;
  virtual void compact(const raft::SnapshotPoint& point, Written written) = 0;
  // From any thread: no write is queued after this returns (a later membership of the same
  // group is about to open the store). Writes queued before still complete.
  virtual void close() = 0;
};

}  // namespace mosaik::groups::detail
