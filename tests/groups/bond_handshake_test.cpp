// The bond handshake of /mosaik/groups/1 over real QUIC connections on loopback: both sides
// prove the group key on this TLS session, and every refusal reaches the initiator with the
// seed's close reason.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <future>

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
  GroupId group;
};

Outcome outcome_of(const std::expected<RawLink, BondRefused>& r) {
  if (r) return {true, 0, false, {}};
  return {false, r.error().reason.code(), r.error().remote, {}};
}

// An acceptor that runs accept_bond on the first link of each connection and reports it.
struct Acceptor {
  Endpoint endpoint;
  std::map<GroupId, GroupKey> groups;
  std::chrono::milliseconds timeout = 2s;
  std::promise<Outcome> result;
  std::vector<RawLink> bonds;  // kept open, as a group worker would
  std::optional<wire::Bytes> impostor_end;  // answer every Start with these bytes instead

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
    auto find = [this](const GroupId& id) -> std::optional<GroupKey> {
      auto it = groups.find(id);
      if (it == groups.end()) return std::nullopt;
      return it->second;
    };
    auto r = co_await accept_bond(std::move(*link), kNetwork, endpoint.id(), find, timeout);
    if (r) {
      bonds.push_back(r->link);
      result.set_value({true, 0, false, r->group});
    } else {
      result.set_value({false, r.error().reason.code(), r.error().remote, {}});
    }
  }
};

GroupId group_of(const GroupKey& key) { return derive_group_id(key, Digest("consensus"), Digest("machine"), Digest("sync")); }

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
  const auto got = initiate(client, server, {kNetwork, group_of(key), key, client_key.public_key()});
  EXPECT_TRUE(got.bonded) << "refused with " << got.code;
  const auto there = accepted(server);
  EXPECT_TRUE(there.bonded) << "refused with " << there.code;
  EXPECT_EQ(there.group, group_of(key));
}

TEST(BondHandshake, a_wrong_key_is_refused_with_invalid_proof_and_never_bonds) {
  const auto key = GroupKey::generate();
  const auto wrong = GroupKey::generate();
  Acceptor server(SecretKey::generate());
  server.groups.emplace(group_of(key), key);
  auto client_key = SecretKey::generate();
  auto client = bind_or_die(client_key);
  // The group id is public (it is in the catalog): only the key is missing.
  const auto got = initiate(client, server, {kNetwork, group_of(key), wrong, client_key.public_key()});
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
  const auto got = initiate(client, server, {kNetwork, group_of(key), key, SecretKey::generate().public_key()});
  EXPECT_EQ(got.code, close_reason::InvalidProof.code());
  EXPECT_EQ(accepted(server).code, close_reason::InvalidProof.code());
}

TEST(BondHandshake, an_unknown_group_is_refused_with_group_not_found) {
  const auto key = GroupKey::generate();
  Acceptor server(SecretKey::generate());
  auto client_key = SecretKey::generate();
  auto client = bind_or_die(client_key);
  const auto got = initiate(client, server, {kNetwork, group_of(key), key, client_key.public_key()});
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
  const auto got = initiate(client, server, {NetworkId("elsewhere"), group_of(key), key, client_key.public_key()});
  EXPECT_EQ(got.code, transport::close_reason::DifferentNetwork.code());
  EXPECT_EQ(accepted(server).code, transport::close_reason::DifferentNetwork.code());
}

// An acceptor that does not hold the key cannot answer with a valid proof: the initiator
// refuses it as the acceptor would refuse the initiator.
TEST(BondHandshake, an_acceptor_that_cannot_prove_the_key_is_refused_by_the_initiator) {
  const auto key = GroupKey::generate();
  Acceptor server(SecretKey::generate());
  server.impostor_end = wire::encode(HandshakeEnd{Digest::random()});
  auto client_key = SecretKey::generate();
  auto client = bind_or_die(client_key);
  const auto got = initiate(client, server, {kNetwork, group_of(key), key, client_key.public_key()});
  EXPECT_FALSE(got.bonded);
  EXPECT_EQ(got.code, close_reason::InvalidProof.code());
  EXPECT_FALSE(got.remote);

  Acceptor garbled(SecretKey::generate());
  garbled.impostor_end = wire::Bytes{0xC1};
  const auto undecodable = initiate(client, garbled, {kNetwork, group_of(key), key, client_key.public_key()});
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

}  // namespace
}  // namespace mosaik::groups::detail
