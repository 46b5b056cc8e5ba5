#include "worker.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "mosaik/groups/close_reasons.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "groups_log.hpp"

namespace mosaik::groups::detail {
namespace {

BondSettings bond_settings(const ConsensusConfig& c) {
  BondSettings s;
  s.heartbeat_interval = c.heartbeat_interval;
  s.heartbeat_jitter = c.heartbeat_jitter;
  s.max_missed = c.max_missed_heartbeats;
  return s;
}

const char* role_name(raft::Role r) {
  switch (r) {
    case raft::Role::Follower: return "follower";
    case raft::Role::PreCandidate: return "pre-candidate";
    case raft::Role::Candidate: return "candidate";
    case raft::Role::Leader: return "leader";
  }
  return "?";
}

}  // namespace

raft::NodeId member_id(const PeerId& self, std::optional<std::uint64_t> epoch) {
  const auto base = Digest::from_bytes(self.as_bytes()).derive("mosaik.groups.member");
  if (!epoch) return base.derive(Digest::random());
  const std::string epoch_name = fmt::format("epoch {:016x}", *epoch);
  return base.derive(std::string_view(epoch_name));
}

// A caller waiting for a request: a submitted proposal's callback, or a strong read's
// coroutine in settled() (ok and the read index in range.last).
struct GroupWorker::Pending {
  std::optional<ExecuteResult> result;
  std::function<void(const ExecuteResult&)> done;  // proposals
  std::optional<asio::steady_timer> wake;          // strong reads
};

GroupWorker::GroupWorker(transport::Endpoint endpoint, discovery::Discovery discovery, WorkerSettings settings,
                         std::unique_ptr<Environment> env, std::unique_ptr<GroupLog> log, FreshLog fresh_log)
    : endpoint_(endpoint),
      discovery_(std::move(discovery)),
      settings_(std::move(settings)),
      env_(std::move(env)),
      log_(log ? std::move(log) : GroupLog::in_memory()),
      fresh_log_(std::move(fresh_log)),
      member_(member_id(endpoint.id(), log_->epoch())),
      reporter_(discovery_, settings_.group),
      tasks_(endpoint.executor()) {
  core_ = make_core(/*may_found=*/true);
  next_request_ = (env_->random() >> 2) + 1;  // far from wrapping, never 0
  if (settings_.snapshots) held_.emplace(settings_.snapshots->snapshot_ttl);
  publish_status();  // a durable log's position shows from the join on
}

GroupWorker::~GroupWorker() = default;

std::unique_ptr<raft::Core> GroupWorker::make_core(bool may_found) const {
  raft::CoreOptions o;
  o.id = member_;
  o.config = settings_.consensus;
  o.preference = settings_.preference;
  o.random = [env = env_.get()] { return env->random(); };
  o.may_found = may_found;
  if (!settings_.snapshots) {  // a compacted log is caught up by snapshot instead (0405)
    o.replay_after = replay_config().fetch_batch_size;
    o.replay_timeout = replay_config().fetch_timeout;
  }
  return std::make_unique<raft::Core>(std::move(o), log_->store(), env_->now());
}

void GroupWorker::start() {
  tick_timer_.emplace(endpoint_.executor());
  tasks_.spawn(timer_loop());
  tasks_.spawn(dial_loop());
  discovery_.add_group(id());
  logger()->info("group {}: joined as member {}{}", id(), member_,
                 log_->epoch() ? fmt::format(" (durable log, last index {})", log_->store().last_index()) : "");
  restore_snapshot();
  pump();
}

asio::awaitable<void> GroupWorker::stop(bool depart) {
  if (stopped_) co_return;
  stopped_ = true;
  terminated_.store(true, std::memory_order_release);
  log_->close();
  discovery_.remove_group(id());
  for (auto& [peer, link] : bonds_) {
    if (depart) {
      link.bond->depart();
    } else {
      link.bond->close(transport::close_reason::GracefulShutdown);
    }
  }
  fail_requests(raft::FailReason::NoLeader, /*keep_forming=*/false);
  forming_[0].reset();
  forming_[1].reset();
  applied_changed_.notify();  // strong reads waiting for an application end
  if (tick_timer_) tick_timer_->cancel();
  co_await tasks_.close();
  status_.modify([](Status& s) {
    s.terminated = true;
    return true;
  });
}

asio::awaitable<void> GroupWorker::timer_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    armed_for_ = core_->next_deadline();
    tick_timer_->expires_at(std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(armed_for_)));
    std::error_code ec;
    co_await tick_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    core_->tick(env_->now());
    pump();
  }
}

asio::awaitable<void> GroupWorker::dial_loop() {
  auto self = shared_from_this();
  auto catalog = discovery_.catalog_watch();
  while (!stopped_) {
    const auto snapshot = catalog.borrow_and_update();
    meet_incarnations(snapshot);
    for (const auto& [peer, entry] : snapshot) {
      // One bond per pair: the member with the smaller PeerId dials.
      if (!(endpoint_.id() < peer) || !entry.groups().contains(id())) continue;
      if (bonds_.contains(peer) || dialing_.contains(peer)) continue;
      dialing_.insert(peer);
      tasks_.spawn(dial(entry));
    }
    // A failed dial is retried at the next look, even if the catalog did not change.
    (void)co_await with_timeout(catalog.changed(), std::chrono::seconds(1));
  }
}

asio::awaitable<void> GroupWorker::dial(discovery::CatalogEntry peer) {
  auto self = shared_from_this();
  const PeerId id = peer.peer_id();
  const auto life = life_;
  auto connection = co_await endpoint_.connect(peer.addr(), std::string(kAlpn));
  if (!connection) {
    logger()->debug("group {}: cannot reach member {}: {}", this->id(), id, connection.error().message);
  } else {
    BondTerms terms{settings_.network, this->id(), settings_.key, endpoint_.id(), member_, observer()};
    auto bond = co_await initiate_bond(*connection, std::move(terms), settings_.handshake_timeout);
    if (bond && life != life_) {  // it names the member we were before we left our incarnation
      bond->link.close(transport::close_reason::GracefulShutdown);
    } else if (bond) {
      bonded(std::move(*bond), true);
    } else if (bond.error().reason == close_reason::AlreadyBonded) {
      logger()->debug("group {}: member {} already holds a bond with us", this->id(), id);  // retried each second
    } else {
      logger()->warn("group {}: member {} refused a bond: {} ({})", this->id(), id, bond.error().reason,
                     bond.error().detail);
    }
  }
  dialing_.erase(id);
}

void GroupWorker::bonded(Bonded b, bool we_dialed) {
  const PeerId peer = b.link.connection().peer_id();
  if (stopped_) {
    b.link.close(transport::close_reason::GracefulShutdown);
    return;
  }
  if (auto it = bonds_.find(peer); it != bonds_.end() && it->second.bond->up()) {
    // The peer that dials (the smaller id) dialing again knows its old bond is gone: the new
    // one replaces it. Anything else is a second bond to the same peer.
    if (we_dialed || !(peer < endpoint_.id())) {
      b.link.close(close_reason::AlreadyBonded);
      return;
    }
    const Link old = it->second;
    bonds_.erase(it);  // before the close: the old bond's on_down then finds nothing of its own
    if (old.member != b.peer_member) {  // the peer restarted: its old life is gone
      peers_by_member_.erase(old.member);
      core_->tick(env_->now());
      core_->bond_down(old.member);
    }
    old.bond->close(close_reason::AlreadyBonded);
  }
  const auto member = b.peer_member;
  const bool peer_observer = b.peer_observer;
  std::weak_ptr<GroupWorker> weak = weak_from_this();
  BondEvents events{[weak, peer, member](wire::Bytes bytes) {
                      if (auto self = weak.lock()) self->on_raft(peer, member, bytes);
                    },
                    // Posted: a bond can end inside Bond::start below (a Departure already
                    // queued on its link is read at once), before bonds_ holds it; handled
                    // there and then it found nothing and left an ended bond registered, which
                    // kept the peer's next process from ever bonding.
                    [weak, peer, member, ex = endpoint_.executor()](BondEnd why, const transport::CloseReason&) {
                      asio::post(ex, [weak, peer, member, why] {
                        auto self = weak.lock();
                        if (!self) return;
                        auto it = self->bonds_.find(peer);
                        if (it == self->bonds_.end() || it->second.member != member) return;  // replaced
                        self->on_bond_down(it->second.bond, member, why);
                      });
                    },
                    [weak, peer](wire::Bytes bytes) {
                      if (auto self = weak.lock()) self->on_sync(peer, bytes);
                    }};
  // The bond may outlive this worker (it finishes a departure on its own): its jitter comes
  // from a generator of its own, seeded from ours.
  auto jitter_state = std::make_shared<std::uint64_t>(env_->random());
  auto jitter_random = [jitter_state] {  // splitmix64
    std::uint64_t z = (*jitter_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  auto bond = Bond::start(std::move(b.link), peer, bond_settings(settings_.consensus), std::move(events),
                          std::move(jitter_random));
  bonds_[peer] = Link{bond, member};
  peers_by_member_[member] = peer;
  logger()->info("group {}: bonded with {}", id(), peer);
  if (replay_fetch_) replay_fetch_->add_source(peer);  // one more member to fetch from
  core_->tick(env_->now());
  core_->bond_up(member, peer_observer);
  pump();
}

void GroupWorker::on_raft(const PeerId& peer, const raft::NodeId& member, const raft::Bytes& bytes) {
  if (stopped_) return;
  auto m = raft::decode_message(bytes);
  if (!m) {
    logger()->debug("group {}: undecodable consensus message from {}: {}", id(), peer, m.error().reason);
    return;
  }
  if (m->from != member) {
    logger()->debug("group {}: {} sent a message in another member's name", id(), peer);
    return;
  }
  if (!admit_while_rejoining(*m)) return;
  core_->tick(env_->now());
  core_->step(std::move(*m));
  pump();
}

void GroupWorker::on_bond_down(const std::shared_ptr<Bond>& bond, const raft::NodeId& member, BondEnd why) {
  if (stopped_ || bond->up()) return;  // a replacement took this bond's place
  const PeerId peer = bond->peer();
  bonds_.erase(peer);
  peers_by_member_.erase(member);
  logger()->info("group {}: bond with {} down ({})", id(), peer, why == BondEnd::Departed ? "departed" : "lost");
  core_->tick(env_->now());
  if (why == BondEnd::Departed) {
    core_->peer_departed(member);
  } else {
    core_->bond_down(member);
  }
  pump();
}

// Calls made while the executor is busy share one proposal (see Batch).
void GroupWorker::submit(std::vector<wire::Bytes> commands, bool until_commit,
                         std::function<void(ExecuteOutcome)> done) {
  if (stopped_) return done(outcome_of(ExecuteResult{false, {}, raft::FailReason::NoLeader}));
  if (commands.empty()) return done(outcome_of(ExecuteResult{false, {}, raft::FailReason::Busy}));  // as the core answers it
  auto pending = std::make_shared<Pending>();
  pending->done = [this, until_commit, proposed = env_->now(), done = std::move(done)](const ExecuteResult& r) {
    if (until_commit && r.ok) metrics_->committed_after(env_->now() - proposed);
    done(outcome_of(r));
  };
  join_batch(std::move(commands), until_commit, std::move(pending));
}

ExecuteOutcome GroupWorker::outcome_of(const ExecuteResult& result) const {
  using Kind = ExecuteOutcome::Kind;
  if (result.ok) return ExecuteOutcome{Kind::Committed, result.range};
  if (stopped_) return ExecuteOutcome{Kind::Terminated, {}};
  switch (result.reason) {
    case raft::FailReason::TooLarge: return ExecuteOutcome{Kind::TooLarge, {}};
    case raft::FailReason::Timeout:
    case raft::FailReason::Unknown: return ExecuteOutcome{Kind::Unknown, {}};
    case raft::FailReason::NoLeader:
    case raft::FailReason::Busy:
    case raft::FailReason::Dropped: break;
  }
  return ExecuteOutcome{Kind::Offline, {}};
}

std::pair<std::uint64_t, std::shared_ptr<GroupWorker::Pending>> GroupWorker::open_read() {
  const auto request = next_request_++;
  auto pending = std::make_shared<Pending>();
  pending->wake.emplace(endpoint_.executor(), asio::steady_timer::time_point::max());
  pending_[request] = Request{true, {Caller{0, 0, pending}}};
  core_->tick(env_->now());
  return {request, pending};
}

asio::awaitable<ExecuteResult> GroupWorker::settled(std::shared_ptr<Pending> pending) {
  while (!pending->result) {  // finish() or stop() sets it and cancels the wait
    std::error_code ec;
    co_await pending->wake->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return *pending->result;
}

void GroupWorker::settle(Pending& pending, const ExecuteResult& result) {
  pending.result = result;
  if (auto done = std::exchange(pending.done, nullptr)) {
    done(result);
  } else if (pending.wake) {
    pending.wake->cancel();
  }
}

asio::awaitable<ReadBarrier> GroupWorker::read_barrier(bool strong) {
  auto self = shared_from_this();
  if (stopped_) co_return ReadBarrier{ReadBarrier::Kind::Terminated, {}};
  if (!strong) co_return ReadBarrier{ReadBarrier::Kind::Ready, applied_.index};
  auto [request, pending] = open_read();
  const auto life = life_;
  core_->read(request);
  pump();
  const auto confirmed = co_await settled(pending);
  if (!confirmed.ok) {
    co_return ReadBarrier{stopped_ ? ReadBarrier::Kind::Terminated : ReadBarrier::Kind::Offline, {}};
  }
  const Index at = confirmed.range.last;
  while (applied_.index < at && !stopped_ && life == life_) {  // the confirmed index may not be applied here yet
    const auto seen = applied_changed_.version();
    if (applied_.index >= at) break;
    co_await applied_changed_.wait_change(seen);
  }
  if (stopped_) co_return ReadBarrier{ReadBarrier::Kind::Terminated, {}};
  if (life != life_) co_return ReadBarrier{ReadBarrier::Kind::Offline, {}};  // an index of the incarnation we left
  co_return ReadBarrier{ReadBarrier::Kind::Ready, applied_.index};
}

void GroupWorker::finish_read(const raft::ReadOutcome& outcome) {
  finish(outcome.request, ExecuteResult{outcome.ok, IndexRange{outcome.index, outcome.index}, outcome.reason});
}

void GroupWorker::join_batch(std::vector<raft::Bytes> commands, bool until_commit, std::shared_ptr<Pending> pending) {
  std::size_t bytes = 0;
  for (const auto& c : commands) bytes += c.size() + raft::kEntryOverheadBytes;
  auto& batch = forming_[until_commit];
  // A caller never shares the fate of a batch it would push over a limit of the core: the
  // batch leaves first. One that is over a limit on its own goes alone and fails alone.
  if (batch && (batch->commands.size() + commands.size() > raft::kMaxEntriesPerMessage ||
                batch->bytes + bytes > raft::kMaxProposalBytes))
    submit_batch(until_commit);
  if (!batch) {
    batch.emplace();
    batch->request = next_request_++;
    pending_[batch->request] = Request{until_commit, {}};
  }
  pending_[batch->request].callers.push_back(Caller{batch->commands.size(), commands.size(), std::move(pending)});
  for (auto& c : commands) batch->commands.push_back(std::move(c));
  batch->bytes += bytes;
  if (batch->commands.size() > raft::kMaxEntriesPerMessage || batch->bytes > raft::kMaxProposalBytes) {
    submit_batch(until_commit);
    pump();
  } else if (!submit_posted_) {
    submit_posted_ = true;
    submit_batches_when_settled(0, 0);
  }
}

// Posted: it runs after what the executor had queued, which is where concurrent callers'
// proposals wait. While they keep arriving (up to a few turns) the batch waits for them.
void GroupWorker::submit_batches_when_settled(std::size_t gathered, int turns) {
  asio::post(endpoint_.executor(), [weak = weak_from_this(), gathered, turns] {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    std::size_t now = 0;
    for (const auto& b : self->forming_) now += b ? b->commands.size() : 0;
    if (now > gathered && turns < 3) return self->submit_batches_when_settled(now, turns + 1);
    self->submit_posted_ = false;
    self->submit_batch(false);
    self->submit_batch(true);
    self->pump();
  });
}

void GroupWorker::submit_batch(bool until_commit) {
  auto& forming = forming_[until_commit];
  if (!forming) return;
  Batch batch = std::move(*forming);
  forming.reset();
  core_->tick(env_->now());
  core_->propose(batch.request, std::move(batch.commands));
}

void GroupWorker::fail_requests(raft::FailReason reason, bool keep_forming) {
  std::map<std::uint64_t, Request> kept;
  if (keep_forming)
    for (const auto& batch : forming_)
      if (batch) kept.insert(pending_.extract(batch->request));
  for (auto& [request, r] : pending_) {
    for (auto& c : r.callers) settle(*c.pending, ExecuteResult{false, {}, reason});
  }
  pending_ = std::move(kept);
}

void GroupWorker::finish(std::uint64_t request, ExecuteResult result) {
  auto it = pending_.find(request);
  if (it == pending_.end()) return;
  const Request r = std::move(it->second);
  pending_.erase(it);
  for (const auto& c : r.callers) {
    ExecuteResult own = result;
    if (result.ok && c.count > 0)
      own.range = IndexRange{Index(result.range.first.value + c.offset),
                             Index(result.range.first.value + c.offset + c.count - 1)};
    settle(*c.pending, own);
  }
}

void GroupWorker::pump() {
  const bool outer = pumping_;
  pumping_ = true;
  for (int round = 0; round < 64 && core_->has_ready(); ++round) {
    raft::Ready r = core_->take_ready();
    if (r.snapshot || r.hard_state || !r.entries.empty()) {
      const auto write = ++writes_queued_;
      std::optional<Cursor> last;
      if (!r.entries.empty()) last = Cursor{r.entries.back().term, r.entries.back().index};
      std::weak_ptr<GroupWorker> weak = weak_from_this();
      log_->write(std::move(r.snapshot), std::move(r.hard_state), std::move(r.entries),
                  [weak, write, last, life = life_](std::expected<void, std::string> result) {
                    if (auto self = weak.lock(); self && self->life_ == life) self->written(write, last, result);
                  });
    }
    if (!r.messages.empty()) outbox_.push_back(Outgoing{writes_queued_, std::move(r.messages)});
    send_written();
    if (!r.committed.empty()) apply_committed(std::move(r.committed));
    if (replay_fetch_) replay_fetch_->committed(core_->commit_index());
    if (r.state_sync) start_state_sync(*r.state_sync);
    if (r.replay) start_replay(*r.replay);
    for (const auto& p : r.proposals) {
      if (p.kind == raft::ProposalOutcome::Kind::Accepted) {
        auto it = pending_.find(p.request);
        if (it != pending_.end() && !it->second.until_commit) finish(p.request, ExecuteResult{true, p.range, {}});
        continue;
      }
      finish(p.request, ExecuteResult{p.kind == raft::ProposalOutcome::Kind::Committed, p.range, p.reason});
    }
    for (const auto& read : r.reads) finish_read(read);
    if (r.role_change) {
      metrics_->role_changed(*r.role_change);
      std::string leader = "none";
      if (r.role_change->leader == member_) {
        leader = "this node";
      } else if (r.role_change->leader) {
        auto it = peers_by_member_.find(*r.role_change->leader);
        leader = it == peers_by_member_.end() ? "an unbonded member" : it->second.to_string();
      }
      logger()->info("group {}: {} in term {}, leader {}", id(), role_name(r.role_change->role), r.role_change->term,
                     leader);
    }
  }
  pumping_ = outer;
  publish_status();
  if (tick_timer_ && core_->next_deadline() < armed_for_) tick_timer_->cancel();  // re-armed earlier
}

void GroupWorker::written(std::uint64_t write, std::optional<Cursor> last,
                          const std::expected<void, std::string>& result) {
  // After a failed write nothing more counts as written: a later write that succeeded must
  // not release the messages of the Ready whose write failed.
  if (stopped_ || log_failed_) return;
  if (!result) {
    storage_failed(result.error());
    return;
  }
  writes_done_ = write;  // writes complete in the order they were queued
  if (last) core_->persisted(*last);
  send_written();
  if (!pumping_) pump();  // a durable write completed later, on its own
}

void GroupWorker::send_written() {
  while (!outbox_.empty() && outbox_.front().after_write <= writes_done_) {
    for (const auto& m : outbox_.front().messages) {
      auto to = peers_by_member_.find(m.to);
      if (to == peers_by_member_.end()) continue;
      if (auto b = bonds_.find(to->second); b != bonds_.end()) b->second.bond->send_raft(raft::encode_message(m));
    }
    outbox_.pop_front();
  }
}

void GroupWorker::storage_failed(const std::string& error) {
  if (log_failed_) return;
  log_failed_ = true;
  // The member cannot keep what it promises: it leaves rather than vote or acknowledge.
  logger()->error("group {}: leaving: the log cannot be written: {}", id(), error);
  asio::co_spawn(endpoint_.executor(), [](std::shared_ptr<GroupWorker> self) -> asio::awaitable<void> {
    co_await self->stop();
  }(shared_from_this()), asio::detached);
}

void GroupWorker::apply_committed(std::vector<raft::Entry> committed) {
  // Applied in runs that end at snapshot points, so that a snapshot is of exactly its index.
  auto first = committed.begin();
  while (first != committed.end()) {
    auto last = first;
    while (std::next(last) != committed.end() && !at_snapshot_point(last->index)) ++last;
    std::vector<CommittedCommand> commands;
    for (auto e = first; e != std::next(last); ++e)
      if (e->entry_kind() == raft::EntryKind::Command) commands.push_back({e->term, e->index, std::move(e->data)});
    if (!commands.empty() && apply_) apply_(std::move(commands), applied_, core_->log().last());
    applied_ = Cursor{last->term, last->index};
    core_->applied(applied_.index);
    if (at_snapshot_point(applied_.index)) take_snapshot();
    first = std::next(last);
  }
  applied_changed_.notify();
}

void GroupWorker::publish_status() {
  Status s;
  s.is_leader = core_->role() == raft::Role::Leader;
  s.term = core_->term();
  if (const auto leader = core_->leader()) {
    if (*leader == member_) {
      s.leader = endpoint_.id();
    } else if (auto it = peers_by_member_.find(*leader); it != peers_by_member_.end()) {
      s.leader = it->second;
    }
  }
  s.committed = core_->commit_index();
  s.log_position = core_->log().last_index();
  s.bonds = bonds_.size();
  s.terminated = stopped_;
  s.incarnation = core_->incarnation();
  s.voters = core_->membership().voters.size();
  metrics_->status(s);
  if (tick_timer_ && !stopped_) reporter_.offer(s, env_->now());  // started: the entry lists the group
  status_.modify([&](Status& current) {
    if (current == s) return false;
    current = s;
    return true;
  });
}

}  // namespace mosaik::groups::detail
