#pragma once
// submit_op: awaits GroupCore::submit from any executor with one post each way, instead of a
// coroutine spawned on the group's executor per call (issue 15: with 64 concurrent callers
// the spawn, its frames and a timer per call were most of a round's hand-off). Cancelling
// the awaiting coroutine completes it at once with operation_aborted, as a cancelled wait
// does; the commands stay proposed (their outcome is unknown to this caller).
//
//   ExecuteOutcome o = co_await submit_op(core, std::move(bytes), /*until_commit=*/true);

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include <mosaik/groups/detail/groups_api.hpp>

namespace mosaik::groups::detail {

// The awaiting caller's side: completed once, by the group or by a cancellation, always on
// the caller's executor. (The awaiting coroutine keeps that executor's work while it waits.)
template <class Handler>
class SubmitWaiter : public std::enable_shared_from_this<SubmitWaiter<Handler>> {
 public:
  explicit SubmitWaiter(Handler handler)
      : handler_(std::move(handler)), executor_(asio::get_associated_executor(handler_)) {}

  void watch_cancellation() {
    auto slot = asio::get_associated_cancellation_slot(handler_);
    if (!slot.is_connected()) return;
    slot.assign([weak = this->weak_from_this()](asio::cancellation_type) {
      if (auto self = weak.lock())
        self->complete(std::make_exception_ptr(std::system_error(asio::error::operation_aborted)), {});
    });
  }

  // Any thread; the first call wins.
  void complete(std::exception_ptr error, ExecuteOutcome outcome) {
    if (done_.exchange(true)) return;
    asio::post(executor_, [self = this->shared_from_this(), error, outcome]() mutable {
      auto slot = asio::get_associated_cancellation_slot(self->handler_);
      if (slot.is_connected()) slot.clear();
      std::move(self->handler_)(error, outcome);
    });
  }

 private:
  using Executor = asio::associated_executor_t<Handler>;
  Handler handler_;
  Executor executor_;
  std::atomic<bool> done_{false};
};

struct SubmitInitiation {
  template <class Handler>
  void operator()(Handler&& handler, std::shared_ptr<GroupCore> core, std::vector<wire::Bytes> commands,
                  bool until_commit) const {
    auto waiter = std::make_shared<SubmitWaiter<std::decay_t<Handler>>>(std::forward<Handler>(handler));
    waiter->watch_cancellation();
    auto executor = core->executor();
    asio::post(executor, [core = std::move(core), waiter, commands = std::move(commands), until_commit]() mutable {
      core->submit(std::move(commands), until_commit, [waiter](ExecuteOutcome o) { waiter->complete(nullptr, o); });
    });
  }
};

inline asio::awaitable<ExecuteOutcome> submit_op(std::shared_ptr<GroupCore> core, std::vector<wire::Bytes> commands,
                                                 bool until_commit) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, ExecuteOutcome)>(
      SubmitInitiation{}, asio::use_awaitable, std::move(core), std::move(commands), until_commit);
}

}  // namespace mosaik::groups::detail
