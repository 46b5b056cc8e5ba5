#include "state_json.hpp"

#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "../../streams/service.hpp"
#include "mosaik/discovery/group_summary.hpp"

namespace mosaik::network::detail {
namespace {

// Every string here is hex, a number or an address: nothing to escape.
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

template <class Set>
std::string hex_list(const Set& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(quoted(i.to_hex()));
  return fmt::format("[{}]", fmt::join(out, ","));
}

}  // namespace

std::string state_json(const MetricsServer::Sources& sources) {
  std::vector<std::string> peers;
  for (const auto& [id, entry] : sources.discovery.catalog()) {
    std::vector<std::string> addresses;
    for (const auto& a : entry.addr().direct_addresses) addresses.push_back(quoted(to_string(a)));
    peers.push_back(fmt::format(R"({{"id":{},"addresses":[{}],"tags":{},"streams":{}}})",
                                quoted(id.to_string()), fmt::join(addresses, ","),
                                hex_list(entry.tags()), hex_list(entry.streams())));
  }
  std::vector<std::string> channels;
  if (auto streams = sources.streams.lock()) {
    for (const auto& c : streams->counters().channels) {
      channels.push_back(fmt::format(
          R"({{"stream":{},"peer":{},"producing":{},"datums":{},"bytes":{}}})",
          quoted(c.stream.to_hex()), quoted(c.peer.to_string()), c.producing ? "true" : "false",
          c.datums, c.bytes));
    }
  }
  // Our own entry is not in our catalog: it counts too.
  auto summaries = discovery::summarize_groups(sources.discovery.catalog());
  discovery::add_to_summary(summaries, sources.discovery.me().entry());
  std::vector<std::string> groups;
  for (const auto& [id, g] : summaries) {
    std::vector<std::string> members;
    for (const auto& m : g.members) members.push_back(quoted(m.to_string()));
    groups.push_back(fmt::format(R"({{"id":{},"leader":{},"term":{},"commit_index":{},"members":[{}]}})",
                                 quoted(id.to_hex()), g.leader ? quoted(g.leader->to_string()) : "null",
                                 g.term ? fmt::format("{}", *g.term) : "null",
                                 g.commit_index ? fmt::format("{}", *g.commit_index) : "null",
                                 fmt::join(members, ",")));
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return fmt::format(R"({{"self":{},"time_ms":{},"peers":[{}],"channels":[{}],"groups":[{}]}})",
                     quoted(sources.endpoint.id().to_string()), now, fmt::join(peers, ","),
                     fmt::join(channels, ","), fmt::join(groups, ","));
}

}  // namespace mosaik::network::detail
