#pragma once
// Vec<T>: a replicated, index-addressable sequence (the seed's Vec). A mutation naming a
// position past the end commits but changes nothing (every member skips it alike).
//
//   auto events = Vec<std::string>::writer(network, StoreId("events"));
//   auto v = co_await events.push_back("started");       // expected<Version, Error<T>>
//   Vec<std::string>::reader(other, StoreId("events")).back();

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include <mosaik/collections/detail/collection.hpp>
#include <mosaik/collections/detail/constructors.hpp>
#include <mosaik/collections/detail/vec_machine.hpp>
#include <mosaik/collections/type_name.hpp>

namespace mosaik::collections {

template <class T, bool IsWriter>
class VecHandle : public detail::Collection<detail::VecMachine<T>> {
  using Base = detail::Collection<detail::VecMachine<T>>;
  using Command = detail::VecCommand<T>;

 public:
  using Snapshot = PersistentVector<T>;

  template <NetworkHandle Net>
  VecHandle(const Net& network, const StoreId& store, const Options& options)
      : Base(network, StoreDescriptor{"vec", store, {type_name<T>()}}, options, IsWriter) {}

  [[nodiscard]] std::size_t len() const { return this->state().size(); }
  [[nodiscard]] bool is_empty() const { return this->state().empty(); }
  [[nodiscard]] std::optional<T> get(std::uint64_t index) const { return copy(this->state().get(index)); }
  [[nodiscard]] std::optional<T> front() const { return copy(this->state().front()); }
  [[nodiscard]] std::optional<T> head() const { return front(); }
  [[nodiscard]] std::optional<T> back() const { return copy(this->state().back()); }
  [[nodiscard]] std::optional<T> last() const { return back(); }
  [[nodiscard]] bool contains(const T& value) const { return index_of(value).has_value(); }
  [[nodiscard]] std::optional<std::uint64_t> index_of(const T& value) const {
    std::uint64_t i = 0;
    for (const auto& v : this->state()) {
      if (v == value) return i;
      ++i;
    }
    return std::nullopt;
  }
  // An O(1) snapshot to iterate, in order.
  [[nodiscard]] Snapshot iter() const { return this->state(); }

  asio::awaitable<std::expected<Version, Error<T>>> push_back(T value) const
    requires IsWriter
  {
    return one_value(Command::kPushBack, std::move(value), 0);
  }
  asio::awaitable<std::expected<Version, Error<T>>> push_front(T value) const
    requires IsWriter
  {
    return one_value(Command::kPushFront, std::move(value), 0);
  }
  // Inserts before `index` (index == len() appends), shifting the rest right.
  asio::awaitable<std::expected<Version, Error<T>>> insert(std::uint64_t index, T value) const
    requires IsWriter
  {
    return one_value(Command::kInsert, std::move(value), index);
  }
  asio::awaitable<std::expected<Version, Error<std::vector<T>>>> extend(std::vector<T> values) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kPushBack;
    c.values = std::move(values);
    return this->template mutate<std::vector<T>>(std::move(c), [](Command back) { return std::move(back.values); });
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> pop_back() const
    requires IsWriter
  {
    return no_value(Command::kPopBack, 0, 0);
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> pop_front() const
    requires IsWriter
  {
    return no_value(Command::kPopFront, 0, 0);
  }
  asio::awaitable<std::expected<Version, Error<std::uint64_t>>> remove(std::uint64_t index) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kRemove;
    c.a = index;
    return this->template mutate<std::uint64_t>(std::move(c), [](Command back) { return back.a; });
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> swap(std::uint64_t i, std::uint64_t j) const
    requires IsWriter
  {
    return no_value(Command::kSwap, i, j);
  }
  // Keeps the first `length` elements.
  asio::awaitable<std::expected<Version, Error<std::monostate>>> truncate(std::size_t length) const
    requires IsWriter
  {
    return no_value(Command::kTruncate, length, 0);
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> clear() const
    requires IsWriter
  {
    return no_value(Command::kClear, 0, 0);
  }

 private:
  static std::optional<T> copy(const T* v) { return v ? std::optional<T>(*v) : std::nullopt; }
  asio::awaitable<std::expected<Version, Error<T>>> one_value(std::uint8_t op, T value, std::uint64_t a) const {
    Command c;
    c.op = op;
    c.a = a;
    c.values.push_back(std::move(value));
    return this->template mutate<T>(std::move(c), [](Command back) { return std::move(back.values.front()); });
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> no_value(std::uint8_t op, std::uint64_t a,
                                                                         std::uint64_t b) const {
    Command c;
    c.op = op;
    c.a = a;
    c.b = b;
    return this->template mutate<std::monostate>(std::move(c), [](Command) { return std::monostate{}; });
  }
};

template <class T>
using VecWriter = VecHandle<T, true>;
template <class T>
using VecReader = VecHandle<T, false>;

template <class T>
  requires std::equality_comparable<T> && NamedType<T>
struct Vec : detail::Constructors<VecWriter<T>, VecReader<T>> {};

}  // namespace mosaik::collections
