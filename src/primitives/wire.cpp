#include "mosaik/primitives/wire.hpp"

#include <fmt/format.h>

namespace mosaik::wire {

std::string_view to_string(DecodeErrc code) {
  switch (code) {
    case DecodeErrc::kTruncated:
      return "truncated input";
    case DecodeErrc::kMalformed:
      return "malformed msgpack";
    case DecodeErrc::kTypeMismatch:
      return "unexpected type or shape";
    case DecodeErrc::kTrailingBytes:
      return "trailing bytes after the value";
    case DecodeErrc::kLimitExceeded:
      return "size or depth limit exceeded";
  }
  return "unknown decode error";
}

std::string DecodeError::message() const {
  if (detail.empty()) return std::string(to_string(code));
  return fmt::format("{}: {}", to_string(code), detail);
}

namespace detail {
namespace {

struct TrailingBytes {
  std::size_t extra;
};

}  // namespace

msgpack::object_handle unpack_bounded(std::span<const std::uint8_t> bytes) {
  // Every array element takes at least one byte and every map entry two, so no honest
  // length exceeds the input size: this caps what the unpacker may allocate up front.
  const std::size_t n = bytes.size();
  msgpack::unpack_limit limit(n, n / 2, n, n, n, kMaxDecodeDepth);
  std::size_t offset = 0;
  msgpack::object_handle handle = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), n,
                                                  offset, nullptr, nullptr, limit);
  if (offset != n) throw TrailingBytes{n - offset};
  return handle;
}

namespace {

// msgpack's unpack() builds a parser per call, and its two stacks allocate each time. The
// thread keeps one parser instead (its stacks keep their capacity). Parsing calls no user
// code, so it never re-enters: a user adaptor decoding nested bytes runs during conversion,
// after the parser is done. This uses msgpack-c's v2::detail parser types as unpack_imp()
// does (Debian's msgpack-cxx pins the version).
using ObjectVisitor = msgpack::v2::detail::create_object_visitor;
using Parser = msgpack::v2::detail::parse_helper<ObjectVisitor>;

bool reference_all(msgpack::type::object_type, std::size_t, void*) { return true; }

struct ThreadParser {
  ObjectVisitor visitor{reference_all, nullptr, msgpack::unpack_limit()};
  Parser parser{visitor};
};
thread_local ThreadParser thread_parser;

}  // namespace

msgpack::object unpack_bounded(std::span<const std::uint8_t> bytes, msgpack::zone& zone) {
  const std::size_t n = bytes.size();
  msgpack::unpack_limit limit(n, n / 2, n, n, n, kMaxDecodeDepth);
  std::size_t offset = 0;
  auto& visitor = thread_parser.visitor;
  visitor.m_limit = limit;
  visitor.set_zone(zone);
  bool referenced = false;
  visitor.set_referenced(referenced);
  thread_parser.parser.init();
  if (n == 0) throw msgpack::insufficient_bytes("insufficient bytes");
  const auto ret =
      thread_parser.parser.execute(reinterpret_cast<const char*>(bytes.data()), n, offset);
  // Malformed input already threw from the visitor; what is left is a cut-off value.
  if (ret == msgpack::PARSE_CONTINUE) throw msgpack::insufficient_bytes("insufficient bytes");
  if (ret != msgpack::PARSE_SUCCESS) throw msgpack::parse_error("parse error");
  if (offset != n) throw TrailingBytes{n - offset};
  return visitor.data();
}

namespace {

thread_local msgpack::zone thread_zone;
thread_local bool thread_zone_in_use = false;

}  // namespace

DecodeZone::DecodeZone() {
  if (thread_zone_in_use) {
    own_ = std::make_unique<msgpack::zone>();
    zone_ = own_.get();
  } else {
    thread_zone_in_use = true;
    zone_ = &thread_zone;
  }
}

DecodeZone::~DecodeZone() {
  if (own_) return;
  thread_zone.clear();
  thread_zone_in_use = false;
}

DecodeError classify_current_exception() {
  try {
    throw;
  } catch (const TrailingBytes& t) {
    return {DecodeErrc::kTrailingBytes, fmt::format("{} extra bytes", t.extra)};
  } catch (const msgpack::insufficient_bytes& e) {
    return {DecodeErrc::kTruncated, e.what()};
  } catch (const msgpack::size_overflow& e) {  // includes depth_size_overflow
    return {DecodeErrc::kLimitExceeded, e.what()};
  } catch (const msgpack::unpack_error& e) {
    return {DecodeErrc::kMalformed, e.what()};
  } catch (const msgpack::type_error& e) {
    return {DecodeErrc::kTypeMismatch, e.what()};
  } catch (const std::bad_alloc&) {
    return {DecodeErrc::kLimitExceeded, "allocation failed"};
  } catch (const std::exception& e) {
    // A user type's adaptor may throw its own error: still a value of the wrong shape.
    return {DecodeErrc::kTypeMismatch, e.what()};
  } catch (...) {
    return {DecodeErrc::kMalformed, "unknown exception while decoding"};
  }
}

}  // namespace detail
}  // namespace mosaik::wire
