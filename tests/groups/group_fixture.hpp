#pragma once
// Helpers of the groups fault tests: real nodes on 127.0.0.1 whose outgoing packets can be
// dropped (the transport's fault hook), the tests' consensus timing, and waits for the
// leader a set of members agrees on. Every wait is bounded.
//
//   auto nodes = co_await test::make_faultable_nodes(kNet, 3);
//   auto members = ...join each...;
//   auto leader = co_await test::agreed_leader(members, 15);
//   test::drop_outgoing(nodes[0], 1.0);    // nothing it sends arrives any more

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "mosaik/network/network.hpp"
#include "node_fixture.hpp"
#include "test_consensus.hpp"

namespace mosaik::test {

// A node on 127.0.0.1 whose packet path has the fault hook installed (inactive until set).
inline asio::awaitable<Network> make_faultable_node(NetworkId net, discovery::Config::Builder disc) {
  const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
  transport::EndpointConfig transport;
  transport.faults = transport::FaultConfig{};
  auto built = co_await Network::builder(net)
                   .with_addresses(loopback)
                   .with_relay_mode(RelayMode::kDisabled)
                   .with_transport(transport)
                   .with_discovery(std::move(disc))
                   .build();
  if (!built) throw std::runtime_error("node failed to start: " + built.error().message);
  co_return std::move(*built);
}

// `count` faultable nodes that all know each other (the first is everyone's bootstrap).
inline asio::awaitable<std::vector<Network>> make_faultable_nodes(NetworkId net, std::size_t count,
                                                                  double seconds = 20) {
  std::vector<Network> nodes;
  nodes.push_back(co_await make_faultable_node(net, fast_discovery()));
  const auto first = nodes.front().local().addr();
  for (std::size_t i = 1; i < count; ++i) nodes.push_back(co_await make_faultable_node(net, fast_discovery().with_bootstrap(first)));
  for (const auto& n : nodes)
    co_await until_catalog(n, [count](const discovery::Catalog& c) { return c.size() == count - 1; }, seconds);
  co_return nodes;
}

// Drops this share of everything `node` sends from now on (1.0: a full outgoing cut).
inline void drop_outgoing(const Network& node, double share) {
  transport::FaultConfig faults;
  faults.drop = share;
  if (!node.local().endpoint().set_faults(faults)) throw std::logic_error("node built without the fault hook");
}

// Waits out `d`: only for checks that something does NOT happen within it.
inline asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

// The leader every member in `members` follows, once they agree on one that `acceptable`
// admits (and, if `bonded` is set, each is bonded with that many others). Re-checks on every
// status change of any member; bounded by `seconds`.
template <class M, class Pred>
asio::awaitable<PeerId> agreed_leader_where(std::vector<groups::Group<M>> members, Pred acceptable,
                                            std::optional<std::size_t> bonded, double seconds,
                                            std::source_location where = std::source_location::current()) {
  auto wait = [&]() -> asio::awaitable<PeerId> {
    std::vector<WatchReceiver<groups::Status>> watches;
    for (auto& m : members) watches.push_back(m.status_watch());
    for (;;) {
      std::optional<PeerId> agreed;
      bool ok = true;
      for (auto& w : watches) {
        const auto s = w.borrow_and_update();
        ok = ok && s.leader.has_value() && acceptable(*s.leader) && (!bonded || s.bonds == *bonded) &&
             (!agreed || *agreed == *s.leader);
        if (ok) agreed = s.leader;
      }
      if (ok && agreed) co_return *agreed;
      // Some member is not there yet: wait for any change (each wait bounded, the whole by `seconds`).
      for (auto& w : watches) {
        if (w.has_changed()) break;
        (void)co_await with_timeout(w.changed(), std::chrono::milliseconds(20));
      }
    }
  };
  co_return co_await timeout_s(seconds, wait(), where);
}

// Every member follows the same leader and is bonded with all the others.
template <class M>
asio::awaitable<PeerId> agreed_leader(std::vector<groups::Group<M>> members, double seconds,
                                      std::source_location where = std::source_location::current()) {
  const auto others = members.size() - 1;
  co_return co_await agreed_leader_where(std::move(members), [](const PeerId&) { return true; }, others, seconds,
                                         where);
}

// The index in `members` of the one that leads (fails if none of them does).
template <class M>
std::size_t leader_index(const std::vector<groups::Group<M>>& members) {
  for (std::size_t i = 0; i < members.size(); ++i)
    if (members[i].is_leader()) return i;
  throw std::logic_error("no member leads");
}

// Offline means certainly not done: a member that just joined another incarnation, or one
// whose leader a loaded machine made lose an election, has none for a moment. As a client
// would, wait until it follows a leader and try again (a few times).
template <class M, class Op>
asio::awaitable<decltype(std::declval<Op>()().await_resume())> retrying_offline(const groups::Group<M>& member,
                                                                               Op op) {
  for (int attempt = 0;; ++attempt) {
    auto r = co_await timeout_s(10, op());
    if (r || !r.error().is_offline() || attempt == 4) co_return r;
    (void)co_await timeout_s(10, member.status_watch().wait_until(
                                     [](const groups::Status& s) { return s.leader.has_value(); }));
  }
}

}  // namespace mosaik::test
