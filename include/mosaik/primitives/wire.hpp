#pragma once
// Wire encoding: every protocol message and user type travels as msgpack (the C++
// counterpart of the seed's postcard). Decoding untrusted bytes never throws and never
// allocates more than a small multiple of the input: every declared container length is
// bounded by the bytes actually present.
//
//   wire::Bytes b = wire::encode(msg);
//   auto back = wire::decode<Msg>(b);   // std::expected<Msg, wire::DecodeError>

#include <msgpack.hpp>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace mosaik::wire {

using Bytes = std::vector<std::uint8_t>;

enum class DecodeErrc {
  kTruncated,      // the input ends inside a value
  kMalformed,      // not msgpack at all
  kTypeMismatch,   // msgpack, but not the shape of the requested type
  kTrailingBytes,  // a complete value followed by extra bytes
  kLimitExceeded,  // nesting too deep or a length beyond what the input can hold
};

struct DecodeError {
  DecodeErrc code;
  std::string detail;  // what the decoder said, for logs

  [[nodiscard]] std::string message() const;
};

[[nodiscard]] std::string_view to_string(DecodeErrc code);

// MOSAIK_WIRE_FIELDS(a, b, c): like MSGPACK_DEFINE (a struct travels as the array of its
// fields) but strict: an array with fewer or more elements than fields is a type mismatch.
// msgpack-cxx's own macro fills missing fields with defaults, so a truncated message would
// decode into values no sender wrote. Every protocol message uses this one.
#define MOSAIK_WIRE_FIELDS(...)                                                          \
  template <typename Packer>                                                             \
  void msgpack_pack(Packer& packer) const {                                              \
    msgpack::type::make_define_array(__VA_ARGS__).msgpack_pack(packer);                  \
  }                                                                                      \
  void msgpack_unpack(const msgpack::object& object) {                                   \
    ::mosaik::wire::detail::require_array_of(                                            \
        object, std::tuple_size_v<decltype(std::tie(__VA_ARGS__))>);                     \
    msgpack::type::make_define_array(__VA_ARGS__).msgpack_unpack(object);                \
  }                                                                                      \
  template <typename MsgpackObject>                                                      \
  void msgpack_object(MsgpackObject* object, msgpack::zone& zone) const {                \
    msgpack::type::make_define_array(__VA_ARGS__).msgpack_object(object, zone);          \
  }

// Deepest nesting accepted from the network; real messages stay far below it.
inline constexpr std::size_t kMaxDecodeDepth = 64;

namespace detail {

// msgpack's packer writes through any type with write(const char*, size_t).
struct ByteSink {
  Bytes& out;
  void write(const char* data, std::size_t size) {
    out.insert(out.end(), reinterpret_cast<const std::uint8_t*>(data),
               reinterpret_cast<const std::uint8_t*>(data) + size);
  }
};

// Unpacks one msgpack object, with limits derived from the input size. Throws msgpack errors.
msgpack::object_handle unpack_bounded(std::span<const std::uint8_t> bytes);
// The same into `zone`; strings and binaries point into `bytes`, which must outlive the
// object (decode<T> converts at once).
msgpack::object unpack_bounded(std::span<const std::uint8_t> bytes, msgpack::zone& zone);

// The zone of one decode: the thread's reusable zone, cleared afterwards (it keeps only its
// first chunk, so a decode costs no allocation), or a zone of its own when a decode runs
// inside another (a user adaptor decoding nested bytes).
class DecodeZone {
 public:
  DecodeZone();
  ~DecodeZone();
  DecodeZone(const DecodeZone&) = delete;
  DecodeZone& operator=(const DecodeZone&) = delete;
  msgpack::zone& get() { return *zone_; }

 private:
  msgpack::zone* zone_;
  std::unique_ptr<msgpack::zone> own_;
};

DecodeError classify_current_exception();

inline void require_array_of(const msgpack::object& o, std::size_t fields) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size != fields) throw msgpack::type_error();
}

}  // namespace detail

// Appends the encoding of `value` to `out`.
template <class T>
void encode_into(Bytes& out, const T& value) {
  detail::ByteSink sink{out};
  msgpack::pack(sink, value);
}

template <class T>
[[nodiscard]] Bytes encode(const T& value) {
  Bytes out;
  encode_into(out, value);
  return out;
}

// Decodes exactly one value of type T that fills all of `bytes`.
template <class T>
[[nodiscard]] std::expected<T, DecodeError> decode(std::span<const std::uint8_t> bytes) noexcept {
  try {
    detail::DecodeZone zone;
    return detail::unpack_bounded(bytes, zone.get()).template as<T>();
  } catch (...) {
    return std::unexpected(detail::classify_current_exception());
  }
}

// Decodes exactly one value of type T into `out`, reusing what `out` already holds
// (a vector's or string's capacity), so decoding into a kept object need not allocate.
// With msgpack's own adaptors success depends only on `bytes`, not on what `out` held; on
// failure `out` holds an unspecified mix of values.
template <class T>
[[nodiscard]] std::expected<void, DecodeError> decode_into(std::span<const std::uint8_t> bytes,
                                                           T& out) noexcept {
  try {
    detail::DecodeZone zone;
    detail::unpack_bounded(bytes, zone.get()).convert(out);
    return {};
  } catch (...) {
    return std::unexpected(detail::classify_current_exception());
  }
}

}  // namespace mosaik::wire
