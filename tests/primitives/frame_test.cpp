#include "mosaik/primitives/frame.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace mosaik {
namespace frame_test {
namespace {

wire::Bytes payload_of(std::size_t n, std::uint8_t seed) {
  wire::Bytes p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(seed + i);
  return p;
}

TEST(Frame, header_is_four_byte_big_endian_length) {
  wire::Bytes out;
  wire::append_frame(out, payload_of(0x0102, 0));
  ASSERT_EQ(out.size(), 4u + 0x0102);
  EXPECT_EQ(out[0], 0x00);
  EXPECT_EQ(out[1], 0x00);
  EXPECT_EQ(out[2], 0x01);
  EXPECT_EQ(out[3], 0x02);
}

TEST(Frame, encoded_frame_matches_encode_then_frame) {
  wire::Bytes a, b;
  const std::vector<std::string> value = {"a", "bc"};
  wire::append_encoded_frame(a, value);
  wire::append_frame(b, wire::encode(value));
  EXPECT_EQ(a, b);
}

TEST(Frame, decodes_frames_split_at_every_boundary) {
  wire::Bytes stream;
  const std::vector<wire::Bytes> payloads = {payload_of(0, 1), payload_of(1, 2), payload_of(300, 3),
                                             payload_of(5, 4)};
  for (const auto& p : payloads) wire::append_frame(stream, p);
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    wire::FrameDecoder dec(1024);
    std::vector<wire::Bytes> got;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      dec.feed(std::span(stream).subspan(at, std::min(chunk, stream.size() - at)));
      for (;;) {
        auto f = dec.next();
        ASSERT_TRUE(f.has_value());
        if (!*f) break;
        got.push_back(std::move(**f));
      }
    }
    ASSERT_EQ(got, payloads) << "chunk size " << chunk;
    EXPECT_EQ(dec.buffered(), 0u);
  }
}

TEST(Frame, truncated_frame_waits_for_more_input) {
  wire::Bytes stream;
  wire::append_frame(stream, payload_of(10, 0));
  wire::FrameDecoder dec;
  dec.feed(std::span(stream).first(3));
  EXPECT_EQ(dec.next().value(), std::nullopt);
  dec.feed(std::span(stream).subspan(3, 5));
  EXPECT_EQ(dec.next().value(), std::nullopt);
  dec.feed(std::span(stream).subspan(8));
  EXPECT_EQ(dec.next().value(), payload_of(10, 0));
}

TEST(Frame, oversized_frame_is_refused_from_its_header_alone) {
  wire::FrameDecoder dec(1000);
  const wire::Bytes header = {0x00, 0x00, 0x03, 0xe9};  // 1001 bytes declared
  dec.feed(header);
  auto f = dec.next();
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().declared_size, 1001u);
  EXPECT_EQ(f.error().max_size, 1000u);
  EXPECT_NE(f.error().message().find("exceeds"), std::string::npos);
  EXPECT_EQ(dec.buffered(), 4u);  // nothing was allocated for the body
}

TEST(Frame, maximum_size_frame_is_accepted) {
  wire::Bytes stream;
  wire::append_frame(stream, payload_of(1000, 7));
  wire::FrameDecoder dec(1000);
  dec.feed(stream);
  EXPECT_EQ(dec.next().value(), payload_of(1000, 7));
}

TEST(Frame, four_gigabyte_header_is_refused_by_the_default_decoder) {
  wire::FrameDecoder dec;
  const wire::Bytes header = {0xff, 0xff, 0xff, 0xff};
  dec.feed(header);
  EXPECT_FALSE(dec.next().has_value());
  EXPECT_EQ(dec.max_frame_size(), wire::kDefaultMaxFrameSize);
}

TEST(Frame, random_streams_never_yield_a_frame_over_the_maximum) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 2000; ++round) {
    wire::FrameDecoder dec(64);
    for (int chunk = 0; chunk < 8; ++chunk) {
      wire::Bytes b(rng() % 40);
      for (auto& x : b) x = static_cast<std::uint8_t>(rng() % 3 == 0 ? 0 : rng());
      dec.feed(b);
      bool broken = false;
      for (;;) {
        auto f = dec.next();
        if (!f) {
          broken = true;
          break;
        }
        if (!*f) break;
        ASSERT_LE((*f)->size(), 64u);
      }
      if (broken) break;
    }
  }
}

TEST(FrameBatch, take_returns_every_complete_frame_and_keeps_the_tail) {
  wire::Bytes stream;
  const std::vector<wire::Bytes> payloads = {payload_of(3, 1), payload_of(0, 2), payload_of(200, 3)};
  for (const auto& p : payloads) wire::append_frame(stream, p);
  wire::append_frame(stream, payload_of(50, 4));
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    wire::FrameDecoder dec(1024);
    dec.feed(std::span(stream).first(cut));
    auto first = dec.take(100);
    ASSERT_TRUE(first.has_value());
    dec.feed(std::span(stream).subspan(cut));
    auto second = dec.take(100);
    ASSERT_TRUE(second.has_value());
    std::vector<wire::Bytes> got;
    for (const auto* batch : {&*first, &*second}) {
      for (std::size_t i = 0; i < batch->size(); ++i) {
        const auto frame = (*batch)[i];
        got.emplace_back(frame.begin(), frame.end());
      }
    }
    ASSERT_EQ(got.size(), 4u) << "cut at " << cut;
    for (std::size_t i = 0; i < payloads.size(); ++i) EXPECT_EQ(got[i], payloads[i]);
    EXPECT_EQ(got[3], payload_of(50, 4));
    EXPECT_EQ(first->payload_bytes() + second->payload_bytes(), 3u + 0u + 200u + 50u);
    EXPECT_EQ(dec.buffered(), 0u);
  }
}

TEST(FrameBatch, take_stops_at_the_frame_limit) {
  wire::Bytes stream;
  for (std::uint8_t i = 0; i < 5; ++i) wire::append_frame(stream, payload_of(i, i));
  wire::FrameDecoder dec;
  dec.feed(stream);
  auto two = dec.take(2);
  ASSERT_TRUE(two.has_value());
  ASSERT_EQ(two->size(), 2u);
  auto rest = dec.take(10);
  ASSERT_TRUE(rest.has_value());
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ(wire::Bytes((*rest)[2].begin(), (*rest)[2].end()), payload_of(4, 4));
  EXPECT_TRUE(dec.take(10)->empty());
}

TEST(FrameBatch, frames_before_an_oversized_header_come_first_then_the_error) {
  wire::Bytes stream;
  wire::append_frame(stream, payload_of(10, 0));
  const wire::Bytes oversized = {0x00, 0x00, 0x03, 0xe9};  // 1001 bytes declared
  stream.insert(stream.end(), oversized.begin(), oversized.end());
  wire::FrameDecoder dec(1000);
  dec.feed(stream);
  auto good = dec.take(10);
  ASSERT_TRUE(good.has_value());
  ASSERT_EQ(good->size(), 1u);
  auto bad = dec.take(10);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().declared_size, 1001u);
}

TEST(Frame, a_raised_limit_applies_to_frames_not_yet_taken) {
  wire::Bytes bytes;
  wire::append_frame(bytes, wire::Bytes(10, 0x01));
  wire::append_frame(bytes, wire::Bytes(500, 0x02));
  wire::FrameDecoder strict(100);
  strict.feed(bytes);
  ASSERT_TRUE(strict.next());
  strict.set_max_frame_size(1000);
  auto second = strict.next();
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->size(), 500u);
  wire::FrameDecoder unchanged(100);
  unchanged.feed(bytes);
  ASSERT_TRUE(unchanged.next());
  EXPECT_FALSE(unchanged.next()) << "500 bytes over a 100-byte limit";
}

}  // namespace
}  // namespace frame_test
}  // namespace mosaik
