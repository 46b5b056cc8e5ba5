#pragma once
// CRC-32C (Castagnoli), the checksum of every record the durable log store writes: it
// catches damaged bytes that LMDB's own structure checks do not. Header-only: the
// simulator's disk checksums its records with it too, without linking the LMDB store.
//
//   std::uint32_t c = crc32c(bytes);  c = crc32c(more, c);   // chained over several spans

#include <array>
#include <cstdint>
#include <span>

namespace mosaik::groups::storage {
namespace detail {

// The reflected Castagnoli polynomial.
inline constexpr std::uint32_t kCrc32cPolynomial = 0x82F63B78u;

consteval std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t c = byte;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ kCrc32cPolynomial : c >> 1;
    table[byte] = c;
  }
  return table;
}

inline constexpr auto kCrc32cTable = make_crc32c_table();

}  // namespace detail

[[nodiscard]] inline std::uint32_t crc32c(std::span<const std::uint8_t> bytes, std::uint32_t previous = 0) {
  std::uint32_t c = ~previous;
  for (std::uint8_t b : bytes) c = detail::kCrc32cTable[(c ^ b) & 0xFFu] ^ (c >> 8);
  return ~c;
}

}  // namespace mosaik::groups::storage
