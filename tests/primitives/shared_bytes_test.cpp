// wire::SharedBytes, the payload of a Raft entry: the same encoding as wire::Bytes, copies
// that share one buffer, and the decode errors of a wrong msgpack type.
#include "mosaik/primitives/shared_bytes.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mosaik::wire {
namespace shared_bytes_test {
namespace {

TEST(SharedBytes, encodes_exactly_as_a_byte_vector_and_decodes_back) {
  const Bytes raw{1, 2, 3, 0xff};
  const SharedBytes shared(raw);
  EXPECT_EQ(encode(shared), encode(raw)) << "peers of another build read the same entries";
  auto back = decode<SharedBytes>(encode(raw));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, raw);
  EXPECT_EQ(encode(SharedBytes()), encode(Bytes())) << "empty";
}

TEST(SharedBytes, copies_share_one_buffer_and_compare_by_content) {
  const SharedBytes a(Bytes{7, 8, 9});
  const SharedBytes b = a;  // NOLINT(performance-unnecessary-copy-initialization): the point
  EXPECT_EQ(a.data(), b.data()) << "a copy must not copy the bytes";
  const SharedBytes c(Bytes{7, 8, 9});
  EXPECT_NE(a.data(), c.data());
  EXPECT_EQ(a, c);
  EXPECT_FALSE(a == SharedBytes(Bytes{7, 8}));
  EXPECT_EQ(a.to_vector(), (Bytes{7, 8, 9}));
}

TEST(SharedBytes, a_string_decodes_as_bytes_and_other_types_are_refused) {
  auto from_str = decode<SharedBytes>(encode(std::string("ab")));
  ASSERT_TRUE(from_str.has_value()) << "as wire::Bytes accepts a str";
  EXPECT_EQ(*from_str, (Bytes{'a', 'b'}));
  EXPECT_FALSE(decode<SharedBytes>(encode(std::uint64_t{42})).has_value());
  EXPECT_FALSE(decode<SharedBytes>(encode(std::vector<std::uint64_t>{1, 2})).has_value());
}

}  // namespace
}  // namespace shared_bytes_test
}  // namespace mosaik::wire
