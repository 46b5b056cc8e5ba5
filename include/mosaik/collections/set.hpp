#pragma once
// Set<T>: a replicated set of unique values (the seed's Set), iterated in operator< order,
// the same on every member.
//
//   auto peers = Set<std::string>::writer(network, StoreId("active-peers"));
//   auto v = co_await peers.insert("node-1");              // expected<Version, Error<T>>
//   Set<std::string>::reader(other, StoreId("active-peers")).contains("node-1");

#include <concepts>
#include <cstddef>
#include <utility>
#include <variant>
#include <vector>

#include <mosaik/collections/detail/collection.hpp>
#include <mosaik/collections/detail/constructors.hpp>
#include <mosaik/collections/detail/set_machine.hpp>
#include <mosaik/collections/type_name.hpp>

namespace mosaik::collections {

template <class T, bool IsWriter>
class SetHandle : public detail::Collection<detail::SetMachine<T>> {
  using Base = detail::Collection<detail::SetMachine<T>>;
  using Command = detail::SetCommand<T>;

 public:
  using Snapshot = PersistentSet<T>;

  template <NetworkHandle Net>
  SetHandle(const Net& network, const StoreId& store, const Options& options)
      : Base(network, StoreDescriptor{"set", store, {type_name<T>()}}, options, IsWriter) {}

  [[nodiscard]] std::size_t len() const { return this->state().size(); }
  [[nodiscard]] bool is_empty() const { return this->state().empty(); }
  [[nodiscard]] bool contains(const T& value) const { return this->state().contains(value); }
  // Every element of this set is in `other` (a writer or a reader): O(n log m).
  template <bool OtherIsWriter>
  [[nodiscard]] bool is_subset(const SetHandle<T, OtherIsWriter>& other) const {
    return this->state().is_subset_of(other.iter());
  }
  // An O(1) snapshot to iterate, in order.
  [[nodiscard]] Snapshot iter() const { return this->state(); }

  // Inserts (a no-op if present; it commits anyway).
  asio::awaitable<std::expected<Version, Error<T>>> insert(T value) const
    requires IsWriter
  {
    return this->template mutate<T>(one(Command::kInsert, std::move(value)),
                                    [](Command back) { return std::move(back.values.front()); });
  }
  asio::awaitable<std::expected<Version, Error<std::vector<T>>>> extend(std::vector<T> values) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kInsert;
    c.values = std::move(values);
    return this->template mutate<std::vector<T>>(std::move(c), [](Command back) { return std::move(back.values); });
  }
  asio::awaitable<std::expected<Version, Error<T>>> remove(T value) const
    requires IsWriter
  {
    return this->template mutate<T>(one(Command::kRemove, std::move(value)),
                                    [](Command back) { return std::move(back.values.front()); });
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> clear() const
    requires IsWriter
  {
    Command c;
    c.op = Command::kClear;
    return this->template mutate<std::monostate>(std::move(c), [](Command) { return std::monostate{}; });
  }

 private:
  static Command one(std::uint8_t op, T value) {
    Command c;
    c.op = op;
    c.values.push_back(std::move(value));
    return c;
  }
};

template <class T>
using SetWriter = SetHandle<T, true>;
template <class T>
using SetReader = SetHandle<T, false>;

template <class T>
  requires std::totally_ordered<T> && NamedType<T>
struct Set : detail::Constructors<SetWriter<T>, SetReader<T>> {};

}  // namespace mosaik::collections
