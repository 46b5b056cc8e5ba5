// Uses the installed mosaik through its umbrella header and libraries: a compile-time id must
// equal the same id computed at run time, a signature must verify (libsodium linked through
// the package), and the id is printed in hex for the install test to check.
#include <mosaik/mosaik.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

int main() {
  constexpr mosaik::UniqueId compile_time = mosaik::unique_id("mosaik install test");
  std::string name = "mosaik install test";
  mosaik::Digest run_time{std::string_view(name)};
  std::printf("node id %s\n", run_time.to_hex().c_str());

  mosaik::SecretKey key = mosaik::SecretKey::from_seed("mosaik install test");
  std::array<std::uint8_t, 3> message{1, 2, 3};
  bool signed_ok = key.public_key().verify(message, key.sign(message));

  if (compile_time != run_time || !signed_ok) {
    std::printf("unique_id or signature mismatch\n");
    return 1;
  }
  std::printf("unique_id ok\n");
  return 0;
}
