#include "mosaik/primitives/digest.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "mosaik/primitives/wire.hpp"

namespace mosaik {
namespace digest_test {
namespace {

constexpr std::string_view kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(Digest, string_is_hashed_with_blake3) {
  const Digest d = "validator";
  EXPECT_EQ(d.as_bytes(), blake3::hash(std::string_view("validator")));
}

TEST(Digest, sixty_four_hex_characters_decode_directly) {
  const Digest d = kHex;
  EXPECT_EQ(d.to_hex(), kHex);
  EXPECT_EQ(d.as_bytes()[0], 0x01);
  EXPECT_EQ(d.as_bytes()[31], 0xef);
}

TEST(Digest, uppercase_hex_decodes_to_the_same_bytes) {
  std::string upper(kHex);
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(Digest(upper), Digest(kHex));
}

TEST(Digest, almost_hex_strings_are_hashed_not_decoded) {
  const std::string short_hex(kHex.substr(0, 62));
  const std::string bad_char = std::string(kHex.substr(0, 63)) + "g";
  EXPECT_EQ(Digest(short_hex).as_bytes(), blake3::hash(std::string_view(short_hex)));
  EXPECT_EQ(Digest(bad_char).as_bytes(), blake3::hash(std::string_view(bad_char)));
}

TEST(Digest, unique_id_is_a_compile_time_constant_equal_to_the_runtime_value) {
  constexpr UniqueId k = unique_id("my-stream-name");
  constexpr UniqueId h = unique_id(kHex);
  static_assert(!k.is_zero());
  static_assert(h.as_bytes()[0] == 0x01);
  EXPECT_EQ(k, Digest(std::string("my-stream-name")));
  EXPECT_EQ(h, Digest(std::string(kHex)));
}

TEST(Digest, from_u64_hashes_the_little_endian_bytes) {
  const std::array<std::uint8_t, 8> le = {42, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(Digest::from_u64(42).as_bytes(), blake3::hash(le));
  EXPECT_NE(Digest::from_u64(42), Digest::from_u64(43));
  static_assert(Digest::from_u64(7) == Digest::from_u64(7));
}

TEST(Digest, from_parts_hashes_the_concatenation) {
  EXPECT_EQ(Digest::from_parts({"prefix", "suffix"}), Digest("prefixsuffix"));
  EXPECT_NE(Digest::from_parts({"prefix", "suffix"}), Digest::from_parts({"suffix", "prefix"}));
}

TEST(Digest, derive_is_deterministic_and_depends_on_parent_and_child) {
  const Digest parent = "parent";
  EXPECT_EQ(parent.derive("child"), parent.derive("child"));
  EXPECT_NE(parent.derive("child"), parent.derive("other"));
  EXPECT_NE(parent.derive("child"), Digest("other-parent").derive("child"));
  EXPECT_NE(parent.derive("child"), parent);
  std::vector<std::uint8_t> input(parent.as_bytes().begin(), parent.as_bytes().end());
  for (char c : std::string_view("child")) input.push_back(static_cast<std::uint8_t>(c));
  EXPECT_EQ(parent.derive("child").as_bytes(), blake3::hash(input));
  EXPECT_EQ(parent.derive(Digest("x")), parent.derive(Digest("x")));
}

TEST(Digest, random_values_differ_and_zero_is_all_zero_bytes) {
  EXPECT_NE(Digest::random(), Digest::random());
  EXPECT_TRUE(Digest::zero().is_zero());
  EXPECT_EQ(Digest::zero().to_hex(), std::string(64, '0'));
  EXPECT_FALSE(Digest::random().is_zero());
}

TEST(Digest, from_bytes_and_from_slice) {
  Digest::Bytes raw{};
  raw[5] = 9;
  EXPECT_EQ(Digest::from_bytes(raw).as_bytes(), raw);
  std::vector<std::uint8_t> ok(raw.begin(), raw.end());
  EXPECT_EQ(Digest::from_slice(ok).value().as_bytes(), raw);
}

TEST(Digest, from_slice_refuses_wrong_lengths) {
  std::vector<std::uint8_t> short_bytes(31), long_bytes(33), empty;
  EXPECT_EQ(Digest::from_slice(short_bytes).error(), DigestError::kInvalidLength);
  EXPECT_EQ(Digest::from_slice(long_bytes).error(), DigestError::kInvalidLength);
  EXPECT_EQ(Digest::from_slice(empty).error(), DigestError::kInvalidLength);
}

TEST(Digest, from_hex_is_strict) {
  EXPECT_EQ(Digest::from_hex(kHex).value(), Digest(kHex));
  EXPECT_EQ(Digest::from_hex("abc").error(), DigestError::kInvalidLength);
  EXPECT_EQ(Digest::from_hex(std::string(kHex.substr(0, 63)) + "z").error(),
            DigestError::kInvalidHex);
  EXPECT_FALSE(to_string(DigestError::kInvalidHex).empty());
}

TEST(Digest, ordering_is_bytewise) {
  Digest::Bytes a{}, b{};
  a[0] = 1;
  b[0] = 2;
  EXPECT_LT(Digest::from_bytes(a), Digest::from_bytes(b));
  std::set<Digest> ordered = {Digest::from_bytes(b), Digest::from_bytes(a)};
  EXPECT_EQ(*ordered.begin(), Digest::from_bytes(a));
}

TEST(Digest, usable_in_unordered_containers) {
  std::unordered_set<Digest> set;
  for (int i = 0; i < 1000; ++i) set.insert(Digest::from_u64(static_cast<std::uint64_t>(i)));
  set.insert(Digest::from_u64(5));
  EXPECT_EQ(set.size(), 1000u);
  EXPECT_TRUE(set.contains(Digest::from_u64(999)));
}

TEST(Digest, formats_short_hex_and_to_hex_gives_all) {
  const Digest d = kHex;
  EXPECT_EQ(fmt::format("{}", d), "0123456789");
  EXPECT_EQ(d.to_hex().size(), 64u);
}

TEST(Digest, msgpack_encodes_32_raw_bytes) {
  const Digest d = "x";
  const wire::Bytes bytes = wire::encode(d);
  ASSERT_EQ(bytes.size(), 34u);  // bin8 marker, length, 32 bytes
  EXPECT_EQ(bytes[0], 0xc4);
  EXPECT_EQ(bytes[1], 32);
  EXPECT_TRUE(std::equal(d.as_bytes().begin(), d.as_bytes().end(), bytes.begin() + 2));
  EXPECT_EQ(wire::decode<Digest>(bytes).value(), d);
}

TEST(Digest, msgpack_refuses_wrong_length_or_type) {
  const wire::Bytes short_bin = {0xc4, 0x02, 0x01, 0x02};
  const wire::Bytes a_string = wire::encode(std::string(32, 'a'));
  EXPECT_EQ(wire::decode<Digest>(short_bin).error().code, wire::DecodeErrc::kTypeMismatch);
  EXPECT_EQ(wire::decode<Digest>(a_string).error().code, wire::DecodeErrc::kTypeMismatch);
}

}  // namespace
}  // namespace digest_test
}  // namespace mosaik
