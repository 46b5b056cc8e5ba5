#pragma once
// Bond: one established bond of a group with one peer (the seed's BondWorker), after the
// handshake, on the node's executor. It relays Raft and state-sync messages, keeps the peer's liveness with
// Ping/Pong heartbeats (interval less a random jitter; down after max_missed ticks without a
// message) and says goodbye with Departure. Whatever ends it, the owner hears on_down once.
//
//   auto bond = Bond::start(std::move(bonded.link), peer, settings, events, random);
//   bond->send_raft(encoded_message);   bond->send_sync(encoded_sync_message);
//   bond->depart();   // or bond->close(reason)
//
// Wire: every frame is a BondMessage {kind, seq, payload}; an undecodable one or an unknown
// kind closes the bond with ProtocolViolation.

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "mosaik/primitives/async/notifier.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/primitives/wire.hpp"
#include "mosaik/transport/close_reason.hpp"
#include "mosaik/transport/connection.hpp"
#include "mosaik/transport/raw_link.hpp"

namespace mosaik::groups::detail {

enum class BondKind : std::uint8_t { Ping = 1, Pong = 2, Departure = 3, Raft = 4, Sync = 5 };

struct BondMessage {
  std::uint8_t kind = 0;  // BondKind, checked before use
  std::uint64_t seq = 0;  // Ping/Pong: the heartbeat's number
  wire::Bytes payload;    // Raft: one encoded consensus message; Sync: one state-sync message
  MOSAIK_WIRE_FIELDS(kind, seq, payload);
};

// A bond's frames: a Raft message fits one frame (raft::kMaxEncodedMessageBytes).
inline constexpr std::size_t kMaxBondFrame = 16 << 20;

struct BondSettings {
  std::chrono::nanoseconds heartbeat_interval = std::chrono::milliseconds(500);
  std::chrono::nanoseconds heartbeat_jitter = std::chrono::milliseconds(150);  // 0: a fixed interval
  std::uint32_t max_missed = 10;
  std::size_t max_queued_bytes = 64 << 20;  // beyond it Raft messages are dropped (Raft resends)
};

enum class BondEnd : std::uint8_t {
  Departed,   // the peer said goodbye
  Silent,     // max_missed heartbeat ticks without a message: closed with Timeout
  Closed,     // the link failed or the peer closed it (see the reason)
  Violation,  // the peer sent something that is no BondMessage: closed with ProtocolViolation
  Local,      // we closed it (close() or depart())
};

struct BondEvents {
  std::function<void(wire::Bytes)> on_raft;
  std::function<void(BondEnd, const transport::CloseReason&)> on_down;  // once
  std::function<void(wire::Bytes)> on_sync;
};

class Bond : public std::enable_shared_from_this<Bond> {
 public:
  static std::shared_ptr<Bond> start(transport::RawLink link, PeerId peer, BondSettings settings, BondEvents events,
                                     std::function<std::uint64_t()> random);
  ~Bond();

  [[nodiscard]] const PeerId& peer() const { return peer_; }
  [[nodiscard]] bool up() const { return !ended_; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

  void send_raft(wire::Bytes message);
  // A state-sync message (sync/messages.hpp); dropped like Raft's when the queue is full.
  void send_sync(wire::Bytes message);
  // Sends Departure, then closes with GracefulShutdown once it is delivered.
  void depart();
  void close(const transport::CloseReason& reason);

  Bond(transport::RawLink link, PeerId peer, BondSettings settings, BondEvents events,
       std::function<std::uint64_t()> random);

 private:
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> heartbeat_loop();
  void enqueue(const BondMessage& m, bool droppable);
  void end(BondEnd why, const transport::CloseReason& reason);
  [[nodiscard]] std::chrono::nanoseconds next_interval();

  transport::RawLink link_;
  const PeerId peer_;
  const BondSettings settings_;
  BondEvents events_;
  std::function<std::uint64_t()> random_;
  std::deque<wire::Bytes> outbox_;  // encoded BondMessages
  std::size_t outbox_bytes_ = 0;
  Notifier outbox_changed_;
  bool heard_since_tick_ = true;
  std::uint32_t missed_ = 0;
  std::uint64_t ping_seq_ = 0;
  std::uint64_t dropped_ = 0;
  bool departing_ = false;
  bool ended_ = false;
  TaskGroup tasks_;
};

}  // namespace mosaik::groups::detail
