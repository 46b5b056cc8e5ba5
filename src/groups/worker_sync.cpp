// GroupWorker's snapshot state sync (SnapshotSync groups; docs/decisions/0405): every member
// snapshots at each multiple of snapshot_interval and, once that snapshot is written (on disk
// for a durable member, 0411), compacts its log to the snapshot before; it serves its
// snapshots to members that fell behind; and when the leader says our log is behind its
// compacted prefix, it fetches a snapshot from the bonded members. A durable member starts
// from the snapshot it wrote last, then replays its log after it.
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <utility>

#include "mosaik/primitives/log.hpp"
#include "worker.hpp"
#include "groups_log.hpp"

namespace mosaik::groups::detail {

bool GroupWorker::at_snapshot_point(Index i) const {
  return settings_.snapshots && !i.is_zero() && i.value % settings_.snapshots->snapshot_interval == 0;
}

void GroupWorker::take_snapshot() {
  if (!snapshot_hooks_.take) return;
  const auto point = core_->applied_point();
  auto capture = snapshot_hooks_.take();
  held_->hold(point, capture, env_->now());
  persist_snapshot(point, std::move(capture));
}

// One snapshot write at a time: one taken meanwhile waits, replacing any older one that
// waits, so a slow disk delays compaction but never queues up captures (0411).
void GroupWorker::persist_snapshot(raft::SnapshotPoint point, SnapshotCapture capture) {
  if (snapshot_writing_) {
    snapshot_waiting_.emplace(std::move(point), std::move(capture));
    return;
  }
  snapshot_writing_ = true;
  std::weak_ptr<GroupWorker> weak = weak_from_this();
  log_->write_snapshot(point, std::move(capture), [weak, point, life = life_](std::expected<void, std::string> result) {
    auto self = weak.lock();
    if (!self || self->stopped_ || self->life_ != life) return;
    self->snapshot_writing_ = false;
    if (!result) return self->storage_failed(result.error());
    self->compact_behind(point);
    if (auto next = std::exchange(self->snapshot_waiting_, std::nullopt))
      self->persist_snapshot(std::move(next->first), std::move(next->second));
  });
}

// `point`'s snapshot is durable: the log may go up to the snapshot point before it. It keeps
// the entries after that one, so a member a little behind catches up by replay and only one
// further behind needs a snapshot.
void GroupWorker::compact_behind(const raft::SnapshotPoint& point) {
  const auto interval = settings_.snapshots->snapshot_interval;
  if (point.cursor.index.value <= interval) return;
  const Index keep_after(point.cursor.index.value - interval);
  if (keep_after <= core_->log().base().index) return;
  auto compacted = core_->compact(keep_after);
  if (!compacted) {
    logger()->debug("group {}: log not compacted at {}: {}", id(), keep_after, compacted.error().message);
    return;
  }
  std::weak_ptr<GroupWorker> weak = weak_from_this();
  log_->compact(*compacted, [weak, life = life_](std::expected<void, std::string> result) {
    if (auto self = weak.lock(); self && !result && !self->stopped_ && self->life_ == life)
      self->storage_failed(result.error());
  });
}

void GroupWorker::restore_snapshot() {
  auto restored = log_->take_restored();
  if (!restored || !snapshot_hooks_.install) return;
  const auto point = restored->point;
  logger()->info("group {}: installing snapshot {} ({} items) from {}", id(), point.cursor, restored->items.size(),
                 restored->file.string());
  snapshot_hooks_.install(std::move(restored->items));
  held_->hold(point, snapshot_hooks_.take(), env_->now());
  applied_ = point.cursor;
  // Committed and applied up to the point: the log is replayed after it (and cut there, if
  // it was compacted only up to the snapshot point before).
  core_->tick(env_->now());
  core_->state_synced(point);
}

bool GroupWorker::send_sync(const PeerId& peer, const SyncMessage& m) {
  auto it = bonds_.find(peer);
  if (it == bonds_.end() || !it->second.bond->up()) return false;
  it->second.bond->send_sync(encode_sync(m));
  return true;
}

void GroupWorker::on_sync(const PeerId& peer, const wire::Bytes& bytes) {
  if (stopped_) return;
  auto m = decode_sync(bytes);
  if (!m) {
    logger()->warn("group {}: ignored a state-sync message from {}: {}", id(), peer, m.error());
    return;
  }
  SyncMessage answer;
  answer.request = m->request;
  answer.index = m->index;
  switch (m->sync_kind()) {
    case SyncKind::Query: {
      answer.kind = static_cast<std::uint8_t>(SyncKind::Offer);
      answer.index = 0;
      if (const auto* held = held_ ? held_->newest_from(Index(m->index), env_->now()) : nullptr) {
        answer.index = held->point.cursor.index.value;
        answer.point = held->point;
        answer.count = held->items->size();
      }
      (void)send_sync(peer, answer);
      return;
    }
    case SyncKind::Fetch: {
      auto items = held_ ? held_->batch(Index(m->index), m->offset, m->count, env_->now()) : std::nullopt;
      if (items && !items->empty()) {
        answer.kind = static_cast<std::uint8_t>(SyncKind::Batch);
        answer.offset = m->offset;
        answer.items = std::move(*items);
      } else {
        answer.kind = static_cast<std::uint8_t>(SyncKind::Gone);
      }
      (void)send_sync(peer, answer);
      return;
    }
    case SyncKind::ReplayFetch: return serve_replay(peer, *m);
    case SyncKind::Offer:
    case SyncKind::Batch:
    case SyncKind::Gone:
    case SyncKind::ReplayBatch:
      if (fetch_ && fetch_->owns(m->request)) {
        fetch_->on_reply(peer, std::move(*m));
      } else if (replay_fetch_ && replay_fetch_->owns(m->request)) {
        replay_fetch_->on_reply(peer, std::move(*m));
      }
      return;
  }
}

void GroupWorker::start_state_sync(const raft::StateSyncRequest& want) {
  if (!settings_.snapshots || !snapshot_hooks_.install) {
    // Only SnapshotSync groups compact their logs, and the GroupId tells the two kinds apart.
    logger()->error("group {}: the leader asks for a state sync, but this machine has no snapshots", id());
    return;
  }
  if (syncing_ || installing_) return;
  syncing_ = true;
  tasks_.spawn(state_sync(want));
}

asio::awaitable<void> GroupWorker::state_sync(raft::StateSyncRequest want) {
  auto self = shared_from_this();
  const Index least = want.point.cursor.index;
  const auto life = life_;  // a member that left its incarnation meanwhile wants none of this
  logger()->info("group {}: behind the leader's compacted log (at {}): fetching a snapshot", id(), least);
  for (std::uint32_t attempt = 1; !stopped_ && life == life_ && core_->commit_index() < least; ++attempt) {
    std::vector<PeerId> sources;
    for (const auto& [peer, link] : bonds_) sources.push_back(peer);
    fetch_ = std::make_shared<SnapshotFetch>([this](const PeerId& p, const SyncMessage& m) { return send_sync(p, m); },
                                             *settings_.snapshots, [this] { return env_->now(); }, next_sync_request_);
    next_sync_request_ += 1 << 20;  // a later attempt never takes an earlier one's late replies
    auto got = co_await fetch_->run(least, std::move(sources));
    if (life != life_) co_return;  // abandon_incarnation() reset the sync state
    fetch_.reset();
    if (stopped_) break;
    if (got) {
      logger()->info("group {}: fetched snapshot {} ({} items) from {} members", id(), got->point.cursor,
                     got->items.size(), got->served_by.size());
      install(std::move(*got));
      break;
    }
    // Retried each heartbeat until it works: said at warn now and then, not at every attempt.
    const auto level = attempt == 1 || attempt % 20 == 0 ? spdlog::level::warn : spdlog::level::debug;
    logger()->log(level, "group {}: state sync attempt {} failed: {}", id(), attempt, got.error());
    asio::steady_timer retry(endpoint_.executor(), settings_.consensus.heartbeat_interval);
    std::error_code ec;
    co_await retry.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (life == life_) syncing_ = false;
}

void GroupWorker::install(FetchedSnapshot snapshot) {
  // Written first (durable groups): the core cuts the log at the point once told, and a
  // restart must find the state that log starts after. The machine gets the items only
  // then, so nothing applied meanwhile lands on top of the installed state.
  auto items = std::make_shared<std::vector<SnapshotItem>>(std::move(snapshot.items));
  const auto point = snapshot.point;
  installing_ = true;
  std::weak_ptr<GroupWorker> weak = weak_from_this();
  log_->write_snapshot(point, SnapshotCapture([items] { return *items; }),
                       [weak, point, items, life = life_](std::expected<void, std::string> result) {
                         auto self = weak.lock();
                         if (!self || self->stopped_ || self->life_ != life) return;
                         self->installing_ = false;
                         if (!result) return self->storage_failed(result.error());
                         self->installed(point, std::move(*items));
                       });
}

void GroupWorker::installed(const raft::SnapshotPoint& point, std::vector<SnapshotItem> items) {
  core_->tick(env_->now());
  if (point.cursor.index > core_->commit_index()) {
    snapshot_hooks_.install(std::move(items));
    // Others fetch from us too: hold what we installed as if we had taken it (a capture of
    // the installed state, not a copy of the items, for machines that capture).
    held_->hold(point, snapshot_hooks_.take(), env_->now());
    applied_ = point.cursor;
  }
  core_->state_synced(point);
  applied_changed_.notify();
  pump();
}

}  // namespace mosaik::groups::detail
