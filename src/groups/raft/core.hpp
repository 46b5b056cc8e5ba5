#pragma once
// The consensus core of one group member: sans-IO Raft with PreVote, CheckQuorum,
// ReadIndex, forwarding, self-managed membership and a compaction hook. It reads no clock,
// owns no socket or thread and draws randomness only from the injected generator.
//
//   MemoryLogStore store;  Core core(options, store, now);
//   core.step(message); core.tick(now); core.propose(request_id, {payload});
//   Ready r = core.take_ready();   // persist r.snapshot, r.hard_state, r.entries; then send
//                                  // r.messages; then apply r.committed in order
//   core.persisted(last_entry_written);  core.applied(last_index_applied);   // may come later
//
// The shell (network groups, or the simulator) owns time, persistence and transport; the
// core owns every decision. It reads the log through the LogStore and never assumes a write
// or an application finished before the shell reports it (etcd's Ready/Advance): its own
// copy of an entry counts toward a commit only once persisted() says so. Inputs are never trusted: a message that fails validate() or
// names another incarnation is counted in ignored_messages() and otherwise ignored.

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <mosaik/groups/consensus_config.hpp>
#include <mosaik/groups/leadership_preference.hpp>

#include "config_history.hpp"
#include "log.hpp"
#include "log_store.hpp"
#include "messages.hpp"
#include "planted_bug.hpp"
#include "progress.hpp"
#include "types.hpp"

namespace mosaik::groups::raft {

struct CoreOptions {
  NodeId id;
  ConsensusConfig config;
  LeadershipPreference preference = LeadershipPreference::normal();
  std::function<std::uint64_t()> random;      // required: every random choice comes from here
  std::size_t max_entries_per_append = 1024;  // batching: entries in one Append
  std::size_t max_append_bytes = 1 << 20;     // batching: encoded entries in one Append (the first always goes)
  std::size_t max_inflight_appends = 64;      // pipelining: unacknowledged Appends per member
  std::size_t max_pending_proposals = 1 << 16;
  std::size_t max_pending_reads = 1 << 12;
  // False for a node that joins an existing group: one started to join it, or restarted after
  // losing its log (the shell knows from its storage epoch). It never campaigns for, nor votes
  // in, a genesis, so it cannot help found a second incarnation (docs/decisions/0400).
  bool may_found = true;
  // Catch-up from the members (docs/decisions/0412): a follower whose next entry is more than
  // this many committed entries behind is told to fetch them from the members (Replay)
  // instead of being sent them; 0: the leader always sends them.
  std::size_t replay_after = 0;
  // A follower told to replay that reports no progress for this long is sent entries again.
  Time replay_timeout = std::chrono::seconds(5);
  PlantedBug planted_bug = PlantedBug::None;  // ignored unless built with MOSAIK_RAFT_PLANTED_BUGS
};

// Why a proposal or read did not succeed, and what the caller may conclude.
enum class FailReason : std::uint8_t {
  NoLeader,  // no leader known, or it refused and can prove it never appended: certainly not appended
  Busy,      // a bound was reached: certainly not appended
  Timeout,   // forward_timeout / query_timeout passed: outcome unknown
  Dropped,   // its entries were overwritten: certainly never committed
  TooLarge,  // the commands exceed kMaxProposalBytes (one message must carry them): not appended
  Unknown,   // skipped by a state sync, or refused by a node that may have appended it
             // earlier (a duplicate, or a Forward of a term it may have led): outcome unknown
};

struct ProposalOutcome {
  enum class Kind : std::uint8_t { Accepted, Committed, Failed };
  std::uint64_t request = 0;
  Kind kind = Kind::Failed;
  IndexRange range;  // Accepted, Committed
  Term term;         // Accepted, Committed: the term its entries were appended in
  FailReason reason = FailReason::Unknown;
};

struct ReadOutcome {
  std::uint64_t request = 0;
  bool ok = false;
  Index index;  // ok: serve the read once the state machine has applied this index
  FailReason reason = FailReason::Unknown;
};

struct RoleChange {
  Role role;
  Term term;
  std::optional<NodeId> leader;
};

// The leader's log starts after `point`: fetch state at or after it, then call state_synced.
struct StateSyncRequest {
  NodeId leader;
  SnapshotPoint point;
};

// The leader says we are far behind its commit: fetch the committed entries [from, target]
// from the members, hand them to accept_committed() in order, then call replay_done().
struct ReplayRequest {
  NodeId leader;
  Index from;
  Index target;
};

// Committed entries as one member serves them to another: `prev` is the entry before them.
struct CommittedRun {
  std::uint64_t incarnation = 0;
  Cursor prev;
  std::vector<Entry> entries;
};

struct Ready {
  // Persist first: the log now starts after this point. Entries after it stay if the stored
  // entry at the point has the point's term; otherwise the stored log is dropped entirely.
  std::optional<SnapshotPoint> snapshot;
  std::optional<HardState> hard_state;    // persist
  std::vector<Entry> entries;             // persist: replaces the log from entries.front().index,
                                          // then report persisted(last entry's cursor)
  std::vector<Message> messages;          // send after persisting
  std::vector<Entry> committed;           // apply in order, then report applied(last index)
  std::vector<ProposalOutcome> proposals;
  std::vector<ReadOutcome> reads;
  std::optional<RoleChange> role_change;
  std::optional<StateSyncRequest> state_sync;
  std::optional<ReplayRequest> replay;

  [[nodiscard]] bool empty() const {
    return !snapshot && !hard_state && entries.empty() && messages.empty() && committed.empty() &&
           proposals.empty() && reads.empty() && !role_change && !state_sync && !replay;
  }
};

struct CompactError {
  std::string message;
};

class Core {
 public:
  // Reads the hard state, base and entries from `store`, which must outlive the core.
  Core(CoreOptions options, const LogStore& store, Time now);

  // ---- inputs
  void tick(Time now);
  void step(Message m);
  void step_bytes(std::span<const std::uint8_t> bytes);
  // Appends (leader) or forwards (follower) `commands` as one batch tracked by `request`.
  void propose(std::uint64_t request, std::vector<Bytes> commands);
  // A linearizable read: reports the index to read at once a quorum confirmed leadership.
  void read(std::uint64_t request);
  // Bond events from the shell: who is reachable now, who left for good.
  // `observer`: the peer only learns (a collection's reader); it stays a learner.
  void bond_up(const NodeId& peer, bool observer = false);
  void bond_down(const NodeId& peer);
  void peer_departed(const NodeId& peer);
  // The state machine holds a snapshot at `up_to` (<= applied): drop the log up to it.
  [[nodiscard]] std::expected<SnapshotPoint, CompactError> compact(Index up_to);
  // The shell installed state at `point` (after a StateSyncRequest).
  void state_synced(const SnapshotPoint& point);
  // ---- replay from the members (docs/decisions/0412)
  // Serving a member of `incarnation`: our committed entries from `from` (at most max_count,
  // within max_bytes but at least one), or nullopt when `from` is not committed here, was
  // compacted away or the asker is of another incarnation. Never an entry beyond our commit
  // index: only committed entries are the same on every member.
  [[nodiscard]] std::optional<CommittedRun> committed_run(std::uint64_t incarnation, Index from, std::size_t max_count,
                                                          std::size_t max_bytes) const;
  // Fetching: a run another member served as committed. Taken only by a follower of the
  // run's incarnation, when the run links to our log at run.prev and conflicts with no
  // entry we committed; entries of ours after our commit that differ are replaced (they can
  // never commit). Then the run is committed here. Returns our commit index, or why not.
  std::expected<Index, std::string> accept_committed(const CommittedRun& run);
  // The fetch a ReplayRequest started ended; unless `fetched`, the leader sends the rest.
  void replay_done(bool fetched);

  // The shell's acknowledgements: the store holds the log up to `up_to` (a cursor of an
  // entry handed out in a Ready; a stale one, since overwritten, is ignored); the state
  // machine applied committed entries up to `up_to`.
  void persisted(Cursor up_to);
  void applied(Index up_to);

  // ---- outputs
  [[nodiscard]] bool has_ready() const;
  [[nodiscard]] Ready take_ready();

  // ---- status
  [[nodiscard]] const NodeId& id() const { return options_.id; }
  [[nodiscard]] Role role() const { return role_; }
  [[nodiscard]] Term term() const { return hard_.term; }
  // The hard state in memory; once a Ready is taken, the shell's disk must equal it after
  // persisting that Ready (the simulator checks it).
  [[nodiscard]] const HardState& hard_state() const { return hard_; }
  [[nodiscard]] std::optional<NodeId> leader() const { return leader_; }
  [[nodiscard]] Index commit_index() const { return commit_; }
  [[nodiscard]] Index applied_index() const { return applied_; }
  // When tick() must next be called at the latest (an election, heartbeat, CheckQuorum or
  // request deadline): a shell arms one timer instead of polling. The core reads no clock,
  // so such a shell gives it the time with tick(now) before each other input too.
  [[nodiscard]] Time next_deadline() const;
  [[nodiscard]] std::uint64_t incarnation() const { return hard_.incarnation; }
  [[nodiscard]] const Membership& membership() const { return configs_.current(); }
  [[nodiscard]] const RaftLog& log() const { return log_; }
  // The applied position and the membership in force there: what a snapshot taken now covers.
  [[nodiscard]] SnapshotPoint applied_point() const;
  [[nodiscard]] std::uint64_t ignored_messages() const { return ignored_messages_; }
  // The incarnation a genesis with these founders creates: the same set gives the same
  // group on every node, so rival genesis candidates are just candidates of different terms.
  [[nodiscard]] static std::uint64_t incarnation_of(const std::vector<NodeId>& founders);

 private:
  struct PendingCommit {
    std::uint64_t request;
    IndexRange range;
    Term term;
    // Set while nobody may commit it for us (we stopped leading; a forward the leader
    // accepted): then, unresolved, it fails with Timeout (outcome unknown) at this time.
    Time deadline = Time::max();
  };
  struct ForwardAck {
    IndexRange range;      // appended: its range
    Term term;             // appended: its entries' term; refused: our term then
    bool refused = false;
    bool certain = false;  // refused: we can prove we never appended it
  };
  struct PendingForward {
    std::size_t count;
    Time deadline;
    NodeId to;  // the leader it was sent to
  };
  struct PendingRead {
    std::uint64_t request;
    std::optional<NodeId> origin;  // nullopt: this node's own read
    Index index;
    std::uint64_t round;
    Time deadline;
  };
  struct Bond {
    bool up = false;
    bool observer = false;  // it said it only learns: never a founder, never promoted to voter
    bool departed = false;
    bool unresponsive = false;  // removed for silence; re-added only after the bond flaps
    Time down_since{};
  };

  // Inline invariants, on in every build: breaking one is a bug in the core or the shell.
  static void invariant(bool holds, const char* what) {
    if (!holds) throw std::logic_error(std::string("raft::Core invariant: ") + what);
  }
  // A deliberate bug for the simulator's self-test; always false outside a planted build.
  [[nodiscard]] bool planted(PlantedBug bug) const { return kPlantedBugsBuild && options_.planted_bug == bug; }

  // core.cpp
  void ignore(const Message& m, const char* why);
  void send(Message m);
  void hard_state_changed() { hard_dirty_ = true; }
  void notify_role();
  [[nodiscard]] Message make(MessageType type, const NodeId& to) const;
  [[nodiscard]] bool accept_incarnation(const Message& m);
  [[nodiscard]] static bool proves_group_exists(const Message& m);
  [[nodiscard]] bool handle_term(const Message& m);
  void dispatch(const Message& m);
  void append_local(Entry e);
  void truncate_local(Index from);

  // election.cpp
  [[nodiscard]] Time randomized_election_timeout() const;
  void reset_election_deadline();
  [[nodiscard]] bool promotable() const;
  [[nodiscard]] bool in_lease() const;
  void become_follower(Term term, std::optional<NodeId> leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void on_election_timeout();
  void campaign_genesis();
  void handle_vote_request(const Message& m);
  void handle_vote_response(const Message& m);
  void tally(const NodeId& from, bool granted);
  [[nodiscard]] bool unbound() const { return log_.last_index().is_zero(); }
  void switch_incarnation(std::uint64_t incarnation);
  [[nodiscard]] const std::vector<NodeId>& electorate() const;

  // replication.cpp
  void tick_leader();
  void send_append(const NodeId& to, Progress& pr);
  void broadcast_append();
  void broadcast_heartbeat(std::uint64_t round);
  void follow_sender(const Message& m);
  void handle_append(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_append_response(const Message& m);
  void handle_heartbeat_response(const Message& m);
  void handle_state_sync(const Message& m);
  // Sends what the pipeline has room for; whether anything went.
  bool fill_pipeline(const NodeId& to, Progress& pr);
  void maybe_commit();
  void flush_leader_broadcasts();
  void flush_commit_broadcast();
  void commit_to(Index index);
  [[nodiscard]] Index planted_match_counting_learners() const;
  [[nodiscard]] bool committed_in_current_term() const;

  // replay.cpp
  [[nodiscard]] bool replay_wanted(const Progress& pr) const;
  void send_replay(const NodeId& to, Progress& pr);
  void handle_replay(const Message& m);
  void handle_replay_response(const Message& m);
  void report_replay(bool failed);

  // proposals.cpp
  void append_commands(std::uint64_t request, std::vector<Payload> commands,
                       std::optional<NodeId> origin);
  void handle_forward(const Message& m);
  void handle_forward_response(const Message& m);
  void resolve_pending_commits();
  void fail_proposal(std::uint64_t request, FailReason reason);
  void expire_forwards();
  void abandon_forwards_to_former_leaders();
  // Starts the forward_timeout clock of every pending commit of ours (we stopped leading).
  void start_pending_commit_deadlines();
  void expire_pending_commits();
  [[nodiscard]] bool never_appended_in_this_term(const Message& forward) const;
  void remember_forward(const std::pair<NodeId, std::uint64_t>& key, ForwardAck ack);

  // read_index.cpp
  void start_read(std::uint64_t request, std::optional<NodeId> origin, Time deadline);
  void handle_read_index(const Message& m);
  void handle_read_index_response(const Message& m);
  void release_confirmed_reads();
  void start_reads_waiting_for_term();
  void finish_read(const PendingRead& r, bool ok, FailReason reason);
  void expire_reads();
  void fail_all_leader_reads();

  // membership.cpp
  void maybe_change_membership();
  void append_membership(Membership next);
  void on_membership_entry(const Entry& e);

  CoreOptions options_;
  HardState hard_;
  RaftLog log_;
  ConfigHistory configs_;
  Time now_;

  Role role_ = Role::Follower;
  std::optional<NodeId> leader_;
  Index commit_;
  Index applying_;       // last committed entry handed out in a Ready
  Index applied_;        // last entry the shell reported applied (<= applying_)
  Index unstable_from_;  // first entry not yet handed out for persistence
  bool hard_dirty_ = false;
  std::optional<std::optional<NodeId>> planted_unpersisted_vote_;  // VoteBeforePersist: the vote on disk
  std::optional<HardState> planted_unpersisted_hard_;              // CampaignBeforePersist: the state on disk
  bool role_dirty_ = true;
  std::uint64_t ignored_messages_ = 0;

  // timers
  Time election_deadline_{};
  Time heartbeat_deadline_{};
  Time check_quorum_deadline_{};
  Time last_leader_contact_{};
  bool heard_from_leader_ = false;

  // elections: who answered this (pre-)campaign, and how
  std::map<NodeId, bool> votes_;
  std::vector<NodeId> genesis_voters_;  // the founding set this node campaigns with

  // leader
  ProgressTracker progress_;
  std::uint64_t read_round_ = 0;
  bool commit_broadcast_pending_ = false;  // coalesced per Ready: followers learn the commit
  bool read_broadcast_pending_ = false;    // coalesced per Ready: one heartbeat round for reads
  bool append_broadcast_pending_ = false;  // coalesced per Ready: one Append per follower for
                                           // every proposal appended since the last Ready
  Time leader_since_{};
  std::deque<PendingRead> leader_reads_;           // in round order
  std::deque<PendingRead> reads_waiting_for_term_;  // until the leader commits in its term

  // proposals and reads this node was asked for
  std::multimap<Index, PendingCommit> pending_commits_;  // by last index of the range
  Time earliest_commit_deadline_ = Time::max();          // of pending_commits_, or earlier
  std::map<std::uint64_t, PendingForward> pending_forwards_;
  // Forwards this node answered (appended or refused), so a duplicate gets the same answer
  // and is never appended later. Only a Forward of the leader's own term is appended: a
  // copy of an older term may have been appended by an earlier life of this node, whose
  // memory is gone, so it is refused as "outcome unknown" (issue 19 bug 2).
  static constexpr std::size_t kForwardDedupEntries = 1 << 16;  // >> forwards per forward_timeout
  std::map<std::pair<NodeId, std::uint64_t>, ForwardAck> forwarded_;
  std::deque<std::pair<NodeId, std::uint64_t>> forwarded_order_;
  // forwarded_ knows every Forward this node appended in terms after this one: it is our
  // term when this life (or incarnation) began, raised when an entry is evicted.
  Term forward_memory_after_;
  std::map<std::uint64_t, Time> pending_remote_reads_;

  std::map<NodeId, Bond> bonds_;
  bool state_sync_requested_ = false;
  bool replay_requested_ = false;  // a ReplayRequest went out and replay_done() is not called yet
  // Unbound, we heard a leader of our incarnation that committed an entry: the group exists,
  // so we wait for its leader and never found (or join) another. In memory only: a restart
  // forgets it (docs/decisions/0400, 0402).
  bool group_exists_ = false;

  Ready ready_;
};

}  // namespace mosaik::groups::raft
