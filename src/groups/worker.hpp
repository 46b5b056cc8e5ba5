#pragma once
// GroupWorker: one group on one node. It runs the group's consensus core on the node's
// executor (handles post to it; no mutex around protocol state), keeps one bond with each
// member found in the catalog (the member with the smaller PeerId dials), relays the core's
// messages over them, persists each Ready into its log store, applies committed commands
// and reports both back to the core, and arms one timer at the core's next deadline. In
// SnapshotSync groups it also snapshots, compacts and state-syncs (worker_sync.cpp, 0405);
// in LogReplaySync groups a member far behind fetches the committed log from the members
// (worker_replay.cpp, 0412).
// When a larger incarnation of its GroupId meets its own, it leaves its incarnation and
// rejoins that one as a new member, telling the application what it held (worker_meet.cpp,
// 0407).
//
//   auto w = std::make_shared<GroupWorker>(endpoint, discovery, settings, env);   // log in memory
//   auto d = std::make_shared<GroupWorker>(endpoint, discovery, settings, env, GroupLog::durable(...));
//   w->set_apply(apply);  w->start();            // start on the executor
//   w->submit({command}, true, [](ExecuteOutcome o) { ... });   // on the executor: committed, or why not
//   co_await w->status().wait_until([](auto& s) { return s.leader.has_value(); });

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "environment.hpp"
#include "group_log.hpp"
#include "groups/bond/bond.hpp"
#include "groups/bond/handshake.hpp"
#include "groups/meeting/incarnation_rule.hpp"
#include "groups/raft/core.hpp"
#include "groups/reporting/group_metrics.hpp"
#include "groups/reporting/status_report.hpp"
#include "groups/sync/held_snapshots.hpp"
#include "groups/sync/replay_fetch.hpp"
#include "groups/sync/snapshot_fetch.hpp"
#include "mosaik/discovery/discovery.hpp"
#include "mosaik/groups/consensus_config.hpp"
#include "mosaik/groups/detail/groups_api.hpp"
#include "mosaik/groups/group_key.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "mosaik/primitives/async/watch.hpp"
#include "mosaik/transport/endpoint.hpp"

namespace mosaik::groups::detail {

struct WorkerSettings {
  NetworkId network;
  GroupId group;
  GroupKey key;
  ConsensusConfig consensus;
  LeadershipPreference preference = LeadershipPreference::normal();
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(2);
  std::optional<SyncConfig> snapshots;  // SnapshotSync groups: snapshot, compact and state-sync
};

struct ExecuteResult {
  bool ok = false;
  IndexRange range;                                     // ok: where the commands committed
  raft::FailReason reason = raft::FailReason::Unknown;  // !ok
};

// The member id in the consensus core. With in-memory storage every start of a node (and
// every rejoin after leaving an incarnation) is a new member (decision 0100): its log is
// gone, so it must never vote as the member it was. A durable log keeps its storage epoch:
// the same PeerId and epoch are the same member, with the log it had.
[[nodiscard]] raft::NodeId member_id(const PeerId& self, std::optional<std::uint64_t> epoch);

// A new, empty log (on durable storage: the group's data dropped, a new epoch) for a member
// that leaves its incarnation (decision 0407); an error names what could not be written.
using FreshLog = std::function<std::expected<std::unique_ptr<GroupLog>, std::string>()>;

class GroupWorker final : public GroupCore, public std::enable_shared_from_this<GroupWorker> {
 public:
  // `log`: where the log is kept; nullptr keeps it in memory. `fresh_log`: where a member
  // that leaves its incarnation starts over; nullptr: in memory.
  GroupWorker(transport::Endpoint endpoint, discovery::Discovery discovery, WorkerSettings settings,
              std::unique_ptr<Environment> env, std::unique_ptr<GroupLog> log = nullptr, FreshLog fresh_log = nullptr);
  ~GroupWorker() override;

  [[nodiscard]] const GroupId& id() const override { return settings_.group; }
  [[nodiscard]] bool terminated() const override { return terminated_.load(std::memory_order_acquire); }
  [[nodiscard]] asio::any_io_executor executor() const override { return endpoint_.executor(); }
  [[nodiscard]] WatchReceiver<Status> status() const override { return status_.subscribe(); }
  void set_apply(ApplyCommands apply) override { apply_ = std::move(apply); }
  void set_snapshots(SnapshotHooks hooks) override { snapshot_hooks_ = std::move(hooks); }
  void set_machine_reset(std::function<void()> reset) override { reset_machine_ = std::move(reset); }
  [[nodiscard]] WatchReceiver<LostIncarnations> lost_incarnations() const override { return lost_.subscribe(); }
  void submit(std::vector<wire::Bytes> commands, bool until_commit, std::function<void(ExecuteOutcome)> done) override;
  asio::awaitable<ReadBarrier> read_barrier(bool strong) override;

  [[nodiscard]] const raft::NodeId& member() const { return member_; }
  [[nodiscard]] const GroupKey& key() const { return settings_.key; }
  // Read from any thread (a metrics scrape).
  [[nodiscard]] std::shared_ptr<const GroupMetrics> metrics() const { return metrics_; }
  // From any thread: this membership writes nothing more to its log (a new one takes it over).
  void close_log() { log_->close(); }
  // This member only learns (LeadershipPreference::learner()): peers keep it a learner.
  [[nodiscard]] bool observer() const { return settings_.preference.only_learns(); }

  // ---- on the executor
  void start();
  // Departs every bond (or, without `depart`, only closes them: the member stays in the
  // group and is expected back), stops the tasks and forgets the group's state.
  asio::awaitable<void> stop(bool depart = true);
  // Whether the log outlives the process (a node with a data dir).
  [[nodiscard]] bool durable() const { return log_->epoch().has_value(); }
  // An accepted bond (the service ran the handshake).
  void bonded(Bonded bond, bool we_dialed);

 private:
  struct Pending;
  // One caller's part of a request: its commands are [offset, offset + count) of the batch.
  struct Caller {
    std::size_t offset = 0;
    std::size_t count = 0;
    std::shared_ptr<Pending> pending;
  };
  // A request the core tracks: a batch of proposals, or a strong read (one caller, count 0).
  struct Request {
    bool until_commit = true;
    std::vector<Caller> callers;
  };
  // Proposals gathered until the executor has run what was queued: one Forward, one run of
  // log entries and one answer for all of them, instead of one each (issue 15's throughput).
  struct Batch {
    std::uint64_t request = 0;
    std::vector<raft::Bytes> commands;
    std::size_t bytes = 0;
  };

  asio::awaitable<void> timer_loop();
  asio::awaitable<void> dial_loop();
  asio::awaitable<void> dial(discovery::CatalogEntry peer);
  void on_raft(const PeerId& peer, const raft::NodeId& member, const raft::Bytes& bytes);
  void on_bond_down(const std::shared_ptr<Bond>& bond, const raft::NodeId& member, BondEnd why);
  void pump();
  // A Ready's writes are durable: report them and send the messages that waited for them.
  void written(std::uint64_t write, std::optional<Cursor> last, const std::expected<void, std::string>& result);
  void send_written();
  void storage_failed(const std::string& error);
  void apply_committed(std::vector<raft::Entry> committed);

  // worker_sync.cpp: snapshots, compaction and state sync (SnapshotSync groups)
  [[nodiscard]] bool at_snapshot_point(Index i) const;
  void take_snapshot();
  void persist_snapshot(raft::SnapshotPoint point, SnapshotCapture capture);
  void compact_behind(const raft::SnapshotPoint& point);
  void restore_snapshot();
  void on_sync(const PeerId& peer, const wire::Bytes& bytes);
  bool send_sync(const PeerId& peer, const SyncMessage& m);
  void start_state_sync(const raft::StateSyncRequest& want);
  asio::awaitable<void> state_sync(raft::StateSyncRequest want);
  void install(FetchedSnapshot snapshot);
  void installed(const raft::SnapshotPoint& point, std::vector<SnapshotItem> items);
  // worker_replay.cpp: replay of committed entries from the members (decision 0412)
  void serve_replay(const PeerId& peer, const SyncMessage& m);
  void start_replay(const raft::ReplayRequest& want);
  asio::awaitable<void> replay(raft::ReplayRequest want, std::vector<PeerId> sources);
  [[nodiscard]] SyncConfig replay_config() const;

  void publish_status();
  [[nodiscard]] std::unique_ptr<raft::Core> make_core(bool may_found) const;

  // worker_meet.cpp: two incarnations of the group meet (decision 0407)
  void meet_incarnations(const discovery::Catalog& catalog);
  void rejoin(const IncarnationFacts& own, const IncarnationFacts& winner);
  [[nodiscard]] LostIncarnation what_we_held(std::uint64_t joined) const;
  void abandon_incarnation();
  [[nodiscard]] bool admit_while_rejoining(const raft::Message& m);

  // A tracked strong read: its id, and what settled() waits on.
  std::pair<std::uint64_t, std::shared_ptr<Pending>> open_read();
  void join_batch(std::vector<raft::Bytes> commands, bool until_commit, std::shared_ptr<Pending> pending);
  void submit_batch(bool until_commit);
  void submit_batches_when_settled(std::size_t gathered, int turns);
  static asio::awaitable<ExecuteResult> settled(std::shared_ptr<Pending> pending);
  // Gives a caller its result: calls its callback, or wakes its settled().
  static void settle(Pending& pending, const ExecuteResult& result);
  [[nodiscard]] ExecuteOutcome outcome_of(const ExecuteResult& result) const;
  void finish(std::uint64_t request, ExecuteResult result);
  // Fails every request the core tracks (and, unless `keep_forming`, the batches not yet
  // proposed, which then stay for a later proposal).
  void fail_requests(raft::FailReason reason, bool keep_forming);
  void finish_read(const raft::ReadOutcome& outcome);

  transport::Endpoint endpoint_;
  discovery::Discovery discovery_;
  const WorkerSettings settings_;
  ApplyCommands apply_;
  std::unique_ptr<Environment> env_;
  std::unique_ptr<GroupLog> log_;
  FreshLog fresh_log_;
  raft::NodeId member_;  // in memory: a new member each start; durable: PeerId and storage epoch
  std::unique_ptr<raft::Core> core_;
  // Bumped when the member leaves its incarnation: completions and bonds of the life before
  // (writes, snapshot writes, state syncs, dials) find it changed and do nothing.
  std::uint64_t life_ = 0;
  // Rejoining after leaving an incarnation: the one we join; until our log holds an entry we
  // take no message of any other (our old side's leader would take us back).
  std::uint64_t rejoining_ = 0;
  bool leaving_ = false;  // yielded with a machine that cannot start over: stop() is under way
  std::function<void()> reset_machine_;
  Watch<LostIncarnations> lost_{std::make_shared<const std::vector<LostIncarnation>>()};
  Watch<Status> status_;
  const std::shared_ptr<GroupMetrics> metrics_ = std::make_shared<GroupMetrics>();
  StatusReporter reporter_;  // the status in our peer entry (decision 0702)
  // Messages wait here, in Ready order, until the writes of their Ready (and all before) are
  // durable: a vote or an append response promises what is on disk (decision 0403).
  struct Outgoing {
    std::uint64_t after_write = 0;
    std::vector<raft::Message> messages;
  };
  std::deque<Outgoing> outbox_;
  std::uint64_t writes_queued_ = 0;
  std::uint64_t writes_done_ = 0;
  bool pumping_ = false;
  bool log_failed_ = false;  // a write failed: the member stops, nothing more is sent

  struct Link {
    std::shared_ptr<Bond> bond;
    raft::NodeId member;
  };
  std::map<PeerId, Link> bonds_;
  std::map<raft::NodeId, PeerId> peers_by_member_;
  std::set<PeerId> dialing_;
  std::map<std::uint64_t, Request> pending_;  // proposal batches and strong reads
  std::optional<Batch> forming_[2];           // by until_commit: the batch callers join now
  bool submit_posted_ = false;
  Notifier applied_changed_;
  // Drawn at random: a durable member restarted under the same member id must not reuse the
  // ids of its earlier life, or the leader, which remembers each (member, request) it
  // answered, would give a new proposal an old one's answer.
  std::uint64_t next_request_ = 1;
  std::optional<asio::steady_timer> tick_timer_;
  raft::Time armed_for_{};
  Cursor applied_;  // the last committed entry handed to the state machine
  SnapshotHooks snapshot_hooks_;
  std::optional<HeldSnapshots> held_;      // SnapshotSync groups: what we serve
  std::shared_ptr<SnapshotFetch> fetch_;   // the state sync under way, if any
  std::shared_ptr<ReplayFetch> replay_fetch_;  // the replay from the members under way, if any
  bool syncing_ = false;
  bool installing_ = false;       // a fetched snapshot is being written before its install
  bool snapshot_writing_ = false;  // a taken snapshot is being written
  std::optional<std::pair<raft::SnapshotPoint, SnapshotCapture>> snapshot_waiting_;  // taken meanwhile
  std::uint64_t next_sync_request_ = 1;
  bool stopped_ = false;
  std::atomic<bool> terminated_{false};  // stopped_, for other threads
  TaskGroup tasks_;
};

}  // namespace mosaik::groups::detail
