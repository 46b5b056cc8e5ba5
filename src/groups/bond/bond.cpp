#include "bond.hpp"

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

#include "mosaik/groups/close_reasons.hpp"
#include "mosaik/primitives/log.hpp"
#include "groups/groups_log.hpp"

namespace mosaik::groups::detail {
namespace {

// How long a departing bond waits for the peer to take its Departure and close.
std::chrono::nanoseconds departure_grace(const BondSettings& s) {
  return std::max<std::chrono::nanoseconds>(std::chrono::seconds(1), 2 * s.heartbeat_interval);
}

}  // namespace

Bond::Bond(transport::RawLink link, PeerId peer, BondSettings settings, BondEvents events,
           std::function<std::uint64_t()> random)
    : link_(std::move(link)),
      peer_(peer),
      settings_(settings),
      events_(std::move(events)),
      random_(std::move(random)),
      tasks_(link_.connection().executor()) {}

Bond::~Bond() = default;

std::shared_ptr<Bond> Bond::start(transport::RawLink link, PeerId peer, BondSettings settings, BondEvents events,
                                  std::function<std::uint64_t()> random) {
  link.set_max_frame_size(kMaxBondFrame);
  auto bond = std::make_shared<Bond>(std::move(link), peer, settings, std::move(events), std::move(random));
  bond->tasks_.spawn(bond->read_loop());
  bond->tasks_.spawn(bond->write_loop());
  bond->tasks_.spawn(bond->heartbeat_loop());
  return bond;
}

void Bond::send_raft(wire::Bytes message) {
  if (ended_ || departing_) return;
  enqueue(BondMessage{static_cast<std::uint8_t>(BondKind::Raft), 0, std::move(message)}, true);
}

void Bond::send_sync(wire::Bytes message) {
  if (ended_ || departing_) return;
  enqueue(BondMessage{static_cast<std::uint8_t>(BondKind::Sync), 0, std::move(message)}, true);
}

void Bond::depart() {
  if (ended_ || departing_) return;
  departing_ = true;
  enqueue(BondMessage{static_cast<std::uint8_t>(BondKind::Departure), 0, {}}, false);
}

void Bond::close(const transport::CloseReason& reason) { end(BondEnd::Local, reason); }

void Bond::enqueue(const BondMessage& m, bool droppable) {
  auto bytes = wire::encode(m);
  if (droppable && outbox_bytes_ + bytes.size() > settings_.max_queued_bytes) {
    ++dropped_;  // the peer reads too slowly: Raft resends what it needs
    return;
  }
  outbox_bytes_ += bytes.size();
  outbox_.push_back(std::move(bytes));
  outbox_changed_.notify();
}

void Bond::end(BondEnd why, const transport::CloseReason& reason) {
  if (ended_) return;
  ended_ = true;
  link_.close(reason);
  tasks_.cancel_all();
  logger()->debug("bond with {} ended ({}, {})", peer_, static_cast<int>(why), reason);
  if (auto on_down = std::move(events_.on_down)) on_down(why, reason);
  events_ = {};
}

std::chrono::nanoseconds Bond::next_interval() {
  const auto jitter = static_cast<std::uint64_t>(settings_.heartbeat_jitter.count());
  const auto minus = jitter == 0 ? 0 : random_() % (jitter + 1);
  return std::max<std::chrono::nanoseconds>(std::chrono::milliseconds(1),
                                            settings_.heartbeat_interval - std::chrono::nanoseconds(minus));
}

asio::awaitable<void> Bond::read_loop() {
  auto self = shared_from_this();
  while (!ended_) {
    auto frame = co_await link_.recv_frame();
    if (!frame) {
      const auto& e = frame.error();
      end(departing_ && e.remote ? BondEnd::Local : BondEnd::Closed, e.reason);
      co_return;
    }
    auto m = wire::decode<BondMessage>(*frame);
    if (!m || m->kind < static_cast<std::uint8_t>(BondKind::Ping) || m->kind > static_cast<std::uint8_t>(BondKind::Sync)) {
      logger()->warn("bond with {}: not a bond message; closing it", peer_);
      end(BondEnd::Violation, transport::close_reason::ProtocolViolation);
      co_return;
    }
    heard_since_tick_ = true;
    missed_ = 0;
    switch (static_cast<BondKind>(m->kind)) {
      case BondKind::Ping: enqueue(BondMessage{static_cast<std::uint8_t>(BondKind::Pong), m->seq, {}}, false); break;
      case BondKind::Pong: break;
      case BondKind::Departure: end(BondEnd::Departed, transport::close_reason::GracefulShutdown); co_return;
      case BondKind::Raft:
        if (events_.on_raft) events_.on_raft(std::move(m->payload));
        break;
      case BondKind::Sync:
        if (events_.on_sync) events_.on_sync(std::move(m->payload));
        break;
    }
  }
}

asio::awaitable<void> Bond::write_loop() {
  auto self = shared_from_this();
  while (!ended_) {
    const auto seen = outbox_changed_.version();
    if (outbox_.empty()) {
      co_await outbox_changed_.wait_change(seen);
      continue;
    }
    auto bytes = std::move(outbox_.front());
    outbox_.pop_front();
    outbox_bytes_ -= bytes.size();
    auto sent = co_await link_.send_frame(bytes);
    if (!sent) {
      end(BondEnd::Closed, sent.error().reason);
      co_return;
    }
  }
}

asio::awaitable<void> Bond::heartbeat_loop() {
  auto self = shared_from_this();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::chrono::nanoseconds departing_for{0};
  while (!ended_) {
    const auto wait = next_interval();
    timer.expires_after(wait);
    co_await timer.async_wait(asio::use_awaitable);
    if (ended_) co_return;
    if (departing_) {
      // The peer closes the bond once it read our Departure; if it does not, we do.
      departing_for += wait;
      if (departing_for >= departure_grace(settings_)) end(BondEnd::Local, transport::close_reason::GracefulShutdown);
      continue;
    }
    if (!heard_since_tick_ && ++missed_ >= settings_.max_missed) {
      logger()->info("bond with {}: nothing heard for {} heartbeats; closing it", peer_, missed_);
      end(BondEnd::Silent, close_reason::Timeout);
      co_return;
    }
    heard_since_tick_ = false;
    enqueue(BondMessage{static_cast<std::uint8_t>(BondKind::Ping), ++ping_seq_, {}}, false);
  }
}

}  // namespace mosaik::groups::detail
