// fuzz_seed_corpus <target> <directory>: writes the target's seeds (seeds.hpp) as files, one
// per seed, named by their BLAKE3 hash so rewriting is idempotent.

#include <mosaik/primitives/digest.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "seeds.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fuzz_seed_corpus <target> <dir>\n");
    return 2;
  }
  auto seeds = mosaik::fuzz::seeds_for(argv[1]);
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz_seed_corpus: unknown target %s\n", argv[1]);
    return 2;
  }
  std::filesystem::path dir(argv[2]);
  std::filesystem::create_directories(dir);
  for (const auto& seed : seeds) {
    std::filesystem::path file = dir / ("seed-" + mosaik::Digest::hash(seed).to_hex());
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
    if (!out) {
      std::fprintf(stderr, "fuzz_seed_corpus: cannot write %s\n", file.c_str());
      return 1;
    }
  }
  std::printf("%zu seeds in %s\n", seeds.size(), dir.c_str());
  return 0;
}
