#include "messages.hpp"

#include <fmt/format.h>

#include "groups/raft/messages.hpp"

namespace mosaik::groups::detail {

wire::Bytes encode_sync(const SyncMessage& m) { return wire::encode(m); }

std::expected<SyncMessage, std::string> decode_sync(std::span<const std::uint8_t> bytes) {
  auto m = wire::decode<SyncMessage>(bytes);
  if (!m) return std::unexpected(fmt::format("undecodable: {}", m.error().message()));
  switch (m->sync_kind()) {
    case SyncKind::Query:
    case SyncKind::Gone: break;
    case SyncKind::Offer:
      if (m->index != 0 && (m->point.cursor.index.value != m->index || !m->point.membership.well_formed() ||
                            m->point.membership.voters.empty()))
        return std::unexpected("an offer whose point is not a snapshot point");
      break;
    case SyncKind::Fetch:
    case SyncKind::ReplayFetch:
      if (m->count == 0 || m->count > kMaxFetchItems) return std::unexpected(fmt::format("a fetch of {} items", m->count));
      if (m->sync_kind() == SyncKind::ReplayFetch && (m->index == 0 || m->index > raft::kMaxSaneIndex))
        return std::unexpected(fmt::format("a replay fetch from index {}", m->index));
      break;
    case SyncKind::ReplayBatch: {
      if (m->entries.empty() || m->entries.size() > raft::kMaxEntriesPerMessage)
        return std::unexpected(fmt::format("a replay batch of {} entries", m->entries.size()));
      if (m->index == 0 || m->index > raft::kMaxSaneIndex) return std::unexpected("a replay batch at index 0");
      const Cursor prev{m->term, Index(m->index - 1)};
      if (auto ok = raft::validate_chain(prev, Term(raft::kMaxSaneTerm), m->entries); !ok)
        return std::unexpected(fmt::format("a replay batch that is no run of entries: {}", ok.error().reason));
      break;
    }
    case SyncKind::Batch:
      if (m->items.empty()) return std::unexpected("an empty batch");
      break;
    default: return std::unexpected(fmt::format("unknown kind {}", m->kind));
  }
  return std::move(*m);
}

}  // namespace mosaik::groups::detail
