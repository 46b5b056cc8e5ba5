#pragma once
// Datum: a type that travels through a stream. Any msgpack-serializable, copyable type is
// one. Its default StreamId hashes a stable name:
//
//   struct Price { std::string symbol; double price; MSGPACK_DEFINE(symbol, price);
//                  static constexpr std::string_view stream_name = "prices/v1"; };  // optional
//   StreamId id = streams::derived_stream_id<Price>();
//
// Without `stream_name` (or a stream_name_of<D> specialization) the name is the type's name
// as this compiler spells it (g++: "ns::Price"). Compilers spell some names differently
// (anonymous namespaces, templates), so nodes built by different compilers should set a
// name (docs/decisions/0600).

#include <msgpack.hpp>

#include <concepts>
#include <string_view>

#include "mosaik/primitives/digest.hpp"

namespace mosaik::streams {

template <class D>
concept Datum = std::copyable<D> && requires(const D& d, msgpack::packer<msgpack::sbuffer>& p,
                                              const msgpack::object& o) {
  p.pack(d);
  o.as<D>();
};

// Specialize to name a type you cannot edit: `static constexpr std::string_view value = "..."`.
template <class D>
struct stream_name_of {};

namespace detail {

template <class D>
constexpr std::string_view compiler_type_name() {
  // "... compiler_type_name() [with D = ns::Price; std::string_view = ...]"
  constexpr std::string_view f = __PRETTY_FUNCTION__;
  constexpr std::string_view marker = "D = ";
  constexpr auto begin = f.find(marker) + marker.size();
  constexpr auto end = f.find_first_of(";]", begin);
  return f.substr(begin, end - begin);
}

template <class D>
concept HasMemberName = requires { { D::stream_name } -> std::convertible_to<std::string_view>; };
template <class D>
concept HasTraitName = requires { { stream_name_of<D>::value } -> std::convertible_to<std::string_view>; };

}  // namespace detail

// The name a datum type's default stream id hashes.
template <class D>
constexpr std::string_view stream_name() {
  if constexpr (detail::HasMemberName<D>) {
    return D::stream_name;
  } else if constexpr (detail::HasTraitName<D>) {
    return stream_name_of<D>::value;
  } else {
    return detail::compiler_type_name<D>();
  }
}

// The seed's Datum::derived_stream_id(): blake3 of stream_name<D>().
template <class D>
StreamId derived_stream_id() {
  return StreamId(stream_name<D>());
}

}  // namespace mosaik::streams
