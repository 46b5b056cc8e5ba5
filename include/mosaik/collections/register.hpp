#pragma once
// Register<T>: a replicated single value (the seed's Register): every write replaces it.
// Once<T> (once.hpp) keeps the first write instead.
//
//   auto config = Register<std::string>::writer(network, StoreId("config"));
//   auto v = co_await config.write("v1");                       // expected<Version, Error<T>>
//   co_await config.compare_exchange("v1", "v2");              // only if it is still "v1"
//   Register<std::string>::reader(other, StoreId("config")).read();

#include <concepts>
#include <optional>
#include <utility>
#include <variant>

#include <mosaik/collections/detail/collection.hpp>
#include <mosaik/collections/detail/constructors.hpp>
#include <mosaik/collections/detail/register_machine.hpp>
#include <mosaik/collections/type_name.hpp>

namespace mosaik::collections {

template <class T, bool IsWriter>
class RegisterHandle : public detail::Collection<detail::RegisterMachine<T>> {
  using Base = detail::Collection<detail::RegisterMachine<T>>;
  using Command = detail::RegisterCommand<T>;

 public:
  template <NetworkHandle Net>
  RegisterHandle(const Net& network, const StoreId& store, const Options& options)
      : Base(network, StoreDescriptor{"register", store, {type_name<T>()}}, options, IsWriter) {}

  [[nodiscard]] std::optional<T> read() const { return this->state(); }
  [[nodiscard]] std::optional<T> get() const { return read(); }
  [[nodiscard]] bool is_empty() const { return !this->state().has_value(); }

  asio::awaitable<std::expected<Version, Error<T>>> write(T value) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kWrite;
    c.value = std::move(value);
    return this->template mutate<T>(std::move(c), [](Command back) { return std::move(*back.value); });
  }
  asio::awaitable<std::expected<Version, Error<T>>> set(T value) const
    requires IsWriter
  {
    return write(std::move(value));
  }
  // Writes `desired` (nullopt clears) only if the value is `current` (nullopt: empty). A
  // mismatch commits too (the version advances) but changes nothing.
  using Exchange = std::pair<std::optional<T>, std::optional<T>>;
  asio::awaitable<std::expected<Version, Error<Exchange>>> compare_exchange(std::optional<T> current,
                                                                            std::optional<T> desired) const
    requires IsWriter
  {
    Command c;
    c.op = Command::kCompareExchange;
    c.expected = std::move(current);
    c.value = std::move(desired);
    return this->template mutate<Exchange>(
        std::move(c), [](Command back) { return Exchange{std::move(back.expected), std::move(back.value)}; });
  }
  asio::awaitable<std::expected<Version, Error<std::monostate>>> clear() const
    requires IsWriter
  {
    Command c;
    c.op = Command::kClear;
    return this->template mutate<std::monostate>(std::move(c), [](Command) { return std::monostate{}; });
  }
};

template <class T>
using RegisterWriter = RegisterHandle<T, true>;
template <class T>
using RegisterReader = RegisterHandle<T, false>;

template <class T>
  requires std::equality_comparable<T> && NamedType<T>
struct Register : detail::Constructors<RegisterWriter<T>, RegisterReader<T>> {};

}  // namespace mosaik::collections
