#pragma once
// msgpack encoding shared by fixed-size byte identifiers (Digest, PeerId, Signature, ...):
// they travel as one `bin` of exactly T::kSize bytes. A value of another type or length, or
// one T::from_slice refuses, fails to decode with msgpack::type_error, which wire::decode turns into a DecodeError.
//
//   MOSAIK_MSGPACK_FIXED_BYTES(mosaik::PeerId)   // at global namespace scope, after T

#include <msgpack.hpp>

#include <cstddef>
#include <cstdint>

namespace mosaik::detail {

template <class T>
void unpack_fixed_bytes(const msgpack::object& o, T& out) {
  if (o.type != msgpack::type::BIN) throw msgpack::type_error();
  // from_slice checks the length and whatever else T requires (a PeerId must be a valid point).
  auto value = T::from_slice(
      {reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr), static_cast<std::size_t>(o.via.bin.size)});
  if (!value) throw msgpack::type_error();
  out = *value;
}

template <class Stream, class T>
void pack_fixed_bytes(msgpack::packer<Stream>& p, const T& value) {
  p.pack_bin(T::kSize);
  p.pack_bin_body(reinterpret_cast<const char*>(value.as_bytes().data()), T::kSize);
}

}  // namespace mosaik::detail

#define MOSAIK_MSGPACK_FIXED_BYTES(T)                                                   \
  namespace msgpack {                                                                   \
  MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {                               \
    namespace adaptor {                                                                 \
    template <>                                                                         \
    struct convert<T> {                                                                 \
      const msgpack::object& operator()(const msgpack::object& o, T& v) const {         \
        ::mosaik::detail::unpack_fixed_bytes(o, v);                                     \
        return o;                                                                       \
      }                                                                                 \
    };                                                                                  \
    template <>                                                                         \
    struct pack<T> {                                                                    \
      template <class Stream>                                                           \
      msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& p, const T& v) const { \
        ::mosaik::detail::pack_fixed_bytes(p, v);                                       \
        return p;                                                                       \
      }                                                                                 \
    };                                                                                  \
    }                                                                                   \
  }                                                                                     \
  }
