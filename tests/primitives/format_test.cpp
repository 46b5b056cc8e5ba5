#include "mosaik/primitives/format.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "mosaik/primitives/digest.hpp"

namespace mosaik {
namespace format_test {
namespace {

TEST(Format, short_shows_the_first_five_bytes) {
  const std::vector<std::uint8_t> bytes = {0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07};
  EXPECT_EQ(fmt::format("{}", Short(bytes)), "a1b2c3d4e5");
  const std::vector<std::uint8_t> tiny = {0x01, 0x02};
  EXPECT_EQ(fmt::format("{}", Short(tiny)), "0102");
  const Digest d = "x";
  EXPECT_EQ(fmt::format("{}", Short(d)), fmt::format("{}", d));
}

TEST(Format, abbreviated_shows_both_ends_when_longer_than_len) {
  const std::vector<std::uint8_t> bytes = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(fmt::format("{}", Abbreviated<4, decltype(bytes)>(bytes)), "0102..090a");
  EXPECT_EQ(fmt::format("{}", Abbreviated<16, decltype(bytes)>(bytes)), "0102030405060708090a");
}

TEST(Format, redacted_hides_everything) {
  const std::string secret = "hunter2";
  EXPECT_EQ(fmt::format("{}", Redacted(secret)), "<redacted>");
}

TEST(Format, fmt_iter_formats_each_element) {
  const std::array<Digest, 2> ids = {Digest(std::string(64, '0')), Digest(std::string(64, 'f'))};
  EXPECT_EQ(fmt::format("{}", FmtIter<Short, decltype(ids)>(ids)), "[0000000000, ffffffffff]");
  const std::vector<Digest> none;
  EXPECT_EQ(fmt::format("{}", FmtIter<Short, decltype(none)>(none)), "[]");
}

}  // namespace
}  // namespace format_test
}  // namespace mosaik
