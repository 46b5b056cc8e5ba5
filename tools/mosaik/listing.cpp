#include "listing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "json.hpp"
#include "mosaik/discovery/group_summary.hpp"

namespace mosaik_tool {
namespace {

using mosaik::discovery::Catalog;
using mosaik::discovery::CatalogEntry;
using mosaik::discovery::Timestamp;

constexpr const char* kGroupsNote =
    "each member reports the leader it follows, its term and commit index (a new leader at "
    "once, the commit index with its entry's periodic refresh)";

template <class Set>
std::vector<std::string> full_hex(const Set& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.to_hex());
  return out;
}

std::vector<std::string> addresses(const CatalogEntry& e) {
  std::vector<std::string> out;
  for (const auto& a : e.addr().direct_addresses) out.push_back(mosaik::to_string(a));
  return out;
}

// "-" for none, else the short forms joined by commas.
template <class Set>
std::string short_list(const Set& items) {
  if (items.empty()) return "-";
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(fmt::format("{}", i));
  return fmt::format("{}", fmt::join(out, ","));
}

std::string human_age(Timestamp age) {
  const auto s = std::max<std::int64_t>(0, age.count() / 1000);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{}h", s / 86400, (s % 86400) / 3600);
}

std::string entry_json(const CatalogEntry& e, Timestamp now) {
  return fmt::format(
      R"({{"id":{},"addresses":{},"tags":{},"streams":{},"groups":{},"started_ms":{},)"
      R"("updated_ms":{},"age_ms":{},"signed":{}}})",
      json::quote(e.peer_id().to_string()), json::array(addresses(e)),
      json::array(full_hex(e.tags())), json::array(full_hex(e.streams())),
      json::array(full_hex(e.groups())), e.version().start.count(), e.version().update.count(),
      (now - e.version().start).count(), e.is_signed() ? "true" : "false");
}

// Who advertises each id (streams or groups), ordered by id.
template <class Of>
std::map<mosaik::Digest, std::set<mosaik::PeerId>> advertisers(const Catalog& catalog, Of of) {
  std::map<mosaik::Digest, std::set<mosaik::PeerId>> out;
  for (const auto& [id, entry] : catalog) {
    for (const auto& item : of(entry)) out[item].insert(id);
  }
  return out;
}

std::vector<std::string> peer_ids(const std::set<mosaik::PeerId>& peers) {
  std::vector<std::string> out;
  for (const auto& p : peers) out.push_back(p.to_string());
  return out;
}

const auto kStreamsOf = [](const CatalogEntry& e) -> const auto& { return e.streams(); };

}  // namespace

Timestamp now_ms() {
  return std::chrono::duration_cast<Timestamp>(
      std::chrono::system_clock::now().time_since_epoch());
}

std::string peers_table(const Catalog& catalog, const mosaik::PeerId& self, Timestamp now) {
  std::string out = fmt::format("{:<12} {:<40} {:<24} {:<24} {:<24} {}\n", "PEER", "ADDRESSES",
                                "TAGS", "STREAMS", "GROUPS", "AGE");
  std::size_t n = 0;
  for (const auto& [id, e] : catalog) {
    if (id == self) continue;
    ++n;
    out += fmt::format("{:<12} {:<40} {:<24} {:<24} {:<24} {}\n", fmt::format("{}", id),
                       fmt::format("{}", fmt::join(addresses(e), ",")), short_list(e.tags()),
                       short_list(e.streams()), short_list(e.groups()),
                       human_age(now - e.version().start));
  }
  out += fmt::format("{} peer{} (ids, tags, streams and groups in short hex; --json has them "
                     "whole)\n",
                     n, n == 1 ? "" : "s");
  return out;
}

std::string peers_json(const Catalog& catalog, const mosaik::PeerId& self, Timestamp now) {
  std::vector<std::string> entries;
  for (const auto& [id, e] : catalog) {
    if (id != self) entries.push_back(entry_json(e, now));
  }
  return fmt::format(R"({{"observer":{},"peers":[{}]}})", json::quote(self.to_string()),
                     fmt::join(entries, ","));
}

std::string streams_table(const Catalog& catalog) {
  std::string out = fmt::format("{:<12} {}\n", "STREAM", "PRODUCERS");
  const auto streams = advertisers(catalog, kStreamsOf);
  for (const auto& [id, peers] : streams) {
    out += fmt::format("{:<12} {}\n", fmt::format("{}", id), short_list(peers));
  }
  out += fmt::format("{} stream{}\n", streams.size(), streams.size() == 1 ? "" : "s");
  return out;
}

std::string streams_json(const Catalog& catalog) {
  std::vector<std::string> items;
  for (const auto& [id, peers] : advertisers(catalog, kStreamsOf)) {
    items.push_back(fmt::format(R"({{"id":{},"producers":{}}})", json::quote(id.to_hex()),
                                json::array(peer_ids(peers))));
  }
  return fmt::format(R"({{"streams":[{}]}})", fmt::join(items, ","));
}

namespace {

template <class T>
std::string or_dash(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : "-";
}

template <class T>
std::string or_null(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : "null";
}

std::string quoted_or_null(const std::optional<mosaik::PeerId>& p) {
  return p ? json::quote(p->to_string()) : "null";
}

}  // namespace

std::string groups_table(const Catalog& catalog) {
  std::string out = fmt::format("{:<12} {:<12} {:>6} {:>10}  {}\n", "GROUP", "LEADER", "TERM", "COMMIT", "MEMBERS");
  const auto groups = mosaik::discovery::summarize_groups(catalog);
  for (const auto& [id, view] : groups) {
    out += fmt::format("{:<12} {:<12} {:>6} {:>10}  {}\n", fmt::format("{}", id), or_dash(view.leader),
                       or_dash(view.term), or_dash(view.commit_index), short_list(view.members));
  }
  out += fmt::format("{} group{}; {}\n", groups.size(), groups.size() == 1 ? "" : "s", kGroupsNote);
  return out;
}

std::string groups_json(const Catalog& catalog) {
  std::vector<std::string> items;
  for (const auto& [id, view] : mosaik::discovery::summarize_groups(catalog)) {
    std::vector<std::string> reports;
    for (const auto& [member, r] : view.reports) {
      reports.push_back(fmt::format(R"({{"member":{},"leader":{},"term":{},"commit_index":{}}})",
                                    json::quote(member.to_string()), quoted_or_null(r.leader), r.term,
                                    r.commit_index));
    }
    items.push_back(fmt::format(R"({{"id":{},"members":{},"leader":{},"term":{},"commit_index":{},"reports":[{}]}})",
                                json::quote(id.to_hex()), json::array(peer_ids(view.members)),
                                quoted_or_null(view.leader), or_null(view.term), or_null(view.commit_index),
                                fmt::join(reports, ",")));
  }
  return fmt::format(R"({{"groups":[{}]}})", fmt::join(items, ","));
}

std::string present_line(const CatalogEntry& entry, bool json, Timestamp now) {
  if (json) return fmt::format(R"({{"event":"present","peer":{}}})", entry_json(entry, now));
  return fmt::format("present {} {}", entry.peer_id(), entry.addr());
}

std::string event_line(const mosaik::discovery::Event& event, bool json, Timestamp now) {
  if (const auto* d = std::get_if<mosaik::discovery::PeerDiscovered>(&event)) {
    if (json) return fmt::format(R"({{"event":"joined","peer":{}}})", entry_json(d->entry, now));
    return fmt::format("joined  {} {}", d->entry.peer_id(), d->entry.addr());
  }
  if (const auto* u = std::get_if<mosaik::discovery::PeerUpdated>(&event)) {
    if (json) return fmt::format(R"({{"event":"updated","peer":{}}})", entry_json(u->entry, now));
    return fmt::format("updated {} {}", u->entry.peer_id(), u->entry.addr());
  }
  const auto& gone = std::get<mosaik::discovery::PeerDeparted>(event);
  if (json) {
    return fmt::format(R"({{"event":"left","id":{}}})", json::quote(gone.peer_id.to_string()));
  }
  return fmt::format("left    {}", gone.peer_id);
}

}  // namespace mosaik_tool
