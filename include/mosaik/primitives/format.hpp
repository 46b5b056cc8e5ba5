#pragma once
// Formatting wrappers for logs and debug output, as the seed's primitives:
//
//   fmt::print("{} {} {}", Short(id), Abbreviated<8>(bytes), Redacted(secret));
//   // -> "a1b2c3d4e5 a1b2c3d4..f7f8f9fa <redacted>"
//   fmt::print("{}", FmtIter<Short>(ids));  // -> "[a1b2c3d4e5, 0f1e2d3c4b]"

#include <fmt/format.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace mosaik {

namespace detail {

template <class T>
concept HasAsBytes = requires(const T& t) { std::span<const std::uint8_t>(t.as_bytes()); };

template <class T>
std::span<const std::uint8_t> byte_view(const T& value) {
  if constexpr (HasAsBytes<T>) {
    return std::span<const std::uint8_t>(value.as_bytes());
  } else {
    return std::span<const std::uint8_t>(value);
  }
}

std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace detail

// Shows the first 5 bytes as hex (all of them when shorter).
template <class T>
struct Short {
  const T& value;
  explicit Short(const T& v) : value(v) {}
};

// Shows `first..last` (LEN/2 bytes each side) when longer than LEN bytes, else all of it.
template <std::size_t LEN, class T>
struct Abbreviated {
  const T& value;
  explicit Abbreviated(const T& v) : value(v) {}
};

// Always prints "<redacted>": for secrets that must never reach a log.
template <class T>
struct Redacted {
  const T& value;
  explicit Redacted(const T& v) : value(v) {}
};

// Formats each element of a range with the wrapper W, comma-separated in brackets.
template <template <class> class W, class Range>
struct FmtIter {
  const Range& range;
  explicit FmtIter(const Range& r) : range(r) {}
};

}  // namespace mosaik

template <class T>
struct fmt::formatter<mosaik::Short<T>> : fmt::formatter<std::string_view> {
  auto format(const mosaik::Short<T>& s, fmt::format_context& ctx) const {
    auto bytes = mosaik::detail::byte_view(s.value);
    return fmt::format_to(ctx.out(), "{}", mosaik::detail::to_hex(bytes.first(std::min<std::size_t>(5, bytes.size()))));
  }
};

template <std::size_t LEN, class T>
struct fmt::formatter<mosaik::Abbreviated<LEN, T>> : fmt::formatter<std::string_view> {
  auto format(const mosaik::Abbreviated<LEN, T>& a, fmt::format_context& ctx) const {
    auto bytes = mosaik::detail::byte_view(a.value);
    if (bytes.size() <= LEN) return fmt::format_to(ctx.out(), "{}", mosaik::detail::to_hex(bytes));
    return fmt::format_to(ctx.out(), "{}..{}", mosaik::detail::to_hex(bytes.first(LEN / 2)),
                          mosaik::detail::to_hex(bytes.last(LEN / 2)));
  }
};

template <class T>
struct fmt::formatter<mosaik::Redacted<T>> : fmt::formatter<std::string_view> {
  auto format(const mosaik::Redacted<T>&, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "<redacted>");
  }
};

template <template <class> class W, class Range>
struct fmt::formatter<mosaik::FmtIter<W, Range>> : fmt::formatter<std::string_view> {
  auto format(const mosaik::FmtIter<W, Range>& it, fmt::format_context& ctx) const {
    auto out = fmt::format_to(ctx.out(), "[");
    bool first = true;
    for (const auto& item : it.range) {
      if (!first) out = fmt::format_to(out, ", ");
      first = false;
      out = fmt::format_to(out, "{}", W<std::remove_cvref_t<decltype(item)>>(item));
    }
    return fmt::format_to(out, "]");
  }
};
