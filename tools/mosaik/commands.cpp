#include "commands.hpp"

#include <fmt/format.h>

#include <set>

#include "listing.hpp"
#include "observer.hpp"

namespace mosaik_tool {
namespace {

// Discovery events from `events`, printed as `watch` does; `known` holds the peers printed
// so far, so that an event already reflected in the first snapshot is not printed twice.
asio::awaitable<void> print_events(mosaik::Network node,
                                   mosaik::BroadcastReceiver<mosaik::discovery::Event> events,
                                   std::set<mosaik::PeerId> known, bool json) {
  for (;;) {  // until the node closes the broadcast (shutdown) or the command is stopped
    auto ev = co_await events.recv();
    if (!ev) {
      if (std::holds_alternative<mosaik::BroadcastClosed>(ev.error())) co_return;
      if (const auto* lag = std::get_if<mosaik::Lagged>(&ev.error())) {
        // Too slow for the backlog: what was missed is told from the catalog instead.
        fmt::print(stderr, "mosaik: missed {} events; comparing with the catalog\n", lag->missed);
        const auto catalog = node.discovery().catalog();
        for (auto it = known.begin(); it != known.end();) {
          if (catalog.contains(*it)) {
            ++it;
            continue;
          }
          fmt::print("{}\n", event_line(mosaik::discovery::PeerDeparted{*it}, json, now_ms()));
          it = known.erase(it);
        }
        for (const auto& [id, entry] : catalog) {
          if (known.insert(id).second) {
            fmt::print("{}\n", event_line(mosaik::discovery::PeerDiscovered{entry}, json, now_ms()));
          }
        }
      }
      continue;
    }
    bool print = true;
    if (const auto* d = std::get_if<mosaik::discovery::PeerDiscovered>(&*ev)) {
      print = known.insert(d->entry.peer_id()).second;
    } else if (const auto* gone = std::get_if<mosaik::discovery::PeerDeparted>(&*ev)) {
      print = known.erase(gone->peer_id) > 0;
    }
    if (print) fmt::print("{}\n", event_line(*ev, json, now_ms()));
  }
}

}  // namespace

asio::awaitable<void> run_bootstrap(mosaik::Network node, Options opt) {
  const auto addr = node.local().addr();
  if (opt.print_address_only) {
    fmt::print("{}\n", addr);
    // Nothing else on stdout: stay up until stopped.
    auto events = node.discovery().events();
    while (true) {
      auto ev = co_await events.recv();
      if (!ev && std::holds_alternative<mosaik::BroadcastClosed>(ev.error())) co_return;
    }
  }
  fmt::print("bootstrap node {} on network '{}'\n", node.local().id(), opt.network);
  fmt::print("address: {}\n", addr);
  fmt::print("other nodes join with: --bootstrap {}\n", addr);
  if (const auto metrics = node.metrics_address()) {
    fmt::print("metrics: http://{}/metrics, live view: http://{}/\n", *metrics, *metrics);
  }
  if (!opt.secret) {
    fmt::print("(a random identity: give --secret for an address that survives restarts)\n");
  }
  co_await print_events(node, node.discovery().events(), {}, /*json=*/false);
}

asio::awaitable<void> run_listing(mosaik::Network node, Options opt) {
  co_await join_through_bootstrap(node, opt);
  if (opt.settle.count() > 0) co_await mosaik::sleep_for(opt.settle);  // gossip's turn
  const auto catalog = node.discovery().catalog();
  const auto self = node.local().id();
  switch (opt.command) {
    case Command::kStreams:
      fmt::print("{}\n", opt.json ? streams_json(catalog) : streams_table(catalog));
      break;
    case Command::kGroups:
      fmt::print("{}\n", opt.json ? groups_json(catalog) : groups_table(catalog));
      break;
    default:
      fmt::print("{}\n", opt.json ? peers_json(catalog, self, now_ms())
                                  : peers_table(catalog, self, now_ms()));
  }
}

asio::awaitable<void> run_watch(mosaik::Network node, Options opt) {
  auto events = node.discovery().events();  // before joining: nothing is missed
  co_await join_through_bootstrap(node, opt);
  std::set<mosaik::PeerId> known;
  const auto now = now_ms();
  for (const auto& [id, entry] : node.discovery().catalog()) {
    known.insert(id);
    fmt::print("{}\n", present_line(entry, opt.json, now));
  }
  fmt::print(stderr, "mosaik: watching network '{}' ({} peers); Ctrl-C to stop\n", opt.network,
             known.size());
  co_await print_events(node, std::move(events), std::move(known), opt.json);
}

}  // namespace mosaik_tool
