// Nodes on hosts of their own (issue 14): each in a network namespace, joined only by veth
// links, as real OS processes started with `ip netns exec`. Needs root (CI is): when a
// namespace cannot be made, each test fails with the reason rather than passing.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>
#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mosaik/mosaik.hpp"
#include "netns.hpp"
#include "support/child_process.hpp"
#include "support/time.hpp"

namespace mosaik::test {
namespace netns_test {
namespace {

using Clock = std::chrono::steady_clock;

#ifdef MOSAIK_QUICKSTART
// The README's two-terminal quickstart across two hosts: the producer on its default bind
// (0.0.0.0:0) prints the address to give the consumer, and that address alone reaches it.
asio::awaitable<void> quickstart_across(const NetNamespace& producer_ns,
                                        const NetNamespace& consumer_ns) {
  auto ex = co_await asio::this_coro::executor;
  auto producer = ChildProcess::spawn(
      ex, ip_binary(),
      producer_ns.exec({MOSAIK_QUICKSTART, "--role", "producer", "--count", "0", "--interval-ms", "20"}));
  (void)co_await producer.until_line("run the consumer with", 10);
  const auto line = co_await producer.until_line("--peer", 5);
  const auto peer = line.substr(line.rfind(' ') + 1);
  // Advertised: the namespace's own interface address, never 0.0.0.0 or loopback.
  EXPECT_NE(peer.find("@10.77.0.1:"), std::string::npos) << peer;
  EXPECT_EQ(peer.find("0.0.0.0"), std::string::npos) << peer;
  EXPECT_EQ(peer.find("127.0.0.1"), std::string::npos) << peer;
  auto consumer = ChildProcess::spawn(
      ex, ip_binary(),
      consumer_ns.exec({MOSAIK_QUICKSTART, "--role", "consumer", "--peer", peer, "--count", "0"}));
  (void)co_await consumer.until_line("consumer: subscribed to producer", 15);
  (void)co_await consumer.until_line("consumer: received sensor", 5);
}

TEST(NetNamespaces, quickstart_producer_on_the_default_bind_streams_to_a_consumer_on_another_host) {
  auto producer_ns = NetNamespace::create("qs-producer");
  ASSERT_TRUE(producer_ns) << producer_ns.error();
  auto consumer_ns = NetNamespace::create("qs-consumer");
  ASSERT_TRUE(consumer_ns) << consumer_ns.error();
  auto link = add_veth({*producer_ns, "veth0", "10.77.0.1/24"}, {*consumer_ns, "veth0", "10.77.0.2/24"});
  ASSERT_TRUE(link) << link.error();
  block_on(quickstart_across(*producer_ns, *consumer_ns));
}
#endif

// The peer id a node printed in its "address: <id>@..." line.
asio::awaitable<std::string> printed_id(ChildProcess& node) {
  const auto line = co_await node.until_line("address: ", 10);
  co_return line.substr(line.find("address: ") + 9, 64);
}

// Every node's catalog gains the other two, within 3 s of the last node's start.
asio::awaitable<void> find_each_other(const std::vector<NetNamespace>& hosts) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<ChildProcess> nodes;
  nodes.reserve(hosts.size());
  for (const auto& ns : hosts) nodes.push_back(ChildProcess::spawn(ex, ip_binary(), ns.exec({MOSAIK_MDNS_NODE})));
  const auto started = Clock::now();
  std::vector<std::string> ids;
  for (auto& node : nodes) ids.push_back(co_await printed_id(node));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    std::vector<std::string> others;
    for (std::size_t j = 0; j < ids.size(); ++j) {
      if (j != i) others.push_back("discovered: " + ids[j]);
    }
    co_await nodes[i].until_all(others, 3);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  EXPECT_LE(took, secs(3)) << "all three found each other after " << took.count() << " ms";
  fmt::print("three nodes found each other by mDNS in {} ms\n", took.count());
  // Each leaves cleanly: mDNS torn down on the executor (in the asan preset: no leak).
  for (auto& node : nodes) node.signal(SIGTERM);
  for (auto& node : nodes) EXPECT_EQ(co_await node.exit_code(5), 0) << node.output();
}

TEST(NetNamespaces, three_nodes_on_a_bridge_find_each_other_by_mdns_within_3s_with_no_bootstrap_peer) {
  auto hub = NetNamespace::create("mdns-hub");
  ASSERT_TRUE(hub) << hub.error();
  auto bridge = hub->ip({"link", "add", "br0", "type", "bridge"});
  ASSERT_TRUE(bridge) << bridge.error();
  auto up = hub->ip({"link", "set", "br0", "up"});
  ASSERT_TRUE(up) << up.error();
  std::vector<NetNamespace> hosts;
  for (int i = 1; i <= 3; ++i) {
    auto ns = NetNamespace::create(fmt::format("mdns-{}", i));
    ASSERT_TRUE(ns) << ns.error();
    hosts.push_back(std::move(*ns));
    const std::string port = fmt::format("port{}", i);
    auto link = add_veth({hosts.back(), "eth0", fmt::format("10.78.0.{}/24", i)}, {*hub, port, ""});
    ASSERT_TRUE(link) << link.error();
    auto joined = hub->ip({"link", "set", port, "master", "br0"});
    ASSERT_TRUE(joined) << joined.error();
  }
  block_on(find_each_other(hosts));
}

// A node whose address set changes re-announces it: the other node hears the new address.
asio::awaitable<void> hear_new_address(const NetNamespace& changing_ns, const NetNamespace& listener_ns) {
  auto ex = co_await asio::this_coro::executor;
  auto changing = ChildProcess::spawn(ex, ip_binary(), changing_ns.exec({MOSAIK_MDNS_NODE}));
  const auto changing_id = co_await printed_id(changing);
  auto listener = ChildProcess::spawn(ex, ip_binary(), listener_ns.exec({MOSAIK_MDNS_NODE}),
                                      {{"MOSAIK_LOG", "info"}});
  const std::string found = "mDNS: found peer " + changing_id.substr(0, 10);  // logs the short id
  (void)co_await listener.until_line(found, 5);
  auto added = changing_ns.ip({"addr", "add", "10.80.0.11/24", "dev", "eth0"});
  if (!added) throw std::runtime_error(added.error());
  // The endpoint re-reads interfaces within 1 s; mDNS compares every 1 s and avahi announces;
  // discovery compares every 1 s and re-announces the signed entry, well before the periodic
  // refresh (announce_interval, 15 s) would carry it. Either may be heard first.
  const std::string entry = "entry addresses: " + changing_id;
  bool by_mdns = false, in_entry = false;
  const auto deadline = Clock::now() + secs(4);
  while (!(by_mdns && in_entry)) {
    const double left = std::chrono::duration<double>(deadline - Clock::now()).count();
    if (left <= 0) break;
    const auto line = co_await listener.until_line("10.80.0.11:", left);
    by_mdns = by_mdns || line.find(found) != std::string::npos;
    in_entry = in_entry || line.starts_with(entry);
  }
  EXPECT_TRUE(by_mdns) << "mDNS never named 10.80.0.11:\n" << listener.output();
  EXPECT_TRUE(in_entry) << "the peer entry never named 10.80.0.11:\n" << listener.output();
}

TEST(NetNamespaces, a_changed_address_set_is_re_announced_by_mdns_and_in_the_peer_entry) {
  auto a = NetNamespace::create("readdr-a");
  ASSERT_TRUE(a) << a.error();
  auto b = NetNamespace::create("readdr-b");
  ASSERT_TRUE(b) << b.error();
  auto link = add_veth({*a, "eth0", "10.80.0.1/24"}, {*b, "eth0", "10.80.0.2/24"});
  ASSERT_TRUE(link) << link.error();
  block_on(hear_new_address(*a, *b));
}

}  // namespace
}  // namespace netns_test
}  // namespace mosaik::test
