#include "mosaik/primitives/wire.hpp"
#include "mosaik/primitives/shared_bytes.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mosaik/primitives/digest.hpp"

namespace mosaik::test_types {
// Carries a Reading encoded as bytes; its adaptor decodes them while the outer value is
// converted (a decode inside a decode).
struct Sealed {
  std::uint64_t id = 0;
  std::vector<std::uint8_t> inner;
  MSGPACK_DEFINE(id, inner);
};
}  // namespace mosaik::test_types

namespace mosaik {
namespace wire_test {
namespace {

struct Reading {
  std::uint64_t sensor_id = 0;
  double temperature = 0;
  std::string label;
  std::vector<std::uint32_t> samples;
  bool operator==(const Reading&) const = default;
  MSGPACK_DEFINE(sensor_id, temperature, label, samples);
};

struct Envelope {
  Digest stream;
  std::map<std::string, Reading> readings;
  std::optional<std::string> note;
  bool operator==(const Envelope&) const = default;
  MSGPACK_DEFINE(stream, readings, note);
};

Envelope sample() {
  return Envelope{Digest("s"),
                  {{"a", Reading{1, 22.5, "kitchen", {1, 2, 3}}}, {"b", Reading{2, -3.0, "", {}}}},
                  "hello"};
}

TEST(Wire, round_trips_nested_user_types) {
  const Envelope e = sample();
  EXPECT_EQ(wire::decode<Envelope>(wire::encode(e)).value(), e);
  Envelope without_note = e;
  without_note.note.reset();
  EXPECT_EQ(wire::decode<Envelope>(wire::encode(without_note)).value(), without_note);
}

struct Opened {
  std::uint64_t id = 0;
  Reading reading;
};

}  // namespace
}  // namespace wire_test
}  // namespace mosaik

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
namespace adaptor {
template <>
struct convert<mosaik::wire_test::Opened> {
  const msgpack::object& operator()(const msgpack::object& o, mosaik::wire_test::Opened& v) const {
    const auto sealed = o.as<mosaik::test_types::Sealed>();
    auto reading = mosaik::wire::decode<mosaik::wire_test::Reading>(sealed.inner);
    if (!reading) throw msgpack::type_error();
    v.id = sealed.id;
    v.reading = *reading;
    return o;
  }
};
}  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack

namespace mosaik {
namespace wire_test {
namespace {

TEST(Wire, a_decode_inside_a_decode_gives_both_values) {
  const Reading reading{7, 1.5, "inner", {9, 8}};
  const auto inner = wire::encode(reading);
  const auto outer = wire::encode(test_types::Sealed{42, inner});
  auto opened = wire::decode<Opened>(outer);
  ASSERT_TRUE(opened.has_value()) << opened.error().message();
  EXPECT_EQ(opened->id, 42u);
  EXPECT_EQ(opened->reading, reading);
  // A bad inner value fails the outer decode, and the next decode on the thread still works.
  auto bad_inner = inner;
  bad_inner.push_back(0x00);
  EXPECT_FALSE(wire::decode<Opened>(wire::encode(test_types::Sealed{1, bad_inner})).has_value());
  EXPECT_EQ(wire::decode<Reading>(inner).value(), reading);
}

TEST(Wire, decode_into_reuses_the_target_and_fails_on_the_same_bytes_as_decode) {
  const Reading big{1, 2.0, std::string(100, 'x'), std::vector<std::uint32_t>(50, 3)};
  const Reading small{4, 5.0, "s", {6}};
  Reading kept;
  ASSERT_TRUE(wire::decode_into(wire::encode(big), kept).has_value());
  EXPECT_EQ(kept, big);
  const auto* samples_buffer = kept.samples.data();
  ASSERT_TRUE(wire::decode_into(wire::encode(small), kept).has_value());
  EXPECT_EQ(kept, small);
  EXPECT_EQ(kept.samples.data(), samples_buffer);  // shrunk in place, not reallocated
  auto truncated = wire::encode(big);
  truncated.pop_back();
  EXPECT_EQ(wire::decode_into(truncated, kept).error().code, wire::DecodeErrc::kTruncated);
  EXPECT_EQ(wire::decode_into(wire::encode(std::string("no")), kept).error().code,
            wire::DecodeErrc::kTypeMismatch);
  ASSERT_TRUE(wire::decode_into(wire::encode(small), kept).has_value());
  EXPECT_EQ(kept, small);
}

TEST(Wire, encode_into_appends) {
  wire::Bytes out = {0xaa};
  wire::encode_into(out, std::uint8_t{5});
  EXPECT_EQ(out, (wire::Bytes{0xaa, 0x05}));
}

TEST(Wire, empty_input_is_truncated) {
  EXPECT_EQ(wire::decode<Reading>({}).error().code, wire::DecodeErrc::kTruncated);
}

TEST(Wire, every_truncation_of_a_valid_message_is_an_error) {
  const wire::Bytes full = wire::encode(sample());
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto r = wire::decode<Envelope>(std::span(full).first(n));
    ASSERT_FALSE(r.has_value()) << "prefix of " << n << " bytes decoded";
    // A cut container header may also claim more entries than the bytes left can hold.
    EXPECT_TRUE(r.error().code == wire::DecodeErrc::kTruncated ||
                r.error().code == wire::DecodeErrc::kLimitExceeded)
        << r.error().message();
  }
}

TEST(Wire, trailing_bytes_are_refused) {
  wire::Bytes b = wire::encode(std::uint32_t{7});
  b.push_back(0x00);
  EXPECT_EQ(wire::decode<std::uint32_t>(b).error().code, wire::DecodeErrc::kTrailingBytes);
}

TEST(Wire, a_value_of_the_wrong_shape_is_a_type_mismatch) {
  EXPECT_EQ(wire::decode<Reading>(wire::encode(std::string("x"))).error().code,
            wire::DecodeErrc::kTypeMismatch);
  EXPECT_EQ(wire::decode<std::uint8_t>(wire::encode(std::uint32_t{300})).error().code,
            wire::DecodeErrc::kTypeMismatch);
}

TEST(Wire, reserved_byte_is_malformed) {
  const wire::Bytes reserved = {0xc1};
  EXPECT_EQ(wire::decode<std::uint32_t>(reserved).error().code, wire::DecodeErrc::kMalformed);
}

bool refused_as_too_large_or_cut(const wire::DecodeError& e) {
  return e.code == wire::DecodeErrc::kLimitExceeded || e.code == wire::DecodeErrc::kTruncated;
}

TEST(Wire, huge_declared_lengths_fail_without_allocating_them) {
  // array32 / map32 / bin32 / str32 headers claiming ~4 billion entries, with a short body.
  // (Under ASan an allocation of the declared size would abort the test.)
  wire::Bytes array32 = {0xdd, 0xff, 0xff, 0xff, 0xff};
  wire::Bytes map32 = {0xdf, 0xff, 0xff, 0xff, 0xff};
  wire::Bytes bin32 = {0xc6, 0xff, 0xff, 0xff, 0xff};
  wire::Bytes str32 = {0xdb, 0xff, 0xff, 0xff, 0xff};
  for (auto* b : {&array32, &map32, &bin32, &str32}) b->resize(64, 0x01);
  EXPECT_TRUE(refused_as_too_large_or_cut(wire::decode<std::vector<int>>(array32).error()));
  EXPECT_TRUE(refused_as_too_large_or_cut(wire::decode<std::map<int, int>>(map32).error()));
  EXPECT_TRUE(refused_as_too_large_or_cut(wire::decode<std::vector<char>>(bin32).error()));
  EXPECT_TRUE(refused_as_too_large_or_cut(wire::decode<std::string>(str32).error()));
}

TEST(Wire, container_longer_than_the_input_is_a_limit_error) {
  // array16 of 1000 elements followed by only 100 one-byte elements.
  wire::Bytes b = {0xdc, 0x03, 0xe8};
  b.resize(103, 0x01);
  EXPECT_EQ(wire::decode<std::vector<int>>(b).error().code, wire::DecodeErrc::kLimitExceeded);
}

TEST(Wire, nesting_deeper_than_the_limit_is_refused) {
  wire::Bytes deep(wire::kMaxDecodeDepth + 10, 0x91);  // fixarray of one element, nested
  deep.push_back(0x00);
  EXPECT_EQ(wire::decode<msgpack::type::nil_t>(deep).error().code, wire::DecodeErrc::kLimitExceeded);
}

TEST(Wire, random_bytes_never_crash_or_throw) {
  std::mt19937_64 rng(12345);
  std::size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    wire::Bytes b(rng() % 64);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    auto r = wire::decode<Envelope>(b);
    if (r) ++decoded;
    else EXPECT_FALSE(r.error().message().empty());
    (void)wire::decode<std::vector<std::string>>(b);
    (void)wire::decode<Digest>(b);
  }
  EXPECT_LT(decoded, 20000u);
}

TEST(Wire, error_messages_name_the_problem) {
  auto r = wire::decode<std::uint32_t>(wire::Bytes{0xc1});
  EXPECT_NE(r.error().message().find("malformed"), std::string::npos);
}

}  // namespace
}  // namespace wire_test
}  // namespace mosaik

namespace mosaik {
namespace wire_test {
namespace {

struct Strict {
  std::uint32_t a = 0;
  std::string b;
  bool operator==(const Strict&) const = default;
  MOSAIK_WIRE_FIELDS(a, b);
};

TEST(Wire, strict_fields_round_trip) {
  const Strict s{7, "x"};
  EXPECT_EQ(wire::decode<Strict>(wire::encode(s)).value(), s);
}

TEST(Wire, strict_fields_refuse_missing_or_extra_elements) {
  EXPECT_EQ(wire::decode<Strict>(wire::encode(std::make_tuple(std::uint32_t{7}))).error().code,
            wire::DecodeErrc::kTypeMismatch);
  EXPECT_EQ(wire::decode<Strict>(wire::encode(std::make_tuple(7u, std::string("x"), 1))).error().code,
            wire::DecodeErrc::kTypeMismatch);
  EXPECT_EQ(wire::decode<Strict>(wire::encode(std::string("x"))).error().code,
            wire::DecodeErrc::kTypeMismatch);
}

}  // namespace
}  // namespace wire_test
}  // namespace mosaik

// wire::SharedBytes, the payload of a Raft entry: the same encoding as wire::Bytes, copies
// that share one buffer, and the decode errors of a wrong msgpack type.
namespace mosaik::wire {
namespace wire_test {
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
}  // namespace wire_test
}  // namespace mosaik::wire
