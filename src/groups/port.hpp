#pragma once
// GroupPort: what a Group handle holds of its group. It forwards to the worker until the
// node stops the group, then lets the worker go (release()), so a handle kept after its
// Network was destroyed holds no transport object: those must go on the node's executor,
// before its io_context does. Afterwards every call answers Terminated without posting.
//
//   auto port = std::make_shared<GroupPort>(worker);   make(port);   ...   port->release();

#include <memory>
#include <mutex>

#include "worker.hpp"

namespace mosaik::groups::detail {

class GroupPort final : public GroupCore {
 public:
  explicit GroupPort(std::shared_ptr<GroupWorker> worker)
      : id_(worker->id()),
        executor_(worker->executor()),
        status_(worker->status()),
        lost_(worker->lost_incarnations()),
        worker_(std::move(worker)) {}
  // A group joined after its node stopped: terminated from the start.
  GroupPort(GroupId id, asio::any_io_executor executor)
      : id_(id),
        executor_(std::move(executor)),
        status_(Watch<Status>(Status{.terminated = true}).subscribe()),
        lost_(Watch<LostIncarnations>(std::make_shared<const std::vector<LostIncarnation>>()).subscribe()) {}

  // On the node's executor, once the worker stopped.
  void release() {
    std::lock_guard lock(mutex_);
    worker_.reset();
  }

  [[nodiscard]] const GroupId& id() const override { return id_; }
  [[nodiscard]] bool terminated() const override {
    auto w = worker();
    return !w || w->terminated();
  }
  [[nodiscard]] asio::any_io_executor executor() const override { return executor_; }
  [[nodiscard]] WatchReceiver<Status> status() const override { return status_; }
  [[nodiscard]] WatchReceiver<LostIncarnations> lost_incarnations() const override { return lost_; }
  void set_apply(ApplyCommands apply) override {
    if (auto w = worker()) w->set_apply(std::move(apply));
  }
  void set_snapshots(SnapshotHooks hooks) override {
    if (auto w = worker()) w->set_snapshots(std::move(hooks));
  }
  void set_machine_reset(std::function<void()> reset) override {
    if (auto w = worker()) w->set_machine_reset(std::move(reset));
  }
  void submit(std::vector<wire::Bytes> commands, bool until_commit, std::function<void(ExecuteOutcome)> done) override {
    auto w = worker();
    if (!w) return done(ExecuteOutcome{ExecuteOutcome::Kind::Terminated, {}});
    w->submit(std::move(commands), until_commit, std::move(done));
  }
  // The worker is held by this coroutine's frame, which ends on the executor.
  asio::awaitable<ReadBarrier> read_barrier(bool strong) override {
    auto w = worker();
    if (!w) co_return ReadBarrier{ReadBarrier::Kind::Terminated, {}};
    co_return co_await w->read_barrier(strong);
  }

 private:
  [[nodiscard]] std::shared_ptr<GroupWorker> worker() const {
    std::lock_guard lock(mutex_);
    return worker_;
  }

  const GroupId id_;
  const asio::any_io_executor executor_;
  const WatchReceiver<Status> status_;
  const WatchReceiver<LostIncarnations> lost_;
  mutable std::mutex mutex_;
  std::shared_ptr<GroupWorker> worker_;  // guarded by mutex_
};

}  // namespace mosaik::groups::detail
