// Uses the installed mosaik headers and libraries: a compile-time id must equal the same id
// computed at run time, and a hex id is printed for the install test to check.
#include <mosaik/primitives/blake3.hpp>

#include <cstdio>
#include <string_view>

int main() {
  constexpr auto compile_time = mosaik::blake3::hash(std::string_view{"mosaik install test"});
  std::string_view name = "mosaik install test";
  auto run_time = mosaik::blake3::hash(name);
  std::printf("node id ");
  for (auto byte : run_time) std::printf("%02x", static_cast<unsigned>(byte));
  std::printf("\n");
  if (compile_time != run_time) {
    std::printf("unique_id mismatch\n");
    return 1;
  }
  std::printf("unique_id ok\n");
  return 0;
}
