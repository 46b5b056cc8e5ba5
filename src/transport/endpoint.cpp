#include "mosaik/transport/endpoint.hpp"

#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <future>
#include <optional>
#include <set>
#include <thread>

#include "advertised_addresses.hpp"
#include "endpoint_core.hpp"
#include "mosaik/transport/on_executor.hpp"

namespace mosaik::transport {

namespace detail {
// The event loop an endpoint owns when it runs on its own thread. Connection and link
// handles keep it alive, so a handle that outlives the endpoint never holds a dangling
// executor (its operations then fail with GracefulShutdown).
struct EndpointRuntime {
  asio::io_context context{1};
};
}  // namespace detail

struct Endpoint::State {
  std::shared_ptr<detail::EndpointRuntime> runtime;  // null on a caller's executor
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  asio::any_io_executor executor;
  std::shared_ptr<detail::EndpointCore> core;
  PeerId id;
  detail::AdvertisedAddresses advertised;

  ~State() {
    if (thread.joinable()) {
      asio::post(executor, [core = core] { core->shutdown(); });
      work.reset();
      if (thread.get_id() == std::this_thread::get_id()) {
        // The last handle went on the loop's own thread (a task held it): joining would
        // wait for ourselves. The loop ends once its tasks finish; the thread holds the
        // runtime until then.
        thread.detach();
      } else {
        thread.join();  // returns once every task on the loop has finished
      }
      core.reset();
    } else if (core) {
      // On the caller's executor: the core is shut down and released there.
      asio::post(executor, [core = std::move(core)] { core->shutdown(); });
    }
  }
};

namespace {

asio::awaitable<std::expected<Connection, ConnectError>> connect_on_loop(
    std::shared_ptr<detail::EndpointCore> core, EndpointAddr peer, std::string alpn) {
  co_return co_await core->connect(std::move(peer), std::move(alpn));
}

asio::awaitable<void> shutdown_on_loop(std::shared_ptr<detail::EndpointCore> core) {
  core->shutdown();
  co_return;
}

}  // namespace

std::expected<Endpoint, BindError> Endpoint::bind(const SecretKey& key, EndpointConfig config) {
  auto state = std::make_shared<State>();
  state->runtime = std::make_shared<detail::EndpointRuntime>();
  state->executor = state->runtime->context.get_executor();
  auto core = detail::EndpointCore::create(key, config, state->executor, state->runtime);
  if (!core) return std::unexpected(core.error());
  state->core = std::move(*core);
  state->id = key.public_key();
  state->advertised.set_explicit(config.advertised_addresses);
  state->work.emplace(state->runtime->context.get_executor());
  state->thread = std::thread([runtime = state->runtime] { runtime->context.run(); });
  return Endpoint(std::move(state));
}

std::expected<Endpoint, BindError> Endpoint::bind(const SecretKey& key, EndpointConfig config,
                                                  asio::any_io_executor executor) {
  auto state = std::make_shared<State>();
  state->executor = executor;
  auto core = detail::EndpointCore::create(key, config, executor, nullptr);
  if (!core) return std::unexpected(core.error());
  state->core = std::move(*core);
  state->id = key.public_key();
  state->advertised.set_explicit(config.advertised_addresses);
  return Endpoint(std::move(state));
}

PeerId Endpoint::id() const { return state_->id; }

EndpointAddr Endpoint::addr() const {
  return EndpointAddr(state_->id, state_->advertised.get(state_->core->local_addresses()));
}

asio::any_io_executor Endpoint::executor() const { return state_->executor; }

void Endpoint::register_alpn(std::string alpn, AcceptHandler handler) {
  auto install = [core = state_->core, alpn = std::move(alpn), handler = std::move(handler)] {
    core->register_alpn(alpn, handler);
  };
  if (state_->thread.joinable() && state_->thread.get_id() != std::this_thread::get_id()) {
    // From outside our own loop: wait until it is installed, so a dial that follows sees it.
    std::promise<void> done;
    auto installed = done.get_future();
    asio::post(state_->executor, [&install, &done] {
      install();
      done.set_value();
    });
    installed.wait();
    return;
  }
  asio::dispatch(state_->executor, std::move(install));
}

asio::awaitable<std::expected<Connection, ConnectError>> Endpoint::connect(EndpointAddr peer,
                                                                           std::string alpn) {
  co_return co_await detail::on_executor(state_->executor,
                                         connect_on_loop(state_->core, std::move(peer), std::move(alpn)));
}

asio::awaitable<void> Endpoint::shutdown() {
  co_await detail::on_executor(state_->executor, shutdown_on_loop(state_->core));
}

// Runs `fn(core)` on the endpoint's executor and returns its result: inline when already
// there (or when the executor is the caller's), otherwise posted and waited for.
template <class F>
auto Endpoint::query_core(F fn) const {
  using R = decltype(fn(*state_->core));
  std::promise<R> done;
  auto result = done.get_future();
  auto apply = [core = state_->core, &fn, &done] { done.set_value(fn(*core)); };
  if (state_->thread.joinable() && state_->thread.get_id() != std::this_thread::get_id()) {
    asio::post(state_->executor, apply);
  } else {
    asio::dispatch(state_->executor, apply);
  }
  return result.get();
}

bool Endpoint::set_faults(const FaultConfig& faults) {
  return query_core([&faults](detail::EndpointCore& core) { return core.set_faults(faults); });
}

std::uint64_t Endpoint::buffered_receive_bytes() const {
  return query_core([](detail::EndpointCore& core) { return core.buffered_receive_bytes(); });
}

TrafficStats Endpoint::traffic() const { return state_->core->traffic(); }

std::size_t Endpoint::open_connections() const {
  return query_core([](detail::EndpointCore& core) { return core.open_connections(); });
}

}  // namespace mosaik::transport
