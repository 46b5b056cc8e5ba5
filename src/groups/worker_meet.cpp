// GroupWorker when two incarnations of its GroupId meet (docs/decisions/0407): genesis on
// both sides of a partition leaves two internally correct groups whose members ignore each
// other. Each member compares its incarnation with those the members it is bonded with report
// in the catalog; the side the rule says yields leaves: each of its members lists what it
// held, drops its log and state (a new storage epoch on disk, so a new member id), and joins
// the other incarnation as a new member that may not found. The application hears of it
// through Group::when().incarnation_lost().
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "groups_log.hpp"
#include "worker.hpp"

namespace mosaik::groups::detail {

void GroupWorker::meet_incarnations(const discovery::Catalog& catalog) {
  // Unbound, the core already joins whichever incarnation reaches it first.
  if (stopped_ || leaving_ || core_->log().last_index().is_zero()) return;
  const IncarnationFacts own{core_->incarnation(), core_->membership().voters.size()};
  // Only members bonded with us now: a bond proves the peer alive, where its catalog entry
  // may outlive it by purge_after.
  std::vector<discovery::GroupReport> reports;
  for (const auto& [peer, link] : bonds_) {
    const auto* entry = catalog.get(peer);
    const auto* report = entry ? entry->entry().group_report(id()) : nullptr;
    if (link.bond->up() && report) reports.push_back(*report);
  }
  if (auto winner = incarnation_to_join(own, reports)) rejoin(own, *winner);
}

LostIncarnation GroupWorker::what_we_held(std::uint64_t joined) const {
  const auto& log = core_->log();
  const Index commit = core_->commit_index();
  LostIncarnation lost;
  lost.incarnation = core_->incarnation();
  lost.joined = joined;
  lost.unlisted_through = log.base().index;
  lost.committed = IndexRange{log.first_index(), commit};
  auto list = [&log](Index from, Index to, std::vector<CommittedCommand>& out) {
    for (Index i = from; i <= to;) {
      auto batch = log.slice(i, to, SIZE_MAX, raft::kMaxProposalBytes);
      for (auto& e : batch)
        if (e.entry_kind() == raft::EntryKind::Command)
          out.push_back({e.term, e.index, std::move(e.data)});
      i = batch.back().index.next();
    }
  };
  list(log.first_index(), commit, lost.commands);
  list(commit.next(), log.last_index(), lost.uncertain);
  return lost;
}

// Forgets everything of the incarnation we leave but the log itself (rejoin() replaces it).
void GroupWorker::abandon_incarnation() {
  ++life_;
  // Departed, not lost: both sides' leaders drop the member we were at once. The members of
  // the other side bond again with the member we become (dial_loop, or their own dial).
  for (auto& [peer, link] : bonds_) link.bond->depart();
  bonds_.clear();
  peers_by_member_.clear();
  outbox_.clear();
  writes_queued_ = writes_done_ = 0;
  // A proposal under way may have committed on our old side (then it is listed in the event):
  // its outcome here is unknown. Batches still forming were never proposed: they go to the
  // new life.
  fail_requests(raft::FailReason::Unknown, /*keep_forming=*/true);
  fetch_.reset();
  replay_fetch_.reset();
  syncing_ = installing_ = snapshot_writing_ = false;
  snapshot_waiting_.reset();
  if (settings_.snapshots) held_.emplace(settings_.snapshots->snapshot_ttl);
}

void GroupWorker::rejoin(const IncarnationFacts& own, const IncarnationFacts& winner) {
  auto lost = what_we_held(winner.incarnation);
  logger()->warn(
      "group {}: incarnation {:016x} ({} voters) met incarnation {:016x} ({} voters) and yields: "
      "leaving it with {} "
      "committed commands (entries {} to {}{}) and {} uncertain, reported to the application; "
      "rejoining as a new member",
      id(), own.incarnation, own.voters, winner.incarnation, winner.voters, lost.commands.size(),
      lost.committed.first, lost.committed.last,
      lost.unlisted_through.is_zero()
          ? std::string()
          : fmt::format("; entries up to {} were compacted and are not listed",
                        lost.unlisted_through),
      lost.uncertain.size());
  auto record = [this, &lost] {
    lost_.modify([&lost](LostIncarnations& all) {
      auto next = std::make_shared<std::vector<LostIncarnation>>(*all);
      next->push_back(std::move(lost));
      all = std::move(next);
      return true;
    });
  };
  if (!reset_machine_) {  // a machine that cannot start over: this member leaves the group
    logger()->error("group {}: the state machine cannot be reset (not copyable): leaving the group",
                    id());
    leaving_ = true;
    record();
    asio::co_spawn(
        endpoint_.executor(),
        [](std::shared_ptr<GroupWorker> self) -> asio::awaitable<void> {
          co_await self->stop();
        }(shared_from_this()),
        asio::detached);
    return;
  }
  abandon_incarnation();
  // The old log goes before the new one opens (a durable store drops the group's data): no
  // vote of the member we become ever rests on it.
  core_.reset();
  log_->close();
  log_.reset();
  std::expected<std::unique_ptr<GroupLog>, std::string> fresh =
      fresh_log_ ? fresh_log_()
                 : std::expected<std::unique_ptr<GroupLog>, std::string>(GroupLog::in_memory());
  std::optional<std::string> failed;
  if (!fresh) {
    failed = fresh.error();
    fresh = GroupLog::in_memory();  // only so the worker stays whole while it stops
  }
  log_ = std::move(*fresh);
  member_ = member_id(endpoint_.id(), log_->epoch());
  core_ = make_core(/*may_found=*/false);
  applied_ = Cursor{};
  reset_machine_();
  rejoining_ = winner.incarnation;
  applied_changed_.notify();  // strong reads waiting for an index of the incarnation we left end
  record();
  if (failed) return storage_failed(*failed);
  logger()->info("group {}: rejoining incarnation {:016x} as member {}", id(), winner.incarnation,
                 member_);
  publish_status();
  pump();
}

bool GroupWorker::admit_while_rejoining(const raft::Message& m) {
  if (rejoining_ == 0) return true;
  if (!core_->log().last_index().is_zero()) {  // bound again: the core's own rules hold from here
    rejoining_ = 0;
    return true;
  }
  return m.incarnation == rejoining_;
}

}  // namespace mosaik::groups::detail
