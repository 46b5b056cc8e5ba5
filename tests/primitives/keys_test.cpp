#include "mosaik/primitives/keys.hpp"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/format.hpp"
#include "mosaik/primitives/wire.hpp"

namespace mosaik {
namespace keys_test {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Keys, generated_keys_are_distinct) {
  EXPECT_NE(SecretKey::generate().public_key(), SecretKey::generate().public_key());
}

TEST(Keys, from_seed_is_reproducible_and_uses_the_digest_of_the_text) {
  const auto a = SecretKey::from_seed("my-bootstrap-1");
  const auto b = SecretKey::from_seed("my-bootstrap-1");
  EXPECT_EQ(a.public_key(), b.public_key());
  EXPECT_NE(a.public_key(), SecretKey::from_seed("my-bootstrap-2").public_key());
  EXPECT_EQ(a.expose_secret_bytes(), Digest("my-bootstrap-1").as_bytes());
}

TEST(Keys, sign_and_verify) {
  const auto sk = SecretKey::generate();
  const auto msg = bytes_of("announce");
  const Signature sig = sk.sign(msg);
  EXPECT_TRUE(sk.public_key().verify(msg, sig));
}

// Checked after the good one, which the process remembers as good (keys.cpp): what it
// remembers covers the key, the signature and the message, each.
TEST(Keys, verify_fails_for_other_message_key_or_tampered_signature) {
  const auto sk = SecretKey::generate();
  const auto msg = bytes_of("announce");
  const Signature sig = sk.sign(msg);
  EXPECT_TRUE(sk.public_key().verify(msg, sig));
  EXPECT_FALSE(sk.public_key().verify(bytes_of("announcE"), sig));
  EXPECT_FALSE(SecretKey::generate().public_key().verify(msg, sig));
  auto raw = sig.as_bytes();
  raw[10] ^= 0x01;
  EXPECT_FALSE(sk.public_key().verify(msg, Signature::from_bytes(raw)));
}

TEST(Keys, secret_key_round_trips_through_bytes_and_text) {
  const auto sk = SecretKey::generate();
  const auto& raw = sk.expose_secret_bytes();
  EXPECT_EQ(SecretKey::from_slice(raw).value(), sk);
  EXPECT_EQ(SecretKey::parse(sk.expose_secret_hex()).value(), sk);
  EXPECT_EQ(SecretKey::from_bytes(raw).public_key(), sk.public_key());
}

TEST(Keys, wrong_key_lengths_are_refused) {
  std::vector<std::uint8_t> b31(31), b33(33), b63(63);
  EXPECT_EQ(SecretKey::from_slice(b31).error(), KeyError::kInvalidLength);
  EXPECT_EQ(SecretKey::from_slice(b33).error(), KeyError::kInvalidLength);
  EXPECT_EQ(PeerId::from_slice(b31).error(), KeyError::kInvalidLength);
  EXPECT_EQ(Signature::from_slice(b63).error(), KeyError::kInvalidLength);
  EXPECT_EQ(SecretKey::parse("abcd").error(), KeyError::kInvalidLength);
  EXPECT_EQ(PeerId::parse(std::string(63, 'a')).error(), KeyError::kInvalidLength);
}

TEST(Keys, invalid_hex_is_refused) {
  EXPECT_EQ(PeerId::parse(std::string(63, 'a') + "x").error(), KeyError::kInvalidHex);
  EXPECT_EQ(SecretKey::parse(std::string(64, 'z')).error(), KeyError::kInvalidHex);
  EXPECT_FALSE(to_string(KeyError::kInvalidHex).empty());
}

TEST(Keys, a_public_key_that_is_not_a_curve_point_is_refused) {
  // All-zero bytes encode a small-order point: useless as an identity.
  std::vector<std::uint8_t> zeros(32, 0);
  EXPECT_EQ(PeerId::from_slice(zeros).error(), KeyError::kInvalidPublicKey);
  EXPECT_EQ(PeerId::parse(std::string(64, '0')).error(), KeyError::kInvalidPublicKey);
}

TEST(Keys, peer_id_prints_and_parses_back) {
  const PeerId id = SecretKey::generate().public_key();
  EXPECT_EQ(id.to_string().size(), 64u);
  EXPECT_EQ(PeerId::parse(id.to_string()).value(), id);
  EXPECT_EQ(fmt::format("{}", id), id.to_string().substr(0, 10));
}

TEST(Keys, secret_keys_never_print) {
  const auto sk = SecretKey::from_seed("s");
  EXPECT_EQ(fmt::format("{}", sk), "<redacted>");
  EXPECT_EQ(fmt::format("{}", Redacted(sk)), "<redacted>");
  EXPECT_EQ(fmt::format("{}", sk).find(sk.expose_secret_hex().substr(0, 8)), std::string::npos);
}

TEST(Keys, msgpack_round_trips) {
  const auto sk = SecretKey::generate();
  const auto sig = sk.sign(bytes_of("m"));
  EXPECT_EQ(wire::decode<PeerId>(wire::encode(sk.public_key())).value(), sk.public_key());
  EXPECT_EQ(wire::decode<Signature>(wire::encode(sig)).value(), sig);
  EXPECT_EQ(wire::decode<SecretKey>(wire::encode(sk)).value(), sk);
}

TEST(Keys, msgpack_refuses_invalid_keys) {
  wire::Bytes zero_key = {0xc4, 32};
  zero_key.resize(34, 0);
  EXPECT_EQ(wire::decode<PeerId>(zero_key).error().code, wire::DecodeErrc::kTypeMismatch);
  const wire::Bytes short_sig = {0xc4, 0x01, 0x00};
  EXPECT_EQ(wire::decode<Signature>(short_sig).error().code, wire::DecodeErrc::kTypeMismatch);
  EXPECT_EQ(wire::decode<SecretKey>(short_sig).error().code, wire::DecodeErrc::kTypeMismatch);
}

TEST(Keys, peer_ids_hash_and_order) {
  std::unordered_set<PeerId> ids;
  for (int i = 0; i < 100; ++i) ids.insert(SecretKey::from_seed(std::to_string(i)).public_key());
  EXPECT_EQ(ids.size(), 100u);
  const auto a = SecretKey::from_seed("a").public_key(), b = SecretKey::from_seed("b").public_key();
  EXPECT_TRUE((a < b) != (b < a));
}

}  // namespace
}  // namespace keys_test
}  // namespace mosaik
