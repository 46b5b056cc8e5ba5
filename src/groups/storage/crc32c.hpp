#pragma once
// CRC-32C (Castagnoli), the checksum of every record the durable log store writes: it
// catches damaged bytes that LMDB's own structure checks do not.
//
//   std::uint32_t c = crc32c(bytes);  c = crc32c(more, c);   // chained over several spans

#include <cstdint>
#include <span>

namespace mosaik::groups::storage {

[[nodiscard]] std::uint32_t crc32c(std::span<const std::uint8_t> bytes, std::uint32_t previous = 0);

}  // namespace mosaik::groups::storage
