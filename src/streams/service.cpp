#include "service.hpp"

#include <algorithm>
#include <stdexcept>

#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/log.hpp"
#include "mosaik/streams/close_reasons.hpp"
#include "protocol.hpp"
#include "streams_log.hpp"

namespace mosaik::streams::detail {

StreamsService::StreamsService(transport::Endpoint endpoint, discovery::Discovery discovery,
                               NetworkId network, Config config)
    : endpoint_(endpoint), discovery_(std::move(discovery)), local_(endpoint.id()), network_(network),
      config_(std::move(config)), tasks_(endpoint.executor()) {}

void StreamsService::start() {
  std::weak_ptr<StreamsService> weak = shared_from_this();
  endpoint_->register_alpn(std::string(kAlpn), [weak](transport::Connection connection) {
    if (auto self = weak.lock()) self->tasks_.spawn(self->serve_connection(std::move(connection)));
  });
}

asio::awaitable<void> StreamsService::stop(std::chrono::steady_clock::duration flush_within) {
  std::vector<std::shared_ptr<Fanout>> fanouts;
  std::vector<std::shared_ptr<ConsumerWorker>> workers;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    for (auto& [id, reg] : producers_) fanouts.push_back(std::move(reg.fanout));
    producers_.clear();
    // Dropped producers still delivering count as live ones (a fanout may be in both).
    for (auto& f : lingering_) {
      if (std::find(fanouts.begin(), fanouts.end(), f) == fanouts.end()) fanouts.push_back(f);
    }
    lingering_.clear();
    for (auto& weak : consumers_) {
      if (auto w = weak.lock()) workers.push_back(std::move(w));
    }
    consumers_.clear();
  }
  const auto deadline = std::chrono::steady_clock::now() + flush_within;
  for (auto& f : fanouts) f->close_flushing();
  for (auto& w : workers) co_await w->shutdown();
  // Connections close only once every fanout handed its queues over: a consumer that
  // subscribes to several of our streams shares one connection for all of them.
  auto handed_over = co_await with_timeout(until_handed_over(fanouts), flush_within);
  for (auto& f : fanouts) f->close_connections_after_delivery();
  auto drained = co_await with_timeout(until_drained(fanouts),
                                       std::max(deadline - std::chrono::steady_clock::now(),
                                                std::chrono::steady_clock::duration::zero()));
  if (!handed_over || !drained) {
    logger()->info("streams: consumers did not take everything queued within {} ms; closing anyway",
                   std::chrono::duration_cast<std::chrono::milliseconds>(flush_within).count());
  }
  co_await tasks_.close();
  for (auto& f : fanouts) f->withdraw(/*from_entry=*/false);  // the departure withdrew them
  std::lock_guard lock(mutex_);
  endpoint_.reset();
  discovery_.reset();
}

asio::awaitable<void> StreamsService::until_handed_over(std::vector<std::shared_ptr<Fanout>> fanouts) {
  for (const auto& f : fanouts) co_await f->until_handed_over();
}

asio::awaitable<void> StreamsService::until_drained(std::vector<std::shared_ptr<Fanout>> fanouts) {
  for (const auto& f : fanouts) co_await f->until_drained();
}

void StreamsService::prune_locked() {
  std::erase_if(producers_, [](const auto& kv) { return kv.second.state.expired(); });
  std::erase_if(consumers_, [](const auto& w) { return w.expired(); });
}

std::pair<std::shared_ptr<void>, bool> StreamsService::producer(const StreamId& stream,
                                                                std::type_index type,
                                                                ProducerSettings settings,
                                                                const MakeProducerState& make) {
  std::shared_ptr<void> state;
  {
    std::lock_guard lock(mutex_);
    prune_locked();
    auto it = producers_.find(stream);
    if (it != producers_.end()) {
      if (it->second.type != type) {
        throw std::logic_error(
            fmt::format("stream {} already has a producer of another datum type", stream));
      }
      if (auto existing = it->second.state.lock()) return {existing, false};
    }
    settings.stream_id = stream;
    std::function<void()> on_close;
    std::function<void(std::shared_ptr<Fanout>)> on_linger;
    if (!stopped_) {
      std::weak_ptr<StreamsService> weak = shared_from_this();
      on_close = [weak] {
        if (auto self = weak.lock()) self->poke_consumers();
      };
      on_linger = [weak](std::shared_ptr<Fanout> fanout) {
        if (auto self = weak.lock()) self->linger(std::move(fanout));
      };
    }
    auto fanout = std::make_shared<Fanout>(std::move(settings), discovery_, local_,
                                           std::move(on_close), std::move(on_linger));
    if (stopped_) fanout->close();  // the node is gone: a closed producer (try_send -> Closed)
    state = make(fanout);
    producers_.insert_or_assign(stream, Registration{state, type, fanout});
    if (!stopped_) discovery_->add_stream(stream);
  }
  poke_consumers();  // consumers of this node may subscribe to it
  return {state, true};
}

void StreamsService::linger(std::shared_ptr<Fanout> fanout) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;  // stop() took it with the registrations, and waits for it
    lingering_.push_back(fanout);
  }
  // Unlocked: the task may start inline and take mutex_.
  if (!tasks_.spawn(finish_lingering(fanout))) fanout->withdraw(/*from_entry=*/false);
}

asio::awaitable<void> StreamsService::finish_lingering(std::shared_ptr<Fanout> fanout) {
  auto drained = co_await with_timeout(fanout->until_drained(), kDefaultFlushDeadline);
  if (!drained) fanout->end_lingering();
  bool from_entry = false;
  {
    std::lock_guard lock(mutex_);
    std::erase(lingering_, fanout);
    // A new producer may have taken the stream id meanwhile: its entry stays.
    auto it = producers_.find(fanout->stream_id());
    const bool taken = it != producers_.end() && it->second.fanout != fanout &&
                       !it->second.state.expired();
    from_entry = !stopped_ && !taken;
  }
  fanout->withdraw(from_entry);
}

void StreamsService::poke_consumers() {
  std::vector<std::shared_ptr<ConsumerWorker>> workers;
  {
    std::lock_guard lock(mutex_);
    for (const auto& weak : consumers_) {
      if (auto w = weak.lock()) workers.push_back(std::move(w));
    }
  }
  for (const auto& w : workers) w->poke();
}

std::shared_ptr<void> StreamsService::existing_producer(const StreamId& stream,
                                                        std::type_index type) {
  std::lock_guard lock(mutex_);
  auto it = producers_.find(stream);
  if (it == producers_.end()) return nullptr;
  if (it->second.type != type) {
    throw std::logic_error(fmt::format("stream {} has a producer of another datum type", stream));
  }
  return it->second.state.lock();
}

std::shared_ptr<Fanout> StreamsService::live_fanout(const StreamId& stream) {
  std::lock_guard lock(mutex_);
  auto it = producers_.find(stream);
  if (it == producers_.end() || it->second.state.expired()) return nullptr;
  return it->second.fanout;
}

std::shared_ptr<ConsumerCore> StreamsService::consumer(ConsumerSettings settings,
                                                       std::shared_ptr<InboxBase> inbox) {
  const auto backoff = settings.backoff.value_or(config_.backoff());
  std::shared_ptr<ConsumerWorker> worker;
  {
    std::lock_guard lock(mutex_);
    prune_locked();
    if (stopped_) {
      // The node is gone: a closed consumer (recv -> nullopt) that holds nothing of it.
      return std::make_shared<ConsumerWorker>(ConsumerWorker::Closed{}, local_, network_,
                                              std::move(settings), backoff, std::move(inbox));
    }
    worker = std::make_shared<ConsumerWorker>(*endpoint_, *discovery_, network_, std::move(settings),
                                              backoff, std::move(inbox));
    consumers_.push_back(worker);
  }
  worker->start();  // unlocked: its task may start inline and poke back
  return worker;
}

asio::awaitable<void> StreamsService::serve_connection(transport::Connection connection) {
  for (;;) {
    auto link = co_await connection.accept_link(kMaxSubscribeFrame);
    if (!link) co_return;  // the connection is gone
    if (handshakes_.load() >= config_.max_pending_handshakes()) {
      rejected_.fetch_add(1);
      link->close(transport::close_reason::Cancelled);
      continue;
    }
    tasks_.spawn(serve_subscription(std::move(*link)));
  }
}

asio::awaitable<void> StreamsService::serve_subscription(transport::RawLink link) {
  std::optional<Subscribe> request;
  {
    ++handshakes_;
    struct Release {
      std::atomic<std::size_t>& n;
      ~Release() { --n; }
    } release{handshakes_};
    auto frame = co_await with_timeout(link.recv_frame(), kHandshakeTimeout);
    if (!frame || !*frame) {
      rejected_.fetch_add(1);
      link.cancel();
      co_return;
    }
    auto decoded = wire::decode<Subscribe>(**frame);
    if (!decoded) {
      rejected_.fetch_add(1);
      link.close(transport::close_reason::ProtocolViolation);
      co_return;
    }
    request = std::move(*decoded);
  }
  const auto peer = link.connection().peer_id();
  if (auto refusal = refuse_subscribe(*request, peer, network_)) {
    rejected_.fetch_add(1);
    link.close(*refusal);
    co_return;
  }
  const auto& entry = request->consumer;
  // We may not know it yet. (Still set: stop() releases it only once this task ended.)
  if (peer != local_) (void)discovery_->feed(entry);
  auto fanout = live_fanout(request->stream_id);
  if (!fanout) {
    logger()->debug("consumer {} asked for unknown stream {}", peer, request->stream_id);
    link.close(close_reason::StreamNotFound);
    co_return;
  }
  co_await fanout->serve(std::move(link), entry.entry(), request->criteria);
}

}  // namespace mosaik::streams::detail

namespace mosaik::streams::detail {

StreamsService::Counters StreamsService::counters() {
  std::vector<std::shared_ptr<Fanout>> fanouts;
  std::vector<std::shared_ptr<ConsumerWorker>> workers;
  {  // copies under the lock; each is asked outside it (they take locks of their own)
    std::lock_guard lock(mutex_);
    for (const auto& [stream, reg] : producers_) {
      if (!reg.state.expired()) fanouts.push_back(reg.fanout);
    }
    for (const auto& w : consumers_) {
      if (auto worker = w.lock()) workers.push_back(std::move(worker));
    }
  }
  Counters out;
  for (const auto& fanout : fanouts) {
    out.produced.push_back({fanout->stream_id(), fanout->lagged_consumers(), fanout->dropped_datums()});
    for (const auto& info : fanout->consumers()) {
      const auto stats = info.stats();
      out.channels.push_back({info.stream_id(), info.consumer_id(), true, stats.datums(), stats.bytes()});
    }
  }
  for (const auto& worker : workers) {
    for (const auto& info : worker->producers()) {
      const auto stats = info.stats();
      out.channels.push_back({info.stream_id(), info.producer_id(), false, stats.datums(), stats.bytes()});
    }
  }
  return out;
}

}  // namespace mosaik::streams::detail
