// mosaik's BLAKE3 against the official test vectors (tests/data/blake3_test_vectors.json):
// every case in all three modes, the full extended output, the default 32-byte output, and
// incremental updates split at block and chunk boundaries.

#include <mosaik/primitives/blake3.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "blake3_vectors.hpp"

namespace blake3_test {
namespace {

namespace blake3 = mosaik::blake3;
using mosaik::test::Blake3Case;
using mosaik::test::Blake3Vectors;
using Bytes = std::vector<std::uint8_t>;

// ---- compile time: hashing is constexpr -------------------------------------------------

constexpr blake3::Output parse_hex32(std::string_view hex) {
  blake3::Output out{};
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  }
  return out;
}

template <std::size_t N>
constexpr std::array<std::uint8_t, N> vector_input() {
  std::array<std::uint8_t, N> in{};
  for (std::size_t i = 0; i < N; ++i) in[i] = static_cast<std::uint8_t>(i % 251);
  return in;
}

constexpr blake3::Key kVectorKey = [] {
  blake3::Key key{};
  std::string_view text = "whats the Elvish word for friend";
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(text[i]);
  return key;
}();
constexpr std::string_view kVectorContext = "BLAKE3 2019-12-27 16:29:52 test vectors context";

// The first 32 bytes of official vectors (cases 0, 1 and 1025), and BLAKE3("abc").
static_assert(blake3::hash(std::string_view{"abc"}) ==
              parse_hex32("6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"));
static_assert(blake3::hash(std::span<const std::uint8_t>{}) ==
              parse_hex32("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"));
static_assert(blake3::hash(vector_input<1>()) ==
              parse_hex32("2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"));
static_assert(blake3::hash(vector_input<1025>()) ==
              parse_hex32("d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"));
static_assert(blake3::keyed_hash(kVectorKey, std::span<const std::uint8_t>{}) ==
              parse_hex32("92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26"));
static_assert(blake3::derive_key(kVectorContext, std::span<const std::uint8_t>{}) ==
              parse_hex32("2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d"));

// ---- run time: the vector file ---------------------------------------------------------

enum class Mode { kHash, kKeyedHash, kDeriveKey };
constexpr std::array kModes = {Mode::kHash, Mode::kKeyedHash, Mode::kDeriveKey};

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::kHash: return "hash";
    case Mode::kKeyedHash: return "keyed_hash";
    case Mode::kDeriveKey: return "derive_key";
  }
  return "?";
}

const Blake3Vectors& vectors() {
  static const Blake3Vectors loaded = [] {
    auto v = mosaik::test::load_blake3_vectors(MOSAIK_BLAKE3_VECTORS_PATH);
    if (!v) {
      ADD_FAILURE() << "cannot load the BLAKE3 vectors: " << v.error();
      return Blake3Vectors{};
    }
    return *v;
  }();
  return loaded;
}

blake3::Key file_key() {
  blake3::Key key{};
  const std::string& text = vectors().key;
  EXPECT_EQ(text.size(), key.size());
  std::copy_n(text.begin(), std::min(text.size(), key.size()), key.begin());
  return key;
}

blake3::Hasher fresh_hasher(Mode mode) {
  switch (mode) {
    case Mode::kHash: return blake3::Hasher();
    case Mode::kKeyedHash: return blake3::Hasher::keyed(file_key());
    case Mode::kDeriveKey: return blake3::Hasher::derive_key(vectors().context_string);
  }
  return blake3::Hasher();
}

const Bytes& expected_for(const Blake3Case& c, Mode mode) {
  switch (mode) {
    case Mode::kHash: return c.hash;
    case Mode::kKeyedHash: return c.keyed_hash;
    case Mode::kDeriveKey: return c.derive_key;
  }
  return c.hash;
}

// The one-shot, default-length API of each mode.
blake3::Output one_shot(Mode mode, std::span<const std::uint8_t> input) {
  switch (mode) {
    case Mode::kHash: return blake3::hash(input);
    case Mode::kKeyedHash: return blake3::keyed_hash(file_key(), input);
    case Mode::kDeriveKey: return blake3::derive_key(vectors().context_string, input);
  }
  return {};
}

Bytes extended(const blake3::Hasher& hasher, std::size_t len) {
  Bytes out(len);
  hasher.finalize(out);
  return out;
}

TEST(Blake3Vectors, FileHasEveryOfficialCase) {
  const auto& v = vectors();
  // The official file has 35 input lengths (test_vectors/src/lib.rs, TEST_CASES).
  ASSERT_EQ(v.cases.size(), 35u);
  EXPECT_EQ(v.key, "whats the Elvish word for friend");
  EXPECT_EQ(v.context_string, kVectorContext);
  for (const auto& c : v.cases) {
    for (Mode mode : kModes) {
      EXPECT_GT(expected_for(c, mode).size(), blake3::kOutLen)
          << "case " << c.input_len << " " << mode_name(mode) << " is not an extended output";
    }
  }
}

TEST(Blake3Vectors, EveryCaseInEveryModeMatchesExtendedAndDefaultOutput) {
  const auto& v = vectors();
  ASSERT_FALSE(v.cases.empty());
  for (const auto& c : v.cases) {
    Bytes input = mosaik::test::blake3_vector_input(c.input_len);
    for (Mode mode : kModes) {
      const Bytes& want = expected_for(c, mode);
      blake3::Hasher hasher = fresh_hasher(mode);
      hasher.update(input);
      EXPECT_EQ(extended(hasher, want.size()), want)
          << "case " << c.input_len << " " << mode_name(mode) << " (extended)";

      Bytes want_default(want.begin(), want.begin() + blake3::kOutLen);
      blake3::Output from_hasher = hasher.finalize();
      blake3::Output from_one_shot = one_shot(mode, input);
      EXPECT_EQ(Bytes(from_hasher.begin(), from_hasher.end()), want_default)
          << "case " << c.input_len << " " << mode_name(mode) << " (Hasher default length)";
      EXPECT_EQ(Bytes(from_one_shot.begin(), from_one_shot.end()), want_default)
          << "case " << c.input_len << " " << mode_name(mode) << " (one-shot)";
    }
  }
}

// Sizes that straddle the 64-byte block and the 1024-byte chunk.
constexpr std::array<std::size_t, 7> kAwkwardSizes = {1, 63, 64, 65, 1023, 1024, 1025};

TEST(Blake3Vectors, IncrementalUpdatesInAwkwardPiecesGiveTheSameOutput) {
  const auto& v = vectors();
  ASSERT_FALSE(v.cases.empty());
  for (const auto& c : v.cases) {
    Bytes input = mosaik::test::blake3_vector_input(c.input_len);
    for (Mode mode : kModes) {
      const Bytes& want = expected_for(c, mode);
      for (std::size_t piece : kAwkwardSizes) {
        blake3::Hasher hasher = fresh_hasher(mode);
        std::span<const std::uint8_t> rest(input);
        while (!rest.empty()) {
          std::size_t n = std::min(piece, rest.size());
          hasher.update(rest.first(n));
          rest = rest.subspan(n);
        }
        EXPECT_EQ(extended(hasher, want.size()), want)
            << "case " << c.input_len << " " << mode_name(mode) << " in pieces of " << piece;
      }
    }
  }
}

TEST(Blake3Vectors, OneSplitAtAnAwkwardOffsetGivesTheSameOutput) {
  const auto& v = vectors();
  ASSERT_FALSE(v.cases.empty());
  for (const auto& c : v.cases) {
    Bytes input = mosaik::test::blake3_vector_input(c.input_len);
    for (Mode mode : kModes) {
      const Bytes& want = expected_for(c, mode);
      for (std::size_t at : kAwkwardSizes) {
        if (at > input.size()) continue;
        blake3::Hasher hasher = fresh_hasher(mode);
        std::span<const std::uint8_t> all(input);
        hasher.update(all.first(at));
        hasher.update(std::span<const std::uint8_t>{});  // empty updates change nothing
        hasher.update(all.subspan(at));
        EXPECT_EQ(extended(hasher, want.size()), want)
            << "case " << c.input_len << " " << mode_name(mode) << " split at " << at;
      }
    }
  }
}

TEST(Blake3Vectors, FinalizeLeavesTheHasherUsable) {
  // finalize() is const: output read midway must not disturb later updates.
  const Blake3Case* big = nullptr;
  for (const auto& c : vectors().cases) {
    if (c.input_len == 2049) big = &c;
  }
  ASSERT_NE(big, nullptr);
  Bytes input = mosaik::test::blake3_vector_input(big->input_len);
  blake3::Hasher hasher;
  std::span<const std::uint8_t> all(input);
  hasher.update(all.first(1500));
  (void)hasher.finalize();
  hasher.update(all.subspan(1500));
  EXPECT_EQ(extended(hasher, big->hash.size()), big->hash);
}

TEST(Blake3VectorsParser, RejectsDamagedFiles) {
  using mosaik::test::parse_blake3_vectors;
  EXPECT_FALSE(parse_blake3_vectors(""));
  EXPECT_FALSE(parse_blake3_vectors("{\"key\": \"k\", \"context_string\": \"c\""));
  EXPECT_FALSE(parse_blake3_vectors("{\"key\": \"k\", \"context_string\": \"c\", \"cases\": "
                                    "[{\"input_len\": 1, \"hash\": \"zz\", \"keyed_hash\": \"\", "
                                    "\"derive_key\": \"\"}]}"));
  EXPECT_FALSE(parse_blake3_vectors("{\"key\": \"k\", \"cases\": []}"));
  auto ok = parse_blake3_vectors("{\"key\": \"k\", \"context_string\": \"c\", \"cases\": "
                                 "[{\"input_len\": 1, \"hash\": \"00ff\", \"keyed_hash\": \"\", "
                                 "\"derive_key\": \"ab\"}]}");
  ASSERT_TRUE(ok) << ok.error();
  ASSERT_EQ(ok->cases.size(), 1u);
  EXPECT_EQ(ok->cases[0].hash, (Bytes{0x00, 0xff}));
  EXPECT_EQ(ok->cases[0].derive_key, (Bytes{0xab}));
}

}  // namespace
}  // namespace blake3_test
