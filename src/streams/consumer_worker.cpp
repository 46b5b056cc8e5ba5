#include "consumer_worker.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>

#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "mosaik/streams/close_reasons.hpp"
#include "protocol.hpp"
#include "streams_log.hpp"

namespace mosaik::streams::detail {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

ConsumerWorker::ConsumerWorker(transport::Endpoint endpoint, discovery::Discovery discovery,
                               NetworkId network, ConsumerSettings settings,
                               ExponentialBackoff backoff, std::shared_ptr<InboxBase> inbox)
    : endpoint_(endpoint), discovery_(std::move(discovery)), network_(network),
      local_(endpoint.id()), settings_(std::move(settings)), backoff_(backoff),
      inbox_(std::move(inbox)), rng_(std::random_device{}()),
      snapshot_(std::make_shared<const ChannelList>()) {
  tasks_ = std::make_unique<TaskGroup>(endpoint.executor());
}

ConsumerWorker::ConsumerWorker(Closed, PeerId local, NetworkId network, ConsumerSettings settings,
                               ExponentialBackoff backoff, std::shared_ptr<InboxBase> inbox)
    : network_(network), local_(local), settings_(std::move(settings)), backoff_(backoff),
      inbox_(std::move(inbox)), rng_(std::random_device{}()),
      snapshot_(std::make_shared<const ChannelList>()) {
  closed_.store(true);
  inbox_->close();
}

TaskGroup* ConsumerWorker::task_group() {
  // Only shutdown() (a coroutine on the executor) resets tasks_, and never while a
  // synchronous caller on the executor holds this pointer; spawning happens unlocked
  // because co_spawn may run the task inline, and the task takes mutex_ itself.
  std::lock_guard lock(mutex_);
  return tasks_.get();
}

void ConsumerWorker::start() {
  if (auto* tasks = task_group()) {
    // The task holds the worker alive until it is cancelled (close() or shutdown()).
    tasks->spawn([](std::shared_ptr<ConsumerWorker> self) -> asio::awaitable<void> {
      co_await self->catalog_loop();
    }(shared_from_this()));
  }
}

void ConsumerWorker::close() {
  if (closed_.exchange(true)) return;
  inbox_->close();
  std::lock_guard lock(mutex_);
  if (tasks_) tasks_->cancel_all();
}

asio::awaitable<void> ConsumerWorker::shutdown() {
  closed_.store(true);
  inbox_->close();
  // Producers learn at once why we left, rather than from the connection closing later.
  for (const auto& [producer, target] : targets_) {
    if (target->link) target->link->close(transport::close_reason::GracefulShutdown);
  }
  std::unique_ptr<TaskGroup> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks = std::move(tasks_);
  }
  if (tasks) co_await tasks->close();
  targets_.clear();
  endpoint_.reset();
  discovery_.reset();
}

When ConsumerWorker::when() const {
  ConditionSpec online;  // at least one connected producer
  return When(snapshot_.subscribe(), online);
}

std::vector<ChannelInfo> ConsumerWorker::producers() const { return *snapshot_.borrow(); }

asio::awaitable<void> ConsumerWorker::catalog_loop() {
  using namespace asio::experimental::awaitable_operators;
  auto watch = discovery_->catalog_watch();
  for (;;) {
    const auto local_version = local_changes_.version();
    reconcile(watch.borrow_and_update());
    co_await (watch.changed() || local_changes_.wait_change(local_version));
  }
}

bool ConsumerWorker::wanted(const discovery::PeerEntry& entry) const {
  return entry.streams().contains(settings_.stream_id) &&
         (!settings_.subscribe_if || settings_.subscribe_if(entry));
}

void ConsumerWorker::reconcile(const discovery::Catalog& catalog) {
  // Candidates: every peer of the catalog, and this node itself (its own producers).
  const auto me = discovery_->me().entry();
  auto entry_of = [&](const PeerId& id) -> const discovery::PeerEntry* {
    if (id == local_) return &me;
    const auto* e = catalog.get(id);
    return e != nullptr ? &e->entry() : nullptr;
  };
  // Producers no longer wanted (gone, stream withdrawn, predicate false) are stopped.
  for (auto it = targets_.begin(); it != targets_.end();) {
    const auto* entry = entry_of(it->first);
    if (entry != nullptr && wanted(*entry)) {
      ++it;
      continue;
    }
    auto& target = *it->second;
    target.stop = true;
    target.kick.notify();
    if (entry == nullptr) {
      // Gone from the catalog (departed or purged): its link ends by itself, closed by the
      // producer after delivering (a shutdown) or by the idle timeout. Cancelling it would
      // drop what arrived but is not read yet. The target stays until then (target_loop
      // removes it), so a producer that returns meanwhile is not subscribed twice.
      ++it;
      continue;
    }
    if (target.link) target.link->cancel();
    it = targets_.erase(it);
  }
  for (const auto& [peer_id, entry] : catalog) {
    if (peer_id != local_) want(entry.entry());
  }
  want(me);
}

void ConsumerWorker::want(const discovery::PeerEntry& entry) {
  if (!entry.streams().contains(settings_.stream_id)) return;
  auto known = targets_.find(entry.peer_id());
  if (known != targets_.end()) {
    auto& current = known->second->entry;
    if (known->second->stop) {  // it left and came back while its old link drained
      if (settings_.subscribe_if && !settings_.subscribe_if(entry)) return;
      known->second->stop = false;
      current = entry;
      known->second->kick.notify();
      return;
    }
    if (current.version() == entry.version()) return;
    // A restarted producer (new start) or a changed entry is retried at once; a periodic
    // refresh (only the update time moved) is not news, and must not reset the backoff.
    const bool news = current.version().start != entry.version().start ||
                      !current.same_content(entry);
    current = entry;
    if (news) known->second->kick.notify();
    return;
  }
  if (settings_.subscribe_if && !settings_.subscribe_if(entry)) return;
  auto target = std::make_shared<Target>(entry);
  targets_.emplace(entry.peer_id(), target);
  if (auto* tasks = task_group()) {
    tasks->spawn([](std::shared_ptr<ConsumerWorker> self,
                    std::shared_ptr<Target> t) -> asio::awaitable<void> {
      co_await self->target_loop(std::move(t));
    }(shared_from_this(), target));
  }
}

std::chrono::milliseconds ConsumerWorker::randomized(std::chrono::milliseconds base) {
  const double spread = backoff_.randomization_factor;
  std::uniform_real_distribution<double> factor(1.0 - spread, 1.0 + spread);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(base.count()) * factor(rng_)));
}

asio::awaitable<void> ConsumerWorker::target_loop(std::shared_ptr<Target> target) {
  // A target whose producer left stays in targets_ until its loop ends (reconcile).
  struct Forget {
    ConsumerWorker* self;
    std::shared_ptr<Target> target;
    ~Forget() {
      const auto it = self->targets_.find(target->entry.peer_id());
      if (it != self->targets_.end() && it->second == target) self->targets_.erase(it);
    }
  } forget{this, target};
  std::uint32_t attempt = 0;
  std::optional<Clock::time_point> failing_since;
  while (!target->stop) {
    const auto version = target->kick.version();
    const auto outcome = co_await subscribe_once(target);
    if (target->stop) break;
    if (outcome.connected) {
      logger()->info("stream {}: lost producer {}: {}", settings_.stream_id, target->entry.peer_id(),
                     target->last_error);
      if (lost_.size() >= kRememberedLosses) lost_.clear();
      lost_.insert(target->entry.peer_id());
      attempt = 0;
      failing_since.reset();
    }
    if (!failing_since) failing_since = Clock::now();
    std::optional<std::chrono::milliseconds> delay = randomized(backoff_.base_delay(attempt++));
    if (backoff_.max_elapsed_time && Clock::now() - *failing_since > *backoff_.max_elapsed_time) {
      delay.reset();  // give up until the producer's entry changes
    }
    if (target->kick.version() != version) {
      attempt = 0;  // the entry changed while we were connected: try the new one now
      failing_since.reset();
      continue;
    }
    if (delay && !outcome.connected) {
      // Once per backoff step: the wait doubles, so this stays readable.
      logger()->warn("stream {}: cannot subscribe to producer {}: {}; retrying in {} ms",
                     settings_.stream_id, target->entry.peer_id(), target->last_error, delay->count());
    }
    if (delay) {
      auto kicked = co_await with_timeout(target->kick.wait_change(version), *delay);
      if (kicked) {
        attempt = 0;
        failing_since.reset();
      }
    } else {
      logger()->info("stream {}: giving up on producer {} until its entry changes",
                     settings_.stream_id, target->entry.peer_id());
      co_await target->kick.wait_change(version);
      attempt = 0;
      failing_since.reset();
    }
  }
}

asio::awaitable<ConsumerWorker::Outcome> ConsumerWorker::subscribe_once(
    std::shared_ptr<Target> target) {
  Outcome outcome;
  const discovery::PeerEntry producer = target->entry;
  auto stats = std::make_shared<StatsCounters>();
  Watch<State> state(State::Connecting);
  const ChannelInfo info(settings_.stream_id, settings_.criteria, producer.peer_id(), local_,
                         std::make_shared<const discovery::PeerEntry>(producer), stats, state);
  const auto channel = add_channel(info);
  struct Cleanup {
    ConsumerWorker* self;
    std::uint64_t channel;
    Watch<State> state;
    std::shared_ptr<StatsCounters> stats;
    std::shared_ptr<Target> target;
    bool counted = false;  // counted in connected_
    ~Cleanup() {
      target->link.reset();
      if (counted) {
        std::lock_guard lock(self->mutex_);
        if (--self->connected_ == 0) self->totals_->mark_disconnected();
      }
      stats->mark_disconnected();
      state.set(State::Terminated);
      self->remove_channel(channel);
    }
  } cleanup{this, channel, state, stats, target};

  auto connection = co_await endpoint_->connect(producer.addr(), std::string(kAlpn));
  if (!connection) {
    const auto reason = connection.error().reason.value_or(transport::close_reason::UnexpectedClose);
    report(*target, reason, connection.error().reason.has_value(),
           connection.error().message);
    co_return outcome;
  }
  auto link = co_await connection->open_link();
  if (!link) {
    report(*target, link.error().reason, link.error().remote, link.error().message);
    co_return outcome;
  }
  target->link = *link;
  if (target->stop) co_return outcome;

  wire::Bytes request;
  wire::append_encoded_frame(
      request, Subscribe{network_, settings_.stream_id, settings_.criteria, discovery_->me()});
  auto sent = co_await link->send_framed(std::move(request));
  if (!sent) {
    report(*target, sent.error().reason, sent.error().remote, sent.error().message);
    co_return outcome;
  }
  auto reply = co_await with_timeout(link->recv_frame(), kHandshakeTimeout);
  if (!reply) {
    link->cancel();
    report(*target, transport::close_reason::Cancelled, false,
           "no answer to the subscription in time");
    co_return outcome;
  }
  if (!*reply) {
    const auto& e = reply->error();
    report(*target, e.reason, e.remote, e.message);
    co_return outcome;
  }
  auto accepted = wire::decode<SubscribeAccepted>(**reply);
  if (!accepted || accepted->stream_id != settings_.stream_id) {
    link->close(transport::close_reason::ProtocolViolation);
    report(*target, transport::close_reason::ProtocolViolation, false,
           "the producer's answer is not a SubscribeAccepted for this stream");
    co_return outcome;
  }

  outcome.connected = true;
  stats->mark_connected();
  state.set(State::Connected);
  {
    std::lock_guard lock(mutex_);
    if (connected_++ == 0) totals_->mark_connected();
    cleanup.counted = true;
    publish_locked();
  }
  logger()->info("stream {}: {} producer {}", settings_.stream_id,
                 lost_.erase(producer.peer_id()) > 0 ? "subscription restored to" : "subscribed to",
                 producer.peer_id());

  // Read from the network only while holding nothing: a batch waits for room in the inbox
  // before the next read, so a consumer that does not keep up pushes back through QUIC
  // flow control to the producer's bounded queue.
  for (;;) {
    auto received = co_await link->recv_frames(kMaxBatchFrames);
    if (!received) {
      const auto& e = received.error();
      report(*target, e.reason, e.remote, e.message);
      break;
    }
    // Shared with the inbox, which keeps the bytes until the reader has decoded them.
    const auto batch = std::make_shared<const wire::FrameBatch>(std::move(*received));
    std::size_t next = 0;
    bool undecodable = false;
    while (next < batch->size() && !undecodable) {
      if (!co_await inbox_->wait_space()) break;
      next = inbox_->push_encoded(batch, next, *stats, *totals_, undecodable);
    }
    if (undecodable) {
      violations_.fetch_add(1);
      link->close(transport::close_reason::ProtocolViolation);
      logger()->warn("stream {}: undecodable datum from producer {}; channel closed",
                     settings_.stream_id, producer.peer_id());
      report(*target, transport::close_reason::ProtocolViolation, false,
             "a datum did not decode");
      break;
    }
    if (next < batch->size()) {  // the inbox closed: the last handle went
      link->close(transport::close_reason::GracefulShutdown);
      break;
    }
  }
  co_return outcome;
}

std::uint64_t ConsumerWorker::add_channel(const ChannelInfo& info) {
  std::lock_guard lock(mutex_);
  const auto id = next_channel_++;
  channels_.emplace(id, info);
  publish_locked();
  return id;
}

void ConsumerWorker::remove_channel(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  channels_.erase(id);
  publish_locked();
}

void ConsumerWorker::publish_locked() {
  auto list = std::make_shared<ChannelList>();
  for (const auto& [id, info] : channels_) list->push_back(info);
  snapshot_.set(std::move(list));
}

void ConsumerWorker::report(Target& target, const transport::CloseReason& reason, bool remote,
                            std::string message) {
  const PeerId producer = target.entry.peer_id();
  logger()->debug("stream {}: subscription to {} ended: {} ({})", settings_.stream_id, producer,
                  reason, message);
  target.last_error = fmt::format("{} ({})", message, reason);
  events_.send(ChannelEvent{producer, reason, remote, std::move(message)});
}

}  // namespace mosaik::streams::detail
