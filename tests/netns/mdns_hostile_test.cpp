// mDNS from a hostile host on the link: garbage datagrams, and DNS-SD records whose TXT
// breaks one rule of decode_txt each. The node ignores each record for its own reason (it
// says which at debug), keeps running, and still finds a real peer. Real processes in
// network namespaces, as netns_test.cpp.

#include <gtest/gtest.h>

#include <asio/this_coro.hpp>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "forged_mdns.hpp"
#include "mosaik/mosaik.hpp"
#include "netns.hpp"
#include "support/child_process.hpp"

namespace mosaik::test {
namespace mdns_hostile_test {
namespace {

const NetworkId kNetwork = "mdns-hostile-test";

struct Forgery {
  std::string instance;
  std::vector<std::string> txt;
  std::string reason;  // what the node must log for it
};

std::vector<Forgery> forgeries() {
  const std::string net = kNetwork.to_hex();
  const std::string id = SecretKey::from_seed("forged-peer").public_key().to_string();
  std::vector<std::string> too_many = {"v=1", "net=" + net, "id=" + id};
  for (int i = 0; i < 30; ++i) too_many.push_back(fmt::format("addr=10.79.0.2:{}", 1000 + i));
  return {
      {"forged-other-net",
       {"v=1", "net=" + NetworkId("another-network").to_hex(), "id=" + id, "addr=10.79.0.2:4001"},
       "another network"},
      {"forged-bad-addr", {"v=1", "net=" + net, "id=" + id, "addr=0.0.0.0:4001"}, "bad address"},
      {"forged-bad-id", {"v=1", "net=" + net, "id=zzz", "addr=10.79.0.2:4001"}, "bad peer id"},
      {"forged-no-version", {"net=" + net, "id=" + id, "addr=10.79.0.2:4001"}, "unknown format version"},
      {"forged-too-many", too_many, "too many TXT strings"},
  };
}

// Random bytes, a header that claims 65 535 answers it does not hold, and a name that is a
// compression pointer to itself.
std::vector<Datagram> garbage(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Datagram> out;
  // Few and small enough to fit the node's socket buffer at once (a burst that overflows
  // it would drop the forged records behind it, and prove nothing).
  for (int i = 0; i < 50; ++i) {
    Datagram d(rng() % 200);
    for (auto& b : d) b = static_cast<std::uint8_t>(rng());
    out.push_back(std::move(d));
  }
  out.push_back({0, 0, 0x84, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0});
  out.push_back({0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 120, 0, 0});
  return out;
}

asio::awaitable<std::string> printed_id(ChildProcess& node) {
  const auto line = co_await node.until_line("address: ", 10);
  co_return line.substr(line.find("address: ") + 9, 64);
}

std::vector<std::string> mdns_node_args() { return {MOSAIK_MDNS_NODE, "--network", "mdns-hostile-test"}; }

asio::awaitable<void> attack_then_meet(const NetNamespace& target_ns, const NetNamespace& attacker_ns,
                                       const NetNamespace& peer_ns) {
  auto ex = co_await asio::this_coro::executor;
  auto target = ChildProcess::spawn(ex, ip_binary(), target_ns.exec(mdns_node_args()),
                                    {{"MOSAIK_LOG", "info,mdns=debug"}});
  const auto target_id = co_await printed_id(target);
  // Sent before the node listens, the attack would prove nothing. It may say so before or
  // after its address line (output() holds every line read so far).
  if (target.output().find("mDNS: published") == std::string::npos) {
    (void)co_await target.until_line("mDNS: published", 5);
  }

  auto sender = MdnsSender::open(attacker_ns, "10.79.0.2");
  if (!sender) throw std::runtime_error(sender.error());
  const std::uint32_t seed = std::random_device{}();
  std::printf("garbage seed: %u\n", seed);
  for (const auto& d : garbage(seed)) (void)sender->send(d);
  // Delivered and refused by avahi's parser (else the garbage proved nothing).
  (void)co_await target.until_line("avahi: Received invalid packet", 5);
  std::vector<std::string> refusals;
  for (const auto& f : forgeries()) {
    EXPECT_TRUE(sender->send(dns_sd_announcement(f.instance, f.txt))) << f.instance;
    refusals.push_back(f.instance + ": " + f.reason);
  }
  co_await target.until_all(refusals, 5);

  // Still running, and still finding a real peer.
  auto peer = ChildProcess::spawn(ex, ip_binary(), peer_ns.exec(mdns_node_args()));
  const auto peer_id = co_await printed_id(peer);
  (void)co_await target.until_line("discovered: " + peer_id, 3);
  (void)co_await peer.until_line("discovered: " + target_id, 3);
  const auto forged_id = SecretKey::from_seed("forged-peer").public_key().to_string();
  EXPECT_EQ(target.output().find("discovered: " + forged_id), std::string::npos) << target.output();
}

TEST(NetNamespaces, mdns_ignores_garbage_and_each_malformed_record_and_still_finds_its_peer) {
  auto hub = NetNamespace::create("hostile-hub");
  ASSERT_TRUE(hub) << hub.error();
  auto bridge = hub->ip({"link", "add", "br0", "type", "bridge"});
  ASSERT_TRUE(bridge) << bridge.error();
  auto up = hub->ip({"link", "set", "br0", "up"});
  ASSERT_TRUE(up) << up.error();
  std::vector<NetNamespace> hosts;
  for (int i = 1; i <= 3; ++i) {
    auto ns = NetNamespace::create(fmt::format("hostile-{}", i));
    ASSERT_TRUE(ns) << ns.error();
    hosts.push_back(std::move(*ns));
    const std::string port = fmt::format("port{}", i);
    auto link = add_veth({hosts.back(), "eth0", fmt::format("10.79.0.{}/24", i)}, {*hub, port, ""});
    ASSERT_TRUE(link) << link.error();
    auto joined = hub->ip({"link", "set", port, "master", "br0"});
    ASSERT_TRUE(joined) << joined.error();
  }
  block_on(attack_then_meet(hosts[0], hosts[1], hosts[2]));
}

}  // namespace
}  // namespace mdns_hostile_test
}  // namespace mosaik::test
