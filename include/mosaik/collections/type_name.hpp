#pragma once
// type_name<T>(): the stable name of an element type, part of a collection's GroupId, so
// Map<std::string, u64> and Map<u32, u64> under one StoreId are different groups. The seed
// hashes Rust's type_name (not stable across compilers); typeid().name() differs between
// compilers too, so names here are fixed strings (docs/decisions/0800).
//
//   struct Order { ...; static constexpr std::string_view mosaik_type_name = "acme.Order.v1"; };
//   collections::type_name<std::vector<Order>>() == "vec<acme.Order.v1>"
//
// A type with no name is a compile error: give it `mosaik_type_name` or specialise TypeName.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <mosaik/primitives/digest.hpp>

namespace mosaik::collections {

template <class T>
struct TypeName;  // specialise for types that cannot carry mosaik_type_name

template <class T>
concept NamedType = requires { { TypeName<T>::name() } -> std::convertible_to<std::string>; } ||
                    requires { { T::mosaik_type_name } -> std::convertible_to<std::string_view>; };

template <class T>
[[nodiscard]] std::string type_name() {
  if constexpr (requires { TypeName<T>::name(); }) {
    return std::string(TypeName<T>::name());
  } else {
    static_assert(requires { T::mosaik_type_name; },
                  "collection element types need a stable name: a static constexpr std::string_view "
                  "mosaik_type_name member, or a specialisation of mosaik::collections::TypeName");
    return std::string(T::mosaik_type_name);
  }
}

#define MOSAIK_COLLECTIONS_NAME(type, text)              \
  template <>                                            \
  struct TypeName<type> {                                \
    static std::string name() { return text; }           \
  }
MOSAIK_COLLECTIONS_NAME(bool, "bool");
MOSAIK_COLLECTIONS_NAME(char, "char");
MOSAIK_COLLECTIONS_NAME(std::int8_t, "i8");
MOSAIK_COLLECTIONS_NAME(std::int16_t, "i16");
MOSAIK_COLLECTIONS_NAME(std::int32_t, "i32");
MOSAIK_COLLECTIONS_NAME(std::int64_t, "i64");
MOSAIK_COLLECTIONS_NAME(std::uint8_t, "u8");
MOSAIK_COLLECTIONS_NAME(std::uint16_t, "u16");
MOSAIK_COLLECTIONS_NAME(std::uint32_t, "u32");
MOSAIK_COLLECTIONS_NAME(std::uint64_t, "u64");
MOSAIK_COLLECTIONS_NAME(float, "f32");
MOSAIK_COLLECTIONS_NAME(double, "f64");
MOSAIK_COLLECTIONS_NAME(std::string, "string");
MOSAIK_COLLECTIONS_NAME(Digest, "digest");
#undef MOSAIK_COLLECTIONS_NAME

template <class T>
struct TypeName<std::vector<T>> {
  static std::string name() { return "vec<" + type_name<T>() + ">"; }
};
template <class T>
struct TypeName<std::optional<T>> {
  static std::string name() { return "optional<" + type_name<T>() + ">"; }
};
template <class A, class B>
struct TypeName<std::pair<A, B>> {
  static std::string name() { return "pair<" + type_name<A>() + "," + type_name<B>() + ">"; }
};
template <class K, class V>
struct TypeName<std::map<K, V>> {
  static std::string name() { return "map<" + type_name<K>() + "," + type_name<V>() + ">"; }
};
template <class T, std::size_t N>
struct TypeName<std::array<T, N>> {
  static std::string name() { return "array<" + type_name<T>() + "," + std::to_string(N) + ">"; }
};
template <class... Ts>
struct TypeName<std::tuple<Ts...>> {
  static std::string name() {
    std::string out = "tuple<";
    bool first = true;
    ((out += (first ? "" : ","), out += type_name<Ts>(), first = false), ...);
    return out + ">";
  }
};

}  // namespace mosaik::collections
