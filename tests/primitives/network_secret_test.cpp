#include "mosaik/primitives/network_secret.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace mosaik {
namespace network_secret_test {
namespace {

TEST(NetworkSecret, a_passphrase_is_the_byte_string_of_its_characters) {
  const std::vector<std::uint8_t> bytes = {'o', 'p', 'e', 'n', ' ', 's', 'e', 's', 'a', 'm', 'e'};
  EXPECT_EQ(NetworkSecret::from_passphrase("open sesame"), NetworkSecret::from_bytes(bytes));
  EXPECT_FALSE(NetworkSecret::from_passphrase("open sesame") == NetworkSecret::from_passphrase("open sesame!"));
}

TEST(NetworkSecret, derived_keys_differ_per_secret_network_and_purpose) {
  const auto secret = NetworkSecret::from_passphrase("s");
  const auto key = secret.derive(NetworkId("net"), "purpose");
  EXPECT_EQ(key, NetworkSecret::from_passphrase("s").derive(NetworkId("net"), "purpose"));
  EXPECT_FALSE(key == secret);
  EXPECT_FALSE(key == NetworkSecret::from_passphrase("t").derive(NetworkId("net"), "purpose"));
  EXPECT_FALSE(key == secret.derive(NetworkId("other"), "purpose"));
  EXPECT_FALSE(key == secret.derive(NetworkId("net"), "other purpose"));
}

TEST(NetworkSecret, never_prints) {
  EXPECT_EQ(fmt::format("{}", NetworkSecret::from_passphrase("hunter2")), "<redacted>");
}

}  // namespace
}  // namespace network_secret_test
}  // namespace mosaik
