#pragma once
// Positions in a group's replicated log: Index, Term, Cursor (term + index) and IndexRange.
//
//   Index i = Index(5);  Cursor at{Term(2), i};  IndexRange r{Index(3), Index(7)};
//   if (r.contains(i)) { ... }   // r.size() == 5
//
// Index 0 is the sentinel "no entry": the first entry of every log is Index(1).

#include <compare>
#include <cstdint>
#include <functional>

#include <fmt/format.h>
#include <msgpack.hpp>

namespace mosaik::groups {

namespace detail {
// The shared shape of Index and Term: a u64 with saturating prev/next.
template <class Self>
struct LogCounter {
  std::uint64_t value = 0;

  constexpr LogCounter() = default;
  constexpr explicit LogCounter(std::uint64_t v) : value(v) {}

  static constexpr Self zero() { return Self(0); }
  static constexpr Self one() { return Self(1); }
  [[nodiscard]] constexpr bool is_zero() const { return value == 0; }
  [[nodiscard]] constexpr Self prev() const { return Self(value == 0 ? 0 : value - 1); }
  [[nodiscard]] constexpr Self next() const {
    return Self(value == UINT64_MAX ? value : value + 1);
  }
  [[nodiscard]] constexpr std::uint64_t distance(Self other) const {
    return value > other.value ? value - other.value : other.value - value;
  }
  friend constexpr auto operator<=>(const LogCounter&, const LogCounter&) = default;
  friend constexpr bool operator==(const LogCounter&, const LogCounter&) = default;

  MSGPACK_DEFINE(value);
};
}  // namespace detail

// A log position; 0 is the sentinel "no entry".
struct Index : detail::LogCounter<Index> {
  using LogCounter::LogCounter;
};

// A Raft term; a leader is elected for at most one term.
struct Term : detail::LogCounter<Term> {
  using LogCounter::LogCounter;
};

// A (term, index) pair naming one log entry. Ordered by term, then index, as Raft compares logs.
struct Cursor {
  Term term;
  Index index;

  friend constexpr auto operator<=>(const Cursor&, const Cursor&) = default;
  friend constexpr bool operator==(const Cursor&, const Cursor&) = default;
  MSGPACK_DEFINE(term, index);
};

// An inclusive range of log positions, as returned by execute_many / feed_many.
struct IndexRange {
  Index first;
  Index last;

  [[nodiscard]] constexpr bool contains(Index i) const { return first <= i && i <= last; }
  [[nodiscard]] constexpr std::uint64_t size() const {
    return last < first ? 0 : last.value - first.value + 1;
  }
  [[nodiscard]] constexpr bool empty() const { return last < first; }
  friend constexpr bool operator==(const IndexRange&, const IndexRange&) = default;
  MSGPACK_DEFINE(first, last);
};

}  // namespace mosaik::groups

template <>
struct std::hash<mosaik::groups::Index> {
  std::size_t operator()(mosaik::groups::Index i) const noexcept {
    return std::hash<std::uint64_t>{}(i.value);
  }
};
template <>
struct std::hash<mosaik::groups::Term> {
  std::size_t operator()(mosaik::groups::Term t) const noexcept {
    return std::hash<std::uint64_t>{}(t.value);
  }
};

template <>
struct fmt::formatter<mosaik::groups::Index> : fmt::formatter<std::uint64_t> {
  auto format(mosaik::groups::Index i, format_context& ctx) const {
    return fmt::formatter<std::uint64_t>::format(i.value, ctx);
  }
};
template <>
struct fmt::formatter<mosaik::groups::Term> : fmt::formatter<std::uint64_t> {
  auto format(mosaik::groups::Term t, format_context& ctx) const {
    return fmt::formatter<std::uint64_t>::format(t.value, ctx);
  }
};
template <>
struct fmt::formatter<mosaik::groups::Cursor> : fmt::formatter<std::string_view> {
  auto format(const mosaik::groups::Cursor& c, format_context& ctx) const {
    return fmt::format_to(ctx.out(), "{}@{}", c.index.value, c.term.value);
  }
};
