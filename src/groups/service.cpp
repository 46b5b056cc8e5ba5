#include "service.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>

#include <stdexcept>

#include "mosaik/groups/close_reasons.hpp"
#include "mosaik/primitives/log.hpp"
#include "groups_log.hpp"

namespace mosaik::groups::detail {

GroupsService::GroupsService(transport::Endpoint endpoint, discovery::Discovery discovery, NetworkId network,
                             Config config, std::shared_ptr<storage::LmdbStorage> storage,
                             std::shared_ptr<storage::SnapshotFiles> snapshots)
    : endpoint_(endpoint),
      discovery_(std::move(discovery)),
      executor_(endpoint.executor()),
      self_(endpoint.id()),
      network_(network),
      config_(config),
      storage_(std::move(storage)),
      snapshots_(std::move(snapshots)),
      tasks_(endpoint.executor()) {}

void GroupsService::start() {
  std::weak_ptr<GroupsService> weak = shared_from_this();
  endpoint_->register_alpn(std::string(kAlpn), [weak](transport::Connection connection) {
    if (auto self = weak.lock()) self->tasks_.spawn(self->serve_connection(std::move(connection)));
  });
}

asio::awaitable<void> GroupsService::stop() {
  std::map<GroupId, Registration> groups;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    groups.swap(groups_);
  }
  for (auto& [id, reg] : groups) {
    // A member with a durable log only pauses when its node stops: it comes back with its
    // log as the same member, so it does not leave the group (a handle's leave() does).
    co_await reg.worker->stop(/*depart=*/!reg.worker->durable());
    reg.port->release();  // handles may outlive the node: they keep no transport object
  }
  co_await tasks_.close();
  std::lock_guard lock(mutex_);
  endpoint_.reset();
  discovery_.reset();
}

std::pair<std::shared_ptr<void>, bool> GroupsService::join(JoinTerms terms, std::type_index type,
                                                           const MakeState& make) {
  const auto id = derive_group_id(terms.key, terms.consensus.digest(), terms.machine_signature, terms.sync_signature);
  std::shared_ptr<GroupWorker> worker, retired;
  std::shared_ptr<void> state;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) {  // the node is gone: a group that never starts
      state = make(std::make_shared<GroupPort>(id, executor_));
      return {state, true};
    }
    if (auto it = groups_.find(id); it != groups_.end()) {
      if (it->second.type != type)
        throw std::logic_error(fmt::format("group {} is already joined with another state machine type", id));
      if (auto existing = it->second.state.lock()) return {existing, false};
      // Its last handle is going away right now: that membership ends, this one begins.
      retired = std::move(it->second.worker);
      retired->close_log();  // before this membership opens the same store
    }
    auto log = open_log(id, terms.snapshots.has_value());
    if (!log) {  // a member that cannot read its log must not vote: it stays out
      logger()->error("group {}: not joined: {}", id, log.error());
      groups_.erase(id);
      state = make(std::make_shared<GroupPort>(id, executor_));
      if (retired) {
        asio::co_spawn(executor_, [](std::shared_ptr<GroupWorker> w) -> asio::awaitable<void> { co_await w->stop(); }(retired),
                       asio::detached);
      }
      return {state, true};
    }
    WorkerSettings settings{network_, id, terms.key, terms.consensus, terms.preference,
                            std::chrono::duration_cast<std::chrono::milliseconds>(config_.handshake_timeout),
                            terms.snapshots};
    // A member that leaves its incarnation (decision 0407) starts over on a fresh log; the
    // service outlives its workers' executor work, a node that stopped has none to give.
    FreshLog fresh = [weak = weak_from_this(), id]() -> std::expected<std::unique_ptr<GroupLog>, std::string> {
      auto self = weak.lock();
      if (!self) return std::unexpected(std::string("the node stopped"));
      return self->fresh_log(id);
    };
    worker = std::make_shared<GroupWorker>(*endpoint_, *discovery_, std::move(settings),
                                           std::make_unique<SystemEnvironment>(), std::move(*log), std::move(fresh));
    auto port = std::make_shared<GroupPort>(worker);
    state = make(port);
    groups_.insert_or_assign(id, Registration{worker, port, state, type});
  }
  if (retired) {
    asio::co_spawn(executor_, [retired]() -> asio::awaitable<void> { co_await retired->stop(); },
                   asio::detached);
  }
  asio::dispatch(executor_, [worker] { worker->start(); });
  return {state, true};
}

void GroupsService::leave(const GroupId& id) {
  std::shared_ptr<GroupWorker> worker;
  {
    std::lock_guard lock(mutex_);
    auto it = groups_.find(id);
    // A handle of an earlier membership may go after a new join made a new state.
    if (it == groups_.end() || !it->second.state.expired()) return;
    worker = std::move(it->second.worker);
    groups_.erase(it);
  }
  asio::co_spawn(executor_, [worker]() -> asio::awaitable<void> { co_await worker->stop(); },
                 asio::detached);
}

std::vector<GroupsService::GroupCounters> GroupsService::counters() {
  std::vector<std::pair<GroupId, std::shared_ptr<const GroupMetrics>>> groups;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, reg] : groups_) groups.emplace_back(id, reg.worker->metrics());
  }
  std::vector<GroupCounters> out;
  for (const auto& [id, metrics] : groups) out.push_back({id, metrics->snapshot()});
  return out;
}

std::expected<std::unique_ptr<GroupLog>, std::string> GroupsService::open_log(const GroupId& id, bool snapshots) {
  if (!storage_ || !snapshots_) return GroupLog::in_memory();
  const auto name = id.to_hex();
  auto store = storage_->open_group(name);
  if (!store) return std::unexpected(store.error().message);
  std::optional<storage::StoredSnapshot> restored;
  if (snapshots) {
    auto newest = snapshots_->load(name, (*store)->epoch());
    if (!newest) return std::unexpected(newest.error().message);  // damaged: the member stays out
    restored = std::move(*newest);
    const Index base = (*store)->base().cursor.index;
    if (base > Index(0) && (!restored || restored->point.cursor.index < base)) {
      // The log was compacted behind a snapshot that is gone (deleted by hand): the log alone
      // cannot rebuild the state. Start over as a new member (a new epoch) that state-syncs.
      logger()->warn("group {}: the durable log starts after {} and no snapshot covers it: rejoining as a new member",
                     id, base);
      store->reset();
      return fresh_log(id);
    }
  }
  return GroupLog::durable(std::move(*store), snapshots_, std::move(restored), executor_);
}

std::expected<std::unique_ptr<GroupLog>, std::string> GroupsService::fresh_log(const GroupId& id) {
  if (!storage_ || !snapshots_) return GroupLog::in_memory();
  const auto name = id.to_hex();
  if (auto dropped = storage_->drop_group(name); !dropped) return std::unexpected(dropped.error().message);
  if (auto dropped = snapshots_->drop(name); !dropped) return std::unexpected(dropped.error().message);
  auto store = storage_->open_group(name);  // empty, with a new epoch
  if (!store) return std::unexpected(store.error().message);
  return GroupLog::durable(std::move(*store), snapshots_, std::nullopt, executor_);
}

std::shared_ptr<GroupWorker> GroupsService::find(const GroupId& id) {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : it->second.worker;
}

asio::awaitable<void> GroupsService::serve_connection(transport::Connection connection) {
  for (;;) {
    auto link = co_await connection.accept_link(kMaxHandshakeFrame);
    if (!link) co_return;  // the connection is gone
    tasks_.spawn(serve_bond(std::move(*link)));
  }
}

asio::awaitable<void> GroupsService::serve_bond(transport::RawLink link) {
  std::optional<raft::NodeId> offered;  // the member id the handshake named for us
  auto find_group = [this, &offered](const GroupId& id) -> std::optional<LocalMembership> {
    auto worker = find(id);
    if (!worker) return std::nullopt;
    offered = worker->member();
    return LocalMembership{worker->key(), worker->member(), worker->observer()};
  };
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config_.handshake_timeout);
  auto bond = co_await accept_bond(std::move(link), network_, self_, find_group, timeout);
  if (!bond) {
    logger()->info("refused a bond: {} ({})", bond.error().reason, bond.error().detail);
    co_return;
  }
  auto worker = find(bond->group);
  if (!worker) {  // left the group during the handshake
    bond->link.close(close_reason::GroupNotFound);
    co_return;
  }
  if (offered != worker->member()) {  // it left its incarnation meanwhile: the peer knows an old id
    bond->link.close(transport::close_reason::GracefulShutdown);
    co_return;
  }
  worker->bonded(std::move(*bond), false);
}

}  // namespace mosaik::groups::detail
