// The fuzz targets as ordinary unit tests (built with g++, no libFuzzer): each run feeds the
// target its seeds, every file under the given regression directories (inputs that once
// crashed it), and a fixed, bounded set of mutations of the seeds.
//
//   fuzz_wire_decode_replay <target-name> [dir...]

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "seeds.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

constexpr int kMutationsPerSeed = 300;

void run(const std::vector<std::uint8_t>& input) {
  LLVMFuzzerTestOneInput(input.data(), input.size());
}

std::vector<std::uint8_t> mutate(std::vector<std::uint8_t> input, std::mt19937& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    switch (rng() % 4) {
      case 0:  // flip a bit
        if (!input.empty()) input[rng() % input.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:  // truncate
        if (!input.empty()) input.resize(rng() % input.size());
        break;
      case 2:  // insert a byte
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(rng() % (input.size() + 1)),
                     static_cast<std::uint8_t>(rng()));
        break;
      default:  // overwrite with an extreme byte
        if (!input.empty()) input[rng() % input.size()] = (rng() % 2) ? 0xff : 0x00;
        break;
    }
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <target-name> [regression-dir...]\n", argv[0]);
    return 2;
  }
  auto seeds = mosaik::fuzz::seeds_for(argv[1]);
  if (seeds.empty()) {
    std::fprintf(stderr, "no seeds for %s\n", argv[1]);
    return 2;
  }
  std::size_t inputs = 0;
  for (const auto& seed : seeds) {
    run(seed);
    ++inputs;
  }
  for (int a = 2; a < argc; ++a) {
    if (!std::filesystem::is_directory(argv[a])) continue;
    for (const auto& entry : std::filesystem::directory_iterator(argv[a])) {
      if (!entry.is_regular_file()) continue;
      std::ifstream file(entry.path(), std::ios::binary);
      std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                      std::istreambuf_iterator<char>());
      run(bytes);
      ++inputs;
    }
  }
  std::mt19937 rng(20240601);  // fixed: the same inputs on every run
  for (const auto& seed : seeds) {
    for (int i = 0; i < kMutationsPerSeed; ++i) {
      run(mutate(seed, rng));
      ++inputs;
    }
  }
  std::printf("%s: %zu inputs replayed, no invariant broken\n", argv[1], inputs);
  return 0;
}
