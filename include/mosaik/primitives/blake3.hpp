#pragma once
// BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs), written for mosaik because Debian
// ships no package. Portable and `constexpr`, so identifiers derived from string literals
// are compile-time constants:
//
//   constexpr auto h = mosaik::blake3::hash(std::string_view{"abc"});
//   mosaik::blake3::Hasher k = mosaik::blake3::Hasher::keyed(key); k.update(bytes); k.finalize(out);
//
// Speed is not the goal here (identifiers and small signatures are hashed, not bulk data).

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace mosaik::blake3 {

inline constexpr std::size_t kOutLen = 32;
inline constexpr std::size_t kKeyLen = 32;
inline constexpr std::size_t kBlockLen = 64;
inline constexpr std::size_t kChunkLen = 1024;

using Output = std::array<std::uint8_t, kOutLen>;
using Key = std::array<std::uint8_t, kKeyLen>;

namespace detail {

inline constexpr std::array<std::uint32_t, 8> kIv = {0x6A09E667, 0xBB67AE85, 0x3C6EF372,
                                                     0xA54FF53A, 0x510E527F, 0x9B05688C,
                                                     0x1F83D9AB, 0x5BE0CD19};
inline constexpr std::array<std::size_t, 16> kMsgPermutation = {2, 6,  3,  10, 7, 0,  4,  13,
                                                                1, 11, 12, 5,  9, 14, 15, 8};

// Domain separation flags of the specification.
inline constexpr std::uint32_t kChunkStart = 1u << 0;
inline constexpr std::uint32_t kChunkEnd = 1u << 1;
inline constexpr std::uint32_t kParent = 1u << 2;
inline constexpr std::uint32_t kRoot = 1u << 3;
inline constexpr std::uint32_t kKeyedHash = 1u << 4;
inline constexpr std::uint32_t kDeriveKeyContext = 1u << 5;
inline constexpr std::uint32_t kDeriveKeyMaterial = 1u << 6;

using Words8 = std::array<std::uint32_t, 8>;
using Words16 = std::array<std::uint32_t, 16>;

constexpr void g(Words16& s, std::size_t a, std::size_t b, std::size_t c, std::size_t d,
                 std::uint32_t mx, std::uint32_t my) {
  s[a] = s[a] + s[b] + mx;
  s[d] = std::rotr(s[d] ^ s[a], 16);
  s[c] = s[c] + s[d];
  s[b] = std::rotr(s[b] ^ s[c], 12);
  s[a] = s[a] + s[b] + my;
  s[d] = std::rotr(s[d] ^ s[a], 8);
  s[c] = s[c] + s[d];
  s[b] = std::rotr(s[b] ^ s[c], 7);
}

constexpr void round(Words16& s, const Words16& m) {
  g(s, 0, 4, 8, 12, m[0], m[1]);
  g(s, 1, 5, 9, 13, m[2], m[3]);
  g(s, 2, 6, 10, 14, m[4], m[5]);
  g(s, 3, 7, 11, 15, m[6], m[7]);
  g(s, 0, 5, 10, 15, m[8], m[9]);
  g(s, 1, 6, 11, 12, m[10], m[11]);
  g(s, 2, 7, 8, 13, m[12], m[13]);
  g(s, 3, 4, 9, 14, m[14], m[15]);
}

// The compression function: all 16 output words (the first 8 are the chaining value).
constexpr Words16 compress(const Words8& cv, const Words16& block, std::uint64_t counter,
                           std::uint32_t block_len, std::uint32_t flags) {
  Words16 s = {cv[0],
               cv[1],
               cv[2],
               cv[3],
               cv[4],
               cv[5],
               cv[6],
               cv[7],
               kIv[0],
               kIv[1],
               kIv[2],
               kIv[3],
               static_cast<std::uint32_t>(counter),
               static_cast<std::uint32_t>(counter >> 32),
               block_len,
               flags};
  Words16 m = block;
  for (int r = 0; r < 7; ++r) {
    round(s, m);
    if (r == 6) break;
    Words16 permuted{};
    for (std::size_t i = 0; i < 16; ++i) permuted[i] = m[kMsgPermutation[i]];
    m = permuted;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    s[i] ^= s[i + 8];
    s[i + 8] ^= cv[i];
  }
  return s;
}

constexpr Words16 block_words(const std::array<std::uint8_t, kBlockLen>& bytes) {
  Words16 w{};
  for (std::size_t i = 0; i < 16; ++i) {
    w[i] = static_cast<std::uint32_t>(bytes[4 * i]) |
           static_cast<std::uint32_t>(bytes[4 * i + 1]) << 8 |
           static_cast<std::uint32_t>(bytes[4 * i + 2]) << 16 |
           static_cast<std::uint32_t>(bytes[4 * i + 3]) << 24;
  }
  return w;
}

constexpr Words8 key_words(std::span<const std::uint8_t, kKeyLen> key) {
  Words8 w{};
  for (std::size_t i = 0; i < 8; ++i) {
    w[i] = static_cast<std::uint32_t>(key[4 * i]) |
           static_cast<std::uint32_t>(key[4 * i + 1]) << 8 |
           static_cast<std::uint32_t>(key[4 * i + 2]) << 16 |
           static_cast<std::uint32_t>(key[4 * i + 3]) << 24;
  }
  return w;
}

constexpr Words8 first8(const Words16& w) {
  return {w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]};
}

// What is needed to produce a node's chaining value, or any amount of root output.
struct Pending {
  Words8 cv{};
  Words16 block{};
  std::uint64_t counter = 0;
  std::uint32_t block_len = 0;
  std::uint32_t flags = 0;

  constexpr Words8 chaining_value() const {
    return first8(compress(cv, block, counter, block_len, flags));
  }

  // Extendable output: root blocks with an incrementing output counter.
  constexpr void root_bytes(std::span<std::uint8_t> out) const {
    std::uint64_t output_counter = 0;
    std::size_t written = 0;
    while (written < out.size()) {
      Words16 words = compress(cv, block, output_counter++, block_len, flags | kRoot);
      for (std::size_t i = 0; i < 16 && written < out.size(); ++i) {
        for (std::size_t b = 0; b < 4 && written < out.size(); ++b) {
          out[written++] = static_cast<std::uint8_t>(words[i] >> (8 * b));
        }
      }
    }
  }
};

constexpr Pending parent(const Words8& left, const Words8& right, const Words8& key,
                         std::uint32_t flags) {
  Pending p;
  p.cv = key;
  for (std::size_t i = 0; i < 8; ++i) {
    p.block[i] = left[i];
    p.block[i + 8] = right[i];
  }
  p.counter = 0;
  p.block_len = kBlockLen;
  p.flags = flags | kParent;
  return p;
}

// One 1024-byte chunk being absorbed, a 64-byte block at a time.
struct ChunkState {
  Words8 cv{};
  std::uint64_t chunk_counter = 0;
  std::array<std::uint8_t, kBlockLen> buf{};
  std::size_t buf_len = 0;
  std::size_t blocks_compressed = 0;
  std::uint32_t flags = 0;

  constexpr ChunkState() = default;
  constexpr ChunkState(const Words8& key, std::uint64_t counter, std::uint32_t f)
      : cv(key), chunk_counter(counter), flags(f) {}

  constexpr std::size_t len() const { return kBlockLen * blocks_compressed + buf_len; }
  constexpr std::uint32_t start_flag() const { return blocks_compressed == 0 ? kChunkStart : 0; }

  constexpr void update(std::span<const std::uint8_t> input) {
    while (!input.empty()) {
      if (buf_len == kBlockLen) {
        cv = first8(compress(cv, block_words(buf), chunk_counter, kBlockLen, flags | start_flag()));
        ++blocks_compressed;
        buf = {};
        buf_len = 0;
      }
      std::size_t take = kBlockLen - buf_len;
      if (take > input.size()) take = input.size();
      for (std::size_t i = 0; i < take; ++i) buf[buf_len + i] = input[i];
      buf_len += take;
      input = input.subspan(take);
    }
  }

  constexpr Pending output() const {
    Pending p;
    p.cv = cv;
    p.block = block_words(buf);
    p.counter = chunk_counter;
    p.block_len = static_cast<std::uint32_t>(buf_len);
    p.flags = flags | start_flag() | kChunkEnd;
    return p;
  }
};

}  // namespace detail

// Incremental hasher in the three modes of the specification.
class Hasher {
 public:
  constexpr Hasher() : Hasher(detail::kIv, 0) {}

  static constexpr Hasher keyed(std::span<const std::uint8_t, kKeyLen> key) {
    return Hasher(detail::key_words(key), detail::kKeyedHash);
  }

  // The first stage of derive_key: the context string selects the key for the material.
  static constexpr Hasher derive_key(std::string_view context) {
    Hasher context_hasher(detail::kIv, detail::kDeriveKeyContext);
    context_hasher.update(context);
    std::array<std::uint8_t, kKeyLen> context_key{};
    context_hasher.finalize(context_key);
    return Hasher(detail::key_words(context_key), detail::kDeriveKeyMaterial);
  }

  constexpr Hasher& update(std::span<const std::uint8_t> input) {
    while (!input.empty()) {
      if (chunk_.len() == kChunkLen) {
        push_cv(chunk_.output().chaining_value(), chunk_.chunk_counter + 1);
        chunk_ = detail::ChunkState(key_, chunk_.chunk_counter + 1, flags_);
      }
      std::size_t take = kChunkLen - chunk_.len();
      if (take > input.size()) take = input.size();
      chunk_.update(input.first(take));
      input = input.subspan(take);
    }
    return *this;
  }

  constexpr Hasher& update(std::string_view text) {
    std::array<std::uint8_t, 256> staging{};
    while (!text.empty()) {
      std::size_t n = text.size() < staging.size() ? text.size() : staging.size();
      for (std::size_t i = 0; i < n; ++i) staging[i] = static_cast<std::uint8_t>(text[i]);
      update(std::span<const std::uint8_t>(staging.data(), n));
      text.remove_prefix(n);
    }
    return *this;
  }

  // Writes out.size() bytes of output (any length: BLAKE3 is an XOF). The hasher is unchanged.
  constexpr void finalize(std::span<std::uint8_t> out) const {
    detail::Pending node = chunk_.output();
    for (std::size_t i = stack_len_; i > 0; --i) {
      node = detail::parent(stack_[i - 1], node.chaining_value(), key_, flags_);
    }
    node.root_bytes(out);
  }

  constexpr Output finalize() const {
    Output out{};
    finalize(out);
    return out;
  }

 private:
  constexpr Hasher(const detail::Words8& key, std::uint32_t flags)
      : key_(key), chunk_(key, 0, flags), flags_(flags) {}

  // Merges completed subtrees: after chunk n, as many merges as n has trailing zero bits.
  constexpr void push_cv(detail::Words8 cv, std::uint64_t total_chunks) {
    while ((total_chunks & 1) == 0) {
      cv = detail::parent(stack_[--stack_len_], cv, key_, flags_).chaining_value();
      total_chunks >>= 1;
    }
    stack_[stack_len_++] = cv;
  }

  detail::Words8 key_{};
  detail::ChunkState chunk_;
  std::uint32_t flags_ = 0;
  std::array<detail::Words8, 54> stack_{};  // 2^54 chunks bounds any input length
  std::size_t stack_len_ = 0;
};

constexpr Output hash(std::span<const std::uint8_t> input) {
  return Hasher().update(input).finalize();
}
constexpr Output hash(std::string_view input) { return Hasher().update(input).finalize(); }

constexpr Output keyed_hash(std::span<const std::uint8_t, kKeyLen> key,
                            std::span<const std::uint8_t> input) {
  return Hasher::keyed(key).update(input).finalize();
}

constexpr Output derive_key(std::string_view context, std::span<const std::uint8_t> material) {
  return Hasher::derive_key(context).update(material).finalize();
}

}  // namespace mosaik::blake3
