#pragma once
// HyParView membership (Leitão, Pereira, Rodrigues 2007), sans-IO. Each node keeps a small
// symmetric *active view* (the peers it holds connections to, and the only ones broadcast
// traffic flows over) and a larger *passive view* (addresses kept fresh by shuffles, used
// to replace active peers that fail). Both are bounded by configuration, never by N, so
// the connections a node holds do not grow with the network.
//
// Inputs: join(), handle() for a membership message from an authenticated peer, peer_down()
// when the shell loses or cannot reach a peer, tick() with the current time. Outputs:
// take_actions() (Send / Connect / Close). Randomness comes from a seed passed in.
//
//   HyParView view(self_addr, HyParViewConfig{}, seed);
//   view.join({bootstrap}, now);  for (auto& a : view.take_actions()) shell(a);

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "actions.hpp"
#include "instant.hpp"

namespace mosaik::discovery::gossip {

using namespace std::chrono_literals;

struct HyParViewConfig {
  std::size_t active_view_size = 5;
  std::size_t passive_view_size = 30;
  std::uint8_t active_random_walk_length = 6;   // ARWL: hops a ForwardJoin travels
  std::uint8_t passive_random_walk_length = 3;  // PRWL: at this hop the newcomer enters the passive view
  std::size_t shuffle_active_peers = 3;         // ka: active peers a Shuffle carries
  std::size_t shuffle_passive_peers = 4;        // kp: passive peers a Shuffle carries
  Instant shuffle_interval = 10s;               // each node starts one Shuffle this often (± 25%)
  Instant neighbor_timeout = 2s;                // a Neighbor request unanswered this long failed
  // A node below active_view_size but not isolated asks one passive peer at a time; after a
  // refusal it waits, doubling from the first to the last value, so a saturated overlay is
  // not flooded with requests. A failed neighbour resets the wait (repair is immediate).
  Instant refill_backoff_min = 1s;
  Instant refill_backoff_max = 30s;
  Instant join_retry_interval = 5s;             // an isolated node re-sends Join this often

  // Most entries a Shuffle (and its reply) carries: the origin plus ka + kp.
  std::size_t shuffle_size() const { return 1 + shuffle_active_peers + shuffle_passive_peers; }
};

// Input that was refused or clipped, counted rather than trusted.
enum class MembershipAnomaly : std::uint8_t {
  kSenderMismatch,         // a message names a sender other than the authenticated peer
  kTtlClipped,             // a walk longer than ARWL
  kPeersClipped,           // a Shuffle/ShuffleReply with more entries than shuffle_size()
  kUnsolicitedShuffleReply,
  kCount
};
[[nodiscard]] std::string_view to_string(MembershipAnomaly a);

class HyParView {
 public:
  using View = std::map<PeerId, EndpointAddr>;

  HyParView(EndpointAddr self, HyParViewConfig config, std::uint64_t rng_seed);

  // Sends Join to a contact; while we stay isolated tick() retries with the next one.
  void join(std::span<const EndpointAddr> contacts, Instant now);

  // A peer the shell talked to outside the overlay (a catalog sync, a manual dial) becomes
  // a passive candidate; an isolated node with no join contacts asks it to be a neighbour at
  // once, so nodes joined only that way still form an overlay (issue 14, item 5).
  void learn(const EndpointAddr& peer, Instant now);

  // A membership message from `from` (authenticated by the transport). Broadcast
  // messages are not membership messages and are ignored here.
  void handle(const PeerId& from, const Message& message, Instant now);

  // The shell lost its connection to `peer` or could not deliver to it.
  void peer_down(const PeerId& peer, Instant now);

  // Starts shuffles, retries joins, expires neighbour requests and refills the active view.
  void tick(Instant now);

  [[nodiscard]] Actions take_actions();

  const View& active_view() const { return active_; }
  const View& passive_view() const { return passive_; }
  const EndpointAddr& self() const { return self_; }
  const HyParViewConfig& config() const { return config_; }
  std::uint64_t anomalies(MembershipAnomaly a) const { return anomalies_[static_cast<std::size_t>(a)]; }

 private:
  void on_join(const PeerId& from, const Join& m);
  void on_forward_join(const PeerId& from, const ForwardJoin& m);
  void on_neighbor(const PeerId& from, const Neighbor& m);
  void on_neighbor_reply(const PeerId& from, const NeighborReply& m, Instant now);
  void on_disconnect(const PeerId& from);
  void on_shuffle(const PeerId& from, const Shuffle& m);
  void on_shuffle_reply(const ShuffleReply& m);

  void add_active(const EndpointAddr& peer);
  void drop_random_active();
  void remove_active(const PeerId& peer, bool keep_in_passive);
  void add_passive(const EndpointAddr& peer);
  void integrate(std::span<const EndpointAddr> peers, std::span<const EndpointAddr> sent);
  void fill_active_view(Instant now);
  void start_shuffle(Instant now);
  void send(const EndpointAddr& to, Message message);
  bool sender_matches(const PeerId& from, const EndpointAddr& claimed);
  void count(MembershipAnomaly a) { ++anomalies_[static_cast<std::size_t>(a)]; }

  // A uniformly random member of `view` other than those in `except`, if any.
  std::optional<EndpointAddr> random_member(const View& view, std::span<const PeerId> except);
  std::vector<EndpointAddr> random_sample(const View& view, std::size_t n);

  EndpointAddr self_;
  HyParViewConfig config_;
  std::mt19937_64 rng_;
  View active_;
  View passive_;
  std::map<PeerId, Instant> pending_neighbors_;  // Neighbor sent, reply awaited until the deadline
  Instant next_refill_{0};
  Instant refill_backoff_{0};
  std::vector<EndpointAddr> contacts_;
  std::size_t next_contact_ = 0;
  std::optional<Instant> next_join_;
  std::optional<Instant> next_shuffle_;
  std::optional<std::vector<EndpointAddr>> shuffle_sent_;  // entries of our outstanding Shuffle
  Actions actions_;
  std::array<std::uint64_t, static_cast<std::size_t>(MembershipAnomaly::kCount)> anomalies_{};
};

}  // namespace mosaik::discovery::gossip
