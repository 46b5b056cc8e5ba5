// GroupWorker's replay from the members (LogReplaySync groups; docs/decisions/0412): every
// member serves its committed entries in batches; a member the leader tells it is far
// behind fetches them from all bonded members in parallel and hands them to its core in
// order, which takes only runs that link to its log. The leader then sends only the rest.
#include <utility>

#include "mosaik/primitives/log.hpp"
#include "worker.hpp"
#include "groups_log.hpp"

namespace mosaik::groups::detail {

// The seed's SyncConfig names and defaults (fetch_batch_size, fetch_timeout): a batch of
// committed entries is one "item" each.
SyncConfig GroupWorker::replay_config() const { return settings_.snapshots.value_or(SyncConfig{}); }

void GroupWorker::serve_replay(const PeerId& peer, const SyncMessage& m) {
  SyncMessage answer;
  answer.request = m.request;
  answer.index = m.index;
  answer.incarnation = core_->incarnation();
  // Only entries this member committed, and only to a member of the same incarnation.
  auto run = core_->committed_run(m.incarnation, Index(m.index), static_cast<std::size_t>(m.count), kMaxBatchBytes);
  if (run) {
    answer.kind = static_cast<std::uint8_t>(SyncKind::ReplayBatch);
    answer.term = run->prev.term;
    answer.entries = std::move(run->entries);
    metrics_->replay_batch_served();
  } else {
    answer.kind = static_cast<std::uint8_t>(SyncKind::Gone);
  }
  (void)send_sync(peer, answer);
}

void GroupWorker::start_replay(const raft::ReplayRequest& want) {
  if (replay_fetch_) return;  // the core asks once until replay_done()
  std::vector<PeerId> sources;
  for (const auto& [peer, link] : bonds_)
    if (link.bond->up()) sources.push_back(peer);
  replay_fetch_ = std::make_shared<ReplayFetch>([this](const PeerId& p, const SyncMessage& m) { return send_sync(p, m); },
                                                [this] { return env_->now(); }, replay_config(), next_sync_request_);
  next_sync_request_ += 1 << 20;  // a later fetch never takes an earlier one's late replies
  logger()->info("group {}: {} entries behind the leader's commit: fetching {}..{} from {} members", id(),
                 want.target.value - want.from.value + 1, want.from, want.target, sources.size());
  tasks_.spawn(replay(want, std::move(sources)));
}

asio::awaitable<void> GroupWorker::replay(raft::ReplayRequest want, std::vector<PeerId> sources) {
  auto self = shared_from_this();
  const auto life = life_;  // a member that left its incarnation meanwhile wants none of this
  auto fetch = replay_fetch_;
  auto got = co_await fetch->run(want, core_->incarnation(), std::move(sources),
                                 [this](const raft::CommittedRun& run) -> std::expected<Index, std::string> {
                                   core_->tick(env_->now());
                                   auto took = core_->accept_committed(run);
                                   if (took) {
                                     metrics_->replay_batch_fetched();  // counted as taken: the fetch may end later
                                   } else {
                                     logger()->warn("group {}: refused replayed entries {}..: {}", id(),
                                                    run.prev.index.next(), took.error());
                                   }
                                   pump();
                                   return took;
                                 });
  if (stopped_ || life != life_) co_return;  // abandon_incarnation() reset the replay state
  replay_fetch_.reset();
  if (got) {
    logger()->info("group {}: replayed up to {} in {} batches from {} members", id(), got->reached, got->batches,
                   got->served_by.size());
  } else {
    logger()->warn("group {}: replay from the members failed: {}; the leader sends the rest", id(), got.error());
  }
  core_->tick(env_->now());
  core_->replay_done(got.has_value());
  pump();
}

}  // namespace mosaik::groups::detail
