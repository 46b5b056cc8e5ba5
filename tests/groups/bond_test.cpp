// Bonds of /mosaik/groups/1 over real QUIC connections on loopback: the handshake (both
// sides prove the group key on this TLS session; every refusal reaches the initiator with
// the seed's close reason) and the bond after it (Raft relay, heartbeats, departure).
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <future>
#include <mutex>

#include "groups/bond/bond.hpp"
#include "groups/bond/handshake.hpp"
#include "groups/bond/proof.hpp"
#include "mosaik/groups/close_reasons.hpp"
#include "transport/transport_fixture.hpp"

namespace mosaik::groups::detail {
namespace {

using namespace std::chrono_literals;
using transport::Connection;
using transport::Endpoint;
using transport::RawLink;
using transport::test::bind_or_die;
using transport::test::run_on;

const NetworkId kNetwork = "bond-test";

struct Outcome {
  bool bonded = false;
  std::uint64_t code = 0;  // the refusal's close reason
  bool remote = false;
  GroupId group;  // the initiator's outcome: the acceptor's member id
  Digest member;  // the acceptor's outcome: the initiator's member id
};

Outcome outcome_of(const std::expected<Bonded, BondRefused>& r) {
  if (r) return {true, 0, false, r->peer_member};
  return {false, r.error().reason.code(), r.error().remote, {}};
}

// An acceptor that runs accept_bond on the first link of each connection and reports it.
// The endpoint is the last member: it is destroyed first, so a serve() still running on its
// loop never reaches a promise that is already gone.
struct Acceptor {
  std::map<GroupId, GroupKey> groups;
  const Digest member = Digest("acceptor-member");
  std::chrono::milliseconds timeout = 2s;
  std::promise<Outcome> result;
  std::promise<RawLink> accepted_link;
  std::vector<RawLink> bonds;  // kept open, as a group worker would
  std::optional<wire::Bytes> impostor_end;  // answer every Start with these bytes instead
  Endpoint endpoint;

  explicit Acceptor(SecretKey key) : endpoint(bind_or_die(key)) {
    endpoint.register_alpn(std::string(kAlpn), [this](Connection c) {
      auto executor = c.executor();
      asio::co_spawn(executor, serve(std::move(c)), asio::detached);
    });
  }
  asio::awaitable<void> serve(Connection c) {
    auto link = co_await c.accept_link(kMaxHandshakeFrame);
    if (!link) co_return;
    if (impostor_end) {
      (void)co_await link->recv_frame();
      (void)co_await link->send_frame(*impostor_end);
      bonds.push_back(*link);
      co_return;
    }
    auto find = [this](const GroupId& id) -> std::optional<LocalMembership> {
      auto it = groups.find(id);
      if (it == groups.end()) return std::nullopt;
      return LocalMembership{it->second, member};
    };
    auto r = co_await accept_bond(std::move(*link), kNetwork, endpoint.id(), find, timeout);
    if (r) {
      bonds.push_back(r->link);
      accepted_link.set_value(r->link);
      result.set_value({true, 0, false, r->group, r->peer_member});
    } else {
      result.set_value({false, r.error().reason.code(), r.error().remote, {}});
    }
  }
};

GroupId group_of(const GroupKey& key) { return derive_group_id(key, Digest("consensus"), Digest("machine"), Digest("sync")); }

// The initiator's side of a successful handshake: its stream, on the client's loop.
std::optional<RawLink> bonded_link(Endpoint& client, Acceptor& server, BondTerms terms) {
  auto op = [&]() -> asio::awaitable<std::optional<RawLink>> {
    auto conn = co_await client.connect(server.endpoint.addr(), std::string(kAlpn));
    if (!conn) co_return std::nullopt;
    auto r = co_await initiate_bond(*conn, terms, 2s);
    if (!r) co_return std::nullopt;
    co_return r->link;
  };
  return run_on(client, op(), 20);
}

Outcome initiate(Endpoint& client, Acceptor& server, BondTerms terms) {
  auto op = [&]() -> asio::awaitable<Outcome> {
    auto conn = co_await client.connect(server.endpoint.addr(), std::string(kAlpn));
    if (!conn) co_return Outcome{false, 1, false, {}};
    auto r = co_await initiate_bond(*conn, terms, 2s);
    co_return outcome_of(r);
  };
  return run_on(client, op(), 20);
}

Outcome accepted(Acceptor& server) {
  auto f = server.result.get_future();
  if (f.wait_for(20s) != std::future_status::ready) return {false, 999, false, {}};
  return f.get();
}

TEST(BondHandshake, members_holding_the_key_bond_and_both_sides_know_the_group) {
  const auto key = GroupKey::generate();
  Acceptor server(SecretKey::generate());
  server.groups.emplace(group_of(key), key);
  auto client_key = SecretKey::generate();
  auto client = bind_or_die(client_key);
  const auto got = initiate(client, server, {kNetwork, group_of(key), key, client_key.public_key(), Digest("mine")});
  EXPECT_TRUE(got.bonded) << "refused with " << got.code;
  EXPECT_EQ(got.group, server.member) << "the acceptor's member id";
  const auto there = accepted(server);
  EXPECT_TRUE(there.bonded) << "refused with " << there.code;
  EXPECT_EQ(there.group, group_of(key));
  EXPECT_EQ(there.member, Digest("mine"));
}

TEST(BondHandshake, a_wrong_key_is_refused_with_invalid_proof_and_never_bonds) {
  const auto key = GroupKey::generate();
  const auto wrong = GroupKey::generate();
  Acceptor server(SecretKey::generate());
  server.groups.emplace(group_of(key), key);
  auto client_key = SecretKey::generate();
  auto client = bind_or_die(client_key);
  // The group id is public (it is in the catalog): only the key is missing.
  const auto got = initiate(client, server, {kNetwork, group_of(key), wrong, client_key.public_key(), Digest("mine")});
  EXPECT_FALSE(got.bonded);
  EXPECT_EQ(got.code, close_reason::InvalidProof.code());
  EXPECT_TRUE(got.remote);
  const auto there = accepted(server);
  EXPECT_FALSE(there.bonded);
  EXPECT_EQ(there.code, close_reason::InvalidProof.code());
}

TEST(BondHandshake, a_proof_made_for_another_peer_id_is_refused) {
  const auto key = GroupKey::generate();
  Acceptor server(SecretKey::generate());
  server.groups.emplace(group_of(key), key);
  auto client = bind_or_die(SecretKey::generate());
  // Claims to be someone else: the proof names the wrong prover.
  const auto got = initiate(client, server, {kNetwork, group_of(key), key, SecretKey::generate().public_key(), Digest("mine")});
  EXPECT_EQ(got.code, close_reason::InvalidProof.code());
  EXPECT_EQ(accepted(server).code, close_reason::InvalidProof.code());
}

TEST(BondHandshake, an_unknown_group_is_refused_with_group_not_found) {
  const auto key = GroupKey::generate();
  Acceptor server(SecretKey::generate());
  auto client_key = SecretKey::generate();
  auto client = bind_or_die(client_key);
  const auto got = initiate(client, server, {kNetwork, group_of(key), key, client_key.public_key(), Digest("mine")});
  EXPECT_EQ(got.code, close_reason::GroupNotFound.code());
  EXPECT_TRUE(got.remote);
  EXPECT_EQ(accepted(server).code, close_reason::GroupNotFound.code());
}

TEST(BondHandshake, another_network_is_refused_with_different_network) {
  const auto key = GroupKey::generate();
  Acceptor server(SecretKey::generate());
  server.groups.emplace(group_of(key), key);
  auto client_key = SecretKey::generate();
  auto client = bind_or_die(client_key);
  const auto got = initiate(client, server, {NetworkId("elsewhere"), group_of(key), key, client_key.public_key(), Digest("mine")});
  EXPECT_EQ(got.code, transport::close_reason::DifferentNetwork.code());
  EXPECT_EQ(accepted(server).code, transport::close_reason::DifferentNetwork.code());
}

// An acceptor that does not hold the key cannot answer with a valid proof: the initiator
// refuses it as the acceptor would refuse the initiator.
TEST(BondHandshake, an_acceptor_that_cannot_prove_the_key_is_refused_by_the_initiator) {
  const auto key = GroupKey::generate();
  Acceptor server(SecretKey::generate());
  server.impostor_end = wire::encode(HandshakeEnd{Digest("impostor"), Digest::random()});
  auto client_key = SecretKey::generate();
  auto client = bind_or_die(client_key);
  const auto got = initiate(client, server, {kNetwork, group_of(key), key, client_key.public_key(), Digest("mine")});
  EXPECT_FALSE(got.bonded);
  EXPECT_EQ(got.code, close_reason::InvalidProof.code());
  EXPECT_FALSE(got.remote);

  Acceptor garbled(SecretKey::generate());
  garbled.impostor_end = wire::Bytes{0xC1};
  const auto undecodable = initiate(client, garbled, {kNetwork, group_of(key), key, client_key.public_key(), Digest("mine")});
  EXPECT_EQ(undecodable.code, close_reason::InvalidHandshake.code());
}

// Sends raw bytes as the first frame(s) of a bond stream and returns how the acceptor ended it.
Outcome raw_start(Endpoint& client, Acceptor& server, wire::Bytes framed) {
  auto op = [&]() -> asio::awaitable<Outcome> {
    auto conn = co_await client.connect(server.endpoint.addr(), std::string(kAlpn));
    if (!conn) co_return Outcome{false, 1, false, {}};
    auto link = co_await conn->open_link(kMaxHandshakeFrame);
    if (!link) co_return Outcome{false, 2, false, {}};
    auto sent = co_await link->send_framed(std::move(framed));
    if (!sent) co_return Outcome{false, 3, false, {}};
    auto answer = co_await link->recv_frame();
    if (answer) co_return Outcome{true, 0, false, {}};
    co_return Outcome{false, answer.error().reason.code(), answer.error().remote, {}};
  };
  return run_on(client, op(), 20);
}

TEST(BondHandshake, garbage_instead_of_a_handshake_is_refused_with_invalid_handshake) {
  Acceptor server(SecretKey::generate());
  auto client = bind_or_die(SecretKey::generate());
  const wire::Bytes framed{0, 0, 0, 3, 0xC1, 0xFF, 0x00};  // a 3-byte frame that is not msgpack
  const auto got = raw_start(client, server, framed);
  EXPECT_EQ(got.code, close_reason::InvalidHandshake.code());
  EXPECT_TRUE(got.remote);
  EXPECT_EQ(accepted(server).code, close_reason::InvalidHandshake.code());
}

TEST(BondHandshake, an_initiator_that_stalls_mid_handshake_is_closed_with_timeout) {
  Acceptor server(SecretKey::generate());
  server.timeout = 300ms;
  auto client = bind_or_die(SecretKey::generate());
  const wire::Bytes framed{0, 0, 0, 100, 0x93};  // announces 100 bytes, sends one
  const auto got = raw_start(client, server, framed);
  EXPECT_EQ(got.code, close_reason::Timeout.code());
  EXPECT_EQ(accepted(server).code, close_reason::Timeout.code());
}

TEST(BondHandshake, an_oversized_first_frame_is_refused_without_reading_it) {
  Acceptor server(SecretKey::generate());
  auto client = bind_or_die(SecretKey::generate());
  wire::Bytes framed{0, 0, 0x10, 0};  // 4 KiB announced, beyond kMaxHandshakeFrame
  framed.resize(framed.size() + 4096, 0x90);
  const auto got = raw_start(client, server, framed);
  EXPECT_FALSE(got.bonded);
  EXPECT_EQ(got.code, transport::close_reason::ProtocolViolation.code());
  const auto there = accepted(server);
  EXPECT_FALSE(there.bonded);
  EXPECT_EQ(there.code, transport::close_reason::ProtocolViolation.code());
}

TEST(BondProof, is_bound_to_the_session_the_group_the_role_and_both_peers) {
  const auto key = GroupKey::generate();
  Exported a{}, b{};
  b[0] = 1;
  const auto p = SecretKey::generate().public_key(), q = SecretKey::generate().public_key();
  const auto base = bond_proof(a, key, p, q);
  EXPECT_TRUE(proofs_equal(base, bond_proof(a, key, p, q)));
  EXPECT_FALSE(proofs_equal(base, bond_proof(b, key, p, q))) << "another session";
  EXPECT_FALSE(proofs_equal(base, bond_proof(a, key, q, p))) << "the other side's proof";
  EXPECT_FALSE(proofs_equal(base, bond_proof(a, GroupKey::generate(), p, q))) << "another key";
}

TEST(GroupKey, round_trips_through_hex_and_refuses_bad_input) {
  const auto key = GroupKey::generate();
  auto back = GroupKey::from_hex(key.expose_secret_hex());
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(*back == key);
  EXPECT_EQ(GroupKey::from_hex("abc").error(), KeyError::kInvalidLength);
  EXPECT_EQ(GroupKey::from_hex(std::string(64, 'g')).error(), KeyError::kInvalidHex);
  EXPECT_FALSE(GroupKey::from_slice(std::vector<std::uint8_t>(31)).has_value());
  EXPECT_FALSE(key == GroupKey::generate());
}

TEST(GroupId, differs_with_the_key_the_consensus_config_and_either_signature) {
  const auto key = GroupKey::generate();
  const auto id = derive_group_id(key, Digest("c"), Digest("m"), Digest("s"));
  EXPECT_EQ(id, derive_group_id(key, Digest("c"), Digest("m"), Digest("s")));
  EXPECT_NE(id, derive_group_id(GroupKey::generate(), Digest("c"), Digest("m"), Digest("s")));
  EXPECT_NE(id, derive_group_id(key, Digest("c2"), Digest("m"), Digest("s")));
  EXPECT_NE(id, derive_group_id(key, Digest("c"), Digest("m2"), Digest("s")));
  EXPECT_NE(id, derive_group_id(key, Digest("c"), Digest("m"), Digest("s2")));
  EXPECT_NE(id, key.hashed()) << "the id is more than the key";
}

// ---- the bond after the handshake

struct Ends {
  std::promise<std::pair<BondEnd, std::uint64_t>> down;
  std::mutex mutex;
  std::vector<wire::Bytes> raft;
  std::promise<void> got_all;
  std::size_t expect = 0;

  BondEvents events() {
    return BondEvents{[this](wire::Bytes b) {
                        std::lock_guard lock(mutex);
                        raft.push_back(std::move(b));
                        if (raft.size() == expect) got_all.set_value();
                      },
                      [this](BondEnd why, const transport::CloseReason& r) { down.set_value({why, r.code()}); }};
  }
};

BondSettings fast_settings() {
  BondSettings s;
  s.heartbeat_interval = 50ms;
  s.heartbeat_jitter = 10ms;
  s.max_missed = 4;
  return s;
}

std::function<std::uint64_t()> counter_random() {
  auto n = std::make_shared<std::uint64_t>(0);
  return [n] { return (*n += 0x9E3779B97F4A7C15ull); };
}

// Two endpoints with a bond stream between them; bonds are started by each test.
struct BondPair {
  GroupKey key = GroupKey::generate();
  SecretKey client_key = SecretKey::generate();
  SecretKey server_key = SecretKey::generate();
  Acceptor server{server_key};
  Endpoint client = bind_or_die(client_key);
  RawLink client_link{nullptr};
  RawLink server_link{nullptr};

  BondPair() {
    server.groups.emplace(group_of(key), key);
    auto link = bonded_link(client, server, {kNetwork, group_of(key), key, client_key.public_key(), Digest("c")});
    if (!link) throw std::runtime_error("handshake failed");
    client_link = *link;
    auto f = server.accepted_link.get_future();
    if (f.wait_for(20s) != std::future_status::ready) throw std::runtime_error("no accepted link");
    server_link = f.get();
  }
  // Starts a bond on `ep`'s loop and returns it.
  std::shared_ptr<Bond> start(Endpoint& ep, RawLink link, PeerId peer, Ends& ends, BondSettings s = fast_settings()) {
    auto op = [&]() -> asio::awaitable<std::shared_ptr<Bond>> {
      co_return Bond::start(link, peer, s, ends.events(), counter_random());
    };
    return run_on(ep, op(), 10);
  }
  template <class F>
  void on(Endpoint& ep, F f) {
    auto op = [&]() -> asio::awaitable<bool> {
      f();
      co_return true;
    };
    (void)run_on(ep, op(), 10);
  }
};

template <class T>
bool ready_within(std::future<T>& f, std::chrono::milliseconds d) {
  return f.wait_for(d) == std::future_status::ready;
}

TEST(Bond, relays_raft_messages_in_order_both_ways_and_heartbeats_keep_it_up) {
  BondPair p;
  Ends at_client, at_server;
  at_client.expect = 50;
  at_server.expect = 50;
  auto c = p.start(p.client, p.client_link, p.server_key.public_key(), at_client);
  auto s = p.start(p.server.endpoint, p.server_link, p.client_key.public_key(), at_server);
  p.on(p.client, [&] {
    for (std::uint8_t i = 0; i < 50; ++i) c->send_raft(wire::Bytes{i, 1});
  });
  p.on(p.server.endpoint, [&] {
    for (std::uint8_t i = 0; i < 50; ++i) s->send_raft(wire::Bytes{i, 2});
  });
  auto all_c = at_client.got_all.get_future();
  auto all_s = at_server.got_all.get_future();
  ASSERT_TRUE(ready_within(all_c, 10s));
  ASSERT_TRUE(ready_within(all_s, 10s));
  for (std::uint8_t i = 0; i < 50; ++i) {
    EXPECT_EQ(at_client.raft[i], (wire::Bytes{i, 2}));
    EXPECT_EQ(at_server.raft[i], (wire::Bytes{i, 1}));
  }
  // Ten heartbeat intervals later, both sides still hold the bond.
  auto down_c = at_client.down.get_future();
  EXPECT_FALSE(ready_within(down_c, 500ms)) << "a live bond went down";
  p.on(p.client, [&] { c->close(transport::close_reason::GracefulShutdown); });
  auto down_s = at_server.down.get_future();
  ASSERT_TRUE(ready_within(down_s, 10s));
}

TEST(Bond, a_departure_reaches_the_peer_at_once_and_both_ends_close) {
  BondPair p;
  Ends at_client, at_server;
  BondSettings slow = fast_settings();
  slow.heartbeat_interval = 2s;  // the departure, not a heartbeat timeout, must end it
  auto c = p.start(p.client, p.client_link, p.server_key.public_key(), at_client, slow);
  auto s = p.start(p.server.endpoint, p.server_link, p.client_key.public_key(), at_server, slow);
  const auto t0 = std::chrono::steady_clock::now();
  p.on(p.client, [&] { c->depart(); });
  auto down_s = at_server.down.get_future();
  ASSERT_TRUE(ready_within(down_s, 10s));
  EXPECT_EQ(down_s.get().first, BondEnd::Departed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  auto down_c = at_client.down.get_future();
  ASSERT_TRUE(ready_within(down_c, 10s));
  EXPECT_EQ(down_c.get(), (std::pair{BondEnd::Local, transport::close_reason::GracefulShutdown.code()}));
}

TEST(Bond, a_peer_that_never_answers_is_dropped_after_max_missed_heartbeats_with_timeout) {
  BondPair p;
  Ends at_client;
  // The server side runs no bond: nothing answers the pings.
  auto c = p.start(p.client, p.client_link, p.server_key.public_key(), at_client);
  auto down = at_client.down.get_future();
  ASSERT_TRUE(ready_within(down, 10s));
  EXPECT_EQ(down.get(), (std::pair{BondEnd::Silent, close_reason::Timeout.code()}));
  // The silent side learns why its bond stream ended.
  auto why = run_on(p.server.endpoint, [&]() -> asio::awaitable<std::uint64_t> {
    for (;;) {
      auto f = co_await p.server_link.recv_frame();
      if (!f) co_return f.error().reason.code();
    }
  }(), 10);
  EXPECT_EQ(why, close_reason::Timeout.code());
}

TEST(Bond, a_frame_that_is_no_bond_message_closes_the_bond_with_protocol_violation) {
  BondPair p;
  Ends at_client;
  BondSettings fixed = fast_settings();
  fixed.heartbeat_jitter = 0ms;  // jitter 0 is valid: a fixed interval
  auto c = p.start(p.client, p.client_link, p.server_key.public_key(), at_client, fixed);
  auto garbage = [&](wire::Bytes frame) {
    return run_on(p.server.endpoint, [&]() -> asio::awaitable<bool> {
      co_return (co_await p.server_link.send_frame(frame)).has_value();
    }(), 10);
  };
  ASSERT_TRUE(garbage(wire::encode(BondMessage{9, 0, {}})));  // a kind that does not exist
  auto down = at_client.down.get_future();
  ASSERT_TRUE(ready_within(down, 10s));
  EXPECT_EQ(down.get(), (std::pair{BondEnd::Violation, transport::close_reason::ProtocolViolation.code()}));
}

TEST(Bond, a_peer_whose_connection_dies_ends_the_bond_as_closed) {
  BondPair p;
  Ends at_client, at_server;
  auto c = p.start(p.client, p.client_link, p.server_key.public_key(), at_client);
  auto s = p.start(p.server.endpoint, p.server_link, p.client_key.public_key(), at_server);
  p.on(p.server.endpoint, [&] { p.server_link.connection().close(transport::close_reason::Cancelled); });
  auto down = at_client.down.get_future();
  ASSERT_TRUE(ready_within(down, 10s));
  EXPECT_EQ(down.get().first, BondEnd::Closed);
}

}  // namespace
}  // namespace mosaik::groups::detail
