#pragma once
// The consensus protocol's messages: one flat, msgpack-encoded struct (as etcd's raftpb),
// checked by validate() before the core looks at any field.
//
//   Bytes wire = encode_message(m);
//   auto back = decode_message(wire);   // expected<Message, MessageError>; never throws

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "types.hpp"

namespace mosaik::groups::raft {

enum class MessageType : std::uint8_t {
  PreVote = 1,          // index/log_term: candidate's last entry; term: the term it would take
  PreVoteResponse,      // reject
  Vote,                 // as PreVote; voters: the founding set of a genesis vote (else empty)
  VoteResponse,         // reject
  Append,               // index/log_term: entry before `entries`; commit: leader commit
  AppendResponse,       // index: match (or rejected prev index when reject); hint: follower's hint
  Heartbeat,            // commit: min(match, commit); request: read-index round
  HeartbeatResponse,    // request: round echoed back
  Forward,              // request: id; entries: commands to append (kind/term/index ignored)
  ForwardResponse,      // request; index..hint: assigned range; log_term: its term; reject
                        // (hint 0: certainly not appended; 1: may have been, outcome unknown)
  ReadIndex,            // request
  ReadIndexResponse,    // request; index: read index; reject
  StateSync,            // index/log_term: leader's log start; membership there
  Replay,               // commit: leader commit; fetch the committed entries up to it from the members
  ReplayResponse,       // index: the follower's commit (its log matches up to it); reject: the
                        // fetch failed, send the entries instead
};
inline constexpr std::uint8_t kMaxMessageType = static_cast<std::uint8_t>(MessageType::ReplayResponse);

struct Message {
  std::uint8_t type = 0;          // MessageType
  std::uint64_t incarnation = 0;  // the group's incarnation (never 0)
  NodeId from;
  NodeId to;
  Term term;
  Term log_term;
  Index index;
  Index commit;
  Index hint;
  bool reject = false;
  std::uint64_t request = 0;
  std::vector<Entry> entries;
  std::vector<NodeId> voters;
  Membership membership;

  [[nodiscard]] MessageType message_type() const { return static_cast<MessageType>(type); }
  MSGPACK_DEFINE(type, incarnation, from, to, term, log_term, index, commit, hint, reject,
                 request, entries, voters, membership);
};

// Bounds a well-formed message stays within; anything beyond is nonsense and ignored.
inline constexpr std::uint64_t kMaxSaneIndex = std::uint64_t{1} << 62;
inline constexpr std::uint64_t kMaxSaneTerm = std::uint64_t{1} << 62;
inline constexpr std::size_t kMaxEntriesPerMessage = 1 << 16;
inline constexpr std::size_t kMaxVotersPerMessage = 1024;
// One message fits one stream frame (kDefaultMaxFrameSize, 16 MiB): a larger one would
// close the link it travels on.
inline constexpr std::size_t kMaxEncodedMessageBytes = 16 << 20;
// The commands of one proposal travel in one Forward (and one entry in one Append): their
// encoded size stays below a frame with room for the message's other fields.
inline constexpr std::size_t kMaxProposalBytes = kMaxEncodedMessageBytes - (64 << 10);

struct MessageError {
  std::string reason;
};

// A run of entries after `prev` (an Append's, or a replayed run's): contiguous from
// prev.index + 1, terms non-decreasing from prev.term and at most `max_term`, known kinds,
// decodable membership entries.
[[nodiscard]] std::expected<void, MessageError> validate_chain(Cursor prev, Term max_term, const std::vector<Entry>& entries);

// Checks the fields every type relies on (ranges, contiguity, sortedness). Does not know the
// receiver's state: incarnation and addressing are checked by the core.
[[nodiscard]] std::expected<void, MessageError> validate(const Message& m);

[[nodiscard]] Bytes encode_message(const Message& m);
// Decodes and validates; bounded allocation on arbitrary input; never throws.
[[nodiscard]] std::expected<Message, MessageError> decode_message(std::span<const std::uint8_t> bytes);

}  // namespace mosaik::groups::raft
