#pragma once
// Once<T>: a replicated write-once register (the seed's Once): the first write that commits
// is kept for good; later writes commit too (their version advances) but change nothing.
//
//   auto seed = Once<std::string>::writer(network, StoreId("genesis"));
//   auto v = co_await seed.write("genesis-a");    // another node's write may win instead
//   co_await seed.when().reaches(*v);  seed.read();   // the winner, the same on every node

#include <concepts>
#include <optional>
#include <utility>

#include <mosaik/collections/detail/collection.hpp>
#include <mosaik/collections/detail/constructors.hpp>
#include <mosaik/collections/detail/register_machine.hpp>
#include <mosaik/collections/type_name.hpp>

namespace mosaik::collections {

template <class T, bool IsWriter>
class OnceHandle : public detail::Collection<detail::OnceMachine<T>> {
  using Base = detail::Collection<detail::OnceMachine<T>>;
  using Command = detail::OnceCommand<T>;

 public:
  template <NetworkHandle Net>
  OnceHandle(const Net& network, const StoreId& store, const Options& options)
      : Base(network, StoreDescriptor{"once", store, {type_name<T>()}}, options, IsWriter) {}

  [[nodiscard]] std::optional<T> read() const { return this->state(); }
  [[nodiscard]] std::optional<T> get() const { return read(); }
  [[nodiscard]] bool is_empty() const { return !this->state().has_value(); }
  [[nodiscard]] bool is_none() const { return is_empty(); }
  [[nodiscard]] bool is_some() const { return !is_empty(); }

  // Sets the value unless one was set before (then it commits and changes nothing).
  asio::awaitable<std::expected<Version, Error<T>>> write(T value) const
    requires IsWriter
  {
    return this->template mutate<T>(Command{std::move(value)}, [](Command back) { return std::move(back.value); });
  }
  asio::awaitable<std::expected<Version, Error<T>>> set(T value) const
    requires IsWriter
  {
    return write(std::move(value));
  }
};

template <class T>
using OnceWriter = OnceHandle<T, true>;
template <class T>
using OnceReader = OnceHandle<T, false>;

template <class T>
  requires std::equality_comparable<T> && NamedType<T>
struct Once : detail::Constructors<OnceWriter<T>, OnceReader<T>> {};

}  // namespace mosaik::collections
