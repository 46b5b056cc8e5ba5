#include "messages.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "membership_codec.hpp"

namespace mosaik::groups::raft {

bool Membership::well_formed() const {
  auto sorted_unique = [](const std::vector<NodeId>& v) {
    return std::adjacent_find(v.begin(), v.end(), [](const NodeId& a, const NodeId& b) {
             return !(a < b);
           }) == v.end();
  };
  if (!sorted_unique(voters) || !sorted_unique(learners)) return false;
  for (const auto& l : learners)
    if (is_voter(l)) return false;
  return voters.size() + learners.size() <= kMaxVotersPerMessage;
}

namespace {

std::expected<void, MessageError> fail(std::string why) {
  return std::unexpected(MessageError{std::move(why)});
}

std::expected<void, MessageError> validate_entries(const Message& m) {
  if (m.entries.size() > kMaxEntriesPerMessage) return fail("too many entries");
  const auto type = m.message_type();
  if (type != MessageType::Append && type != MessageType::Forward && !m.entries.empty())
    return fail("entries on a message that carries none");
  if (type != MessageType::Append) return {};
  return validate_chain(Cursor{m.log_term, m.index}, m.term, m.entries);
}

}  // namespace

std::expected<void, MessageError> validate_chain(Cursor prev, Term max_term, const std::vector<Entry>& entries) {
  Index expected = prev.index.next();
  Term previous = prev.term;
  for (const auto& e : entries) {
    if (e.index != expected) return fail("entries not contiguous after prev index");
    if (e.term < previous || e.term > max_term) return fail("entry terms out of order");
    if (e.kind > kMaxEntryKind) return fail("unknown entry kind");
    if (e.entry_kind() == EntryKind::Membership && !decode_membership(e.data))
      return fail("malformed membership entry");
    previous = e.term;
    expected = expected.next();
  }
  return {};
}

std::expected<void, MessageError> validate(const Message& m) {
  if (m.type == 0 || m.type > kMaxMessageType) return fail(fmt::format("unknown type {}", m.type));
  if (m.from == m.to) return fail("message to itself");
  if (m.term.value > kMaxSaneTerm || m.log_term.value > kMaxSaneTerm) return fail("absurd term");
  if (m.log_term > m.term) return fail("log term beyond message term");
  for (auto i : {m.index, m.commit, m.hint})
    if (i.value > kMaxSaneIndex) return fail("absurd index");
  if (m.voters.size() > kMaxVotersPerMessage) return fail("too many voters");
  if (!std::is_sorted(m.voters.begin(), m.voters.end())) return fail("voters not sorted");
  if (!m.membership.well_formed()) return fail("malformed membership");
  if (m.incarnation == 0) return fail("no incarnation");
  if (m.message_type() == MessageType::ForwardResponse && !m.reject &&
      (m.hint < m.index || m.index.is_zero()))
    return fail("forward response with an empty range");
  return validate_entries(m);
}

Bytes encode_message(const Message& m) { return wire::encode(m); }

std::expected<Message, MessageError> decode_message(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxEncodedMessageBytes) return std::unexpected(MessageError{"too large"});
  auto m = wire::decode<Message>(bytes);
  if (!m) return std::unexpected(MessageError{fmt::format("undecodable: {}", m.error().message())});
  if (auto ok = validate(*m); !ok) return std::unexpected(ok.error());
  return std::move(*m);
}

}  // namespace mosaik::groups::raft
