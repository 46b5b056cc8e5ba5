// GroupWorker's snapshot state sync (SnapshotSync groups; docs/decisions/0405): every member
// snapshots at each multiple of snapshot_interval and compacts its log to the snapshot
// before; it serves its snapshots to members that fell behind; and when the leader says our
// log is behind its compacted prefix, it fetches a snapshot from the bonded members.
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "mosaik/primitives/log.hpp"
#include "worker.hpp"

namespace mosaik::groups::detail {
namespace {

const auto& logger = log::module_logger<"groups">;

}  // namespace

bool GroupWorker::at_snapshot_point(Index i) const {
  return settings_.snapshots && !i.is_zero() && i.value % settings_.snapshots->snapshot_interval == 0;
}

void GroupWorker::take_snapshot() {
  if (!snapshot_hooks_.take) return;
  const auto point = core_->applied_point();
  held_->hold(point, snapshot_hooks_.take(), env_->now());
  // The log keeps the entries after the previous snapshot point, so a member a little behind
  // catches up by replay and only one further behind needs a snapshot.
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
  log_->compact(*compacted, [weak](std::expected<void, std::string> result) {
    if (auto self = weak.lock(); self && !result && !self->stopped_) self->storage_failed(result.error());
  });
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
    case SyncKind::Offer:
    case SyncKind::Batch:
    case SyncKind::Gone:
      if (fetch_ && fetch_->owns(m->request)) fetch_->on_reply(peer, std::move(*m));
      return;
  }
}

void GroupWorker::start_state_sync(const raft::StateSyncRequest& want) {
  if (!settings_.snapshots || !snapshot_hooks_.install) {
    // Only SnapshotSync groups compact their logs, and the GroupId tells the two kinds apart.
    logger()->error("group {}: the leader asks for a state sync, but this machine has no snapshots", id());
    return;
  }
  if (syncing_) return;
  syncing_ = true;
  tasks_.spawn(state_sync(want));
}

asio::awaitable<void> GroupWorker::state_sync(raft::StateSyncRequest want) {
  auto self = shared_from_this();
  const Index least = want.point.cursor.index;
  logger()->info("group {}: behind the leader's compacted log (at {}): fetching a snapshot", id(), least);
  for (std::uint32_t attempt = 1; !stopped_ && core_->commit_index() < least; ++attempt) {
    std::vector<PeerId> sources;
    for (const auto& [peer, link] : bonds_) sources.push_back(peer);
    fetch_ = std::make_shared<SnapshotFetch>([this](const PeerId& p, const SyncMessage& m) { return send_sync(p, m); },
                                             *settings_.snapshots, [this] { return env_->now(); }, next_sync_request_);
    next_sync_request_ += 1 << 20;  // a later attempt never takes an earlier one's late replies
    auto got = co_await fetch_->run(least, std::move(sources));
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
  syncing_ = false;
}

void GroupWorker::install(FetchedSnapshot snapshot) {
  core_->tick(env_->now());
  if (snapshot.point.cursor.index > core_->commit_index()) {
    snapshot_hooks_.install(std::move(snapshot.items));
    // Others fetch from us too: hold what we installed as if we had taken it (a capture of
    // the installed state, not a copy of the items, for machines that capture).
    held_->hold(snapshot.point, snapshot_hooks_.take(), env_->now());
    applied_ = snapshot.point.cursor;
  }
  core_->state_synced(snapshot.point);
  applied_changed_.notify();
  pump();
}

}  // namespace mosaik::groups::detail
