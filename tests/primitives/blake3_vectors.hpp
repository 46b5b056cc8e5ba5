#pragma once
// Loads tests/data/blake3_test_vectors.json (the official BLAKE3 vectors). The file has one
// fixed shape, so a small JSON reader is enough: objects, arrays, strings and integers.
//
//   auto vectors = mosaik::test::load_blake3_vectors(path);
//   for (const auto& c : vectors->cases) check(c.input_len, c.hash);

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace mosaik::test {

struct Blake3Case {
  std::size_t input_len = 0;
  std::vector<std::uint8_t> hash;        // extended output of each mode, decoded from hex
  std::vector<std::uint8_t> keyed_hash;
  std::vector<std::uint8_t> derive_key;
};

struct Blake3Vectors {
  std::string key;             // 32 ASCII bytes used by keyed_hash
  std::string context_string;  // context used by derive_key
  std::vector<Blake3Case> cases;
};

// The input every case hashes: bytes 0, 1, ..., 250 repeated.
[[nodiscard]] std::vector<std::uint8_t> blake3_vector_input(std::size_t len);

// An error names what was wrong and where, so a damaged file is easy to find.
[[nodiscard]] std::expected<Blake3Vectors, std::string> parse_blake3_vectors(std::string_view json);
[[nodiscard]] std::expected<Blake3Vectors, std::string> load_blake3_vectors(const std::string& path);

}  // namespace mosaik::test
