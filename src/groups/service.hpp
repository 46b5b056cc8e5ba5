#pragma once
// GroupsService: the groups subsystem of one node. It serves /mosaik/groups/1 (runs the bond
// handshake for the groups this node is a member of and hands each bond to its group's
// worker) and keeps the registry of joined groups, one GroupWorker per GroupId. Network owns
// it; stop() departs every group.
//
//   auto [state, created] = service->join(terms, typeid(M), make_typed_state);   // Groups::with_key().join()
//
// With an LmdbStorage (a node built with_data_dir) each group's log is durable, one store per
// group in the node's environment (docs/decisions/0410), and a SnapshotSync group's snapshots
// are kept in SnapshotFiles beside it (0411).

#include <asio/awaitable.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>
#include <string>

#include "mosaik/discovery/discovery.hpp"
#include "mosaik/groups/config.hpp"
#include "mosaik/groups/detail/groups_api.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "mosaik/transport/endpoint.hpp"
#include "groups/storage/lmdb_log_store.hpp"
#include "groups/storage/snapshot_files.hpp"
#include "port.hpp"
#include "worker.hpp"

namespace mosaik::groups::detail {

class GroupsService final : public GroupsApi, public std::enable_shared_from_this<GroupsService> {
 public:
  GroupsService(transport::Endpoint endpoint, discovery::Discovery discovery, NetworkId network, Config config,
                std::shared_ptr<storage::LmdbStorage> storage = nullptr,
                std::shared_ptr<storage::SnapshotFiles> snapshots = nullptr);

  void start();  // registers the protocol handler
  // Departs every group (a durable member only closes its bonds: it will be back) and stops
  // their tasks; on the node's executor.
  asio::awaitable<void> stop();

  // GroupsApi, from any thread. A new worker starts on the node's executor once `make` has
  // made its typed state (which installs the apply callback).
  std::pair<std::shared_ptr<void>, bool> join(JoinTerms terms, std::type_index type, const MakeState& make) override;
  void leave(const GroupId& id) override;
  [[nodiscard]] const Config& config() const override { return config_; }
  [[nodiscard]] asio::any_io_executor executor() const { return executor_; }

  struct GroupCounters {
    GroupId group;
    GroupMetricsSnapshot metrics;
  };
  // From any thread (a metrics scrape): each joined group's figures, ordered by id.
  [[nodiscard]] std::vector<GroupCounters> counters();

 private:
  asio::awaitable<void> serve_connection(transport::Connection connection);
  asio::awaitable<void> serve_bond(transport::RawLink link);
  std::shared_ptr<GroupWorker> find(const GroupId& id);
  // The group's log: in memory, or its durable store with its newest snapshot (an error
  // names the damaged file).
  std::expected<std::unique_ptr<GroupLog>, std::string> open_log(const GroupId& id, bool snapshots);
  // An empty log for a member that starts over (its durable data and snapshots dropped: a new
  // epoch, so a new member id).
  std::expected<std::unique_ptr<GroupLog>, std::string> fresh_log(const GroupId& id);

  // Released by stop(): a Groups copy may outlive the node, and transport objects must go on
  // its executor, before its io_context does.
  std::optional<transport::Endpoint> endpoint_;    // guarded by mutex_ once started
  std::optional<discovery::Discovery> discovery_;  // guarded by mutex_ once started
  const asio::any_io_executor executor_;
  const PeerId self_;
  const NetworkId network_;
  const Config config_;
  const std::shared_ptr<storage::LmdbStorage> storage_;  // null: logs in memory
  const std::shared_ptr<storage::SnapshotFiles> snapshots_;  // with storage_
  std::mutex mutex_;
  struct Registration {
    std::shared_ptr<GroupWorker> worker;
    std::shared_ptr<GroupPort> port;  // the handles' way to the worker
    std::weak_ptr<void> state;        // the handles' typed state
    std::type_index type;
  };
  std::map<GroupId, Registration> groups_;  // guarded by mutex_
  bool stopped_ = false;                                     // guarded by mutex_
  TaskGroup tasks_;
};

}  // namespace mosaik::groups::detail
