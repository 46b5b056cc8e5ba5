#pragma once
// Version: the log index at which a collection's mutation committed (the seed's Version): the
// index of the entry that carries it, shared by the mutations a handle coalesced into that
// entry (0802), so one writer's versions never decrease.
//
//   Version v = *co_await map.insert("k", 1);
//   co_await map.when().reaches(v);   fmt::print("at {}", v);

#include <compare>
#include <cstdint>

#include <fmt/format.h>

#include <mosaik/groups/index.hpp>

namespace mosaik::collections {

struct Version {
  groups::Index index;

  constexpr Version() = default;
  constexpr explicit Version(groups::Index i) : index(i) {}
  [[nodiscard]] constexpr std::uint64_t value() const { return index.value; }
  // The seed's Deref<Target = Index>.
  constexpr const groups::Index& operator*() const { return index; }
  constexpr const groups::Index* operator->() const { return &index; }
  friend constexpr auto operator<=>(const Version&, const Version&) = default;
  friend constexpr bool operator==(const Version&, const Version&) = default;
};

}  // namespace mosaik::collections

template <>
struct fmt::formatter<mosaik::collections::Version> : fmt::formatter<std::uint64_t> {
  auto format(mosaik::collections::Version v, format_context& ctx) const {
    return fmt::formatter<std::uint64_t>::format(v.value(), ctx);
  }
};
