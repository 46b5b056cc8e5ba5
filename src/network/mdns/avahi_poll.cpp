#include "avahi_poll.hpp"

#include <poll.h>
#include <sys/time.h>

#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace mosaik::network::detail {
namespace {

// A watch or timeout outlives avahi's handle to it while an Asio handler still refers to
// it: avahi may free it from inside its own callback, so handlers hold the state and check
// `freed` before touching anything.
struct WatchState {
  WatchState(const asio::any_io_executor& ex, int fd) : descriptor(ex, fd), fd(fd) {}
  asio::posix::stream_descriptor descriptor;  // released, never closed: avahi owns the fd
  int fd;
  AvahiWatchEvent wanted{};
  AvahiWatchEvent last{};
  AvahiWatchCallback callback = nullptr;
  void* userdata = nullptr;
  AvahiWatch* handle = nullptr;
  bool freed = false;
  bool read_waiting = false;
  bool write_waiting = false;
  int immediate_refires = 0;
};

struct TimeoutState {
  explicit TimeoutState(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  AvahiTimeoutCallback callback = nullptr;
  void* userdata = nullptr;
  AvahiTimeout* handle = nullptr;
  bool freed = false;
  std::uint64_t generation = 0;  // a re-armed timeout ignores its earlier expiry
};

}  // namespace
}  // namespace mosaik::network::detail

// avahi declares these opaque; the poll implementation defines them.
struct AvahiWatch {
  std::shared_ptr<mosaik::network::detail::WatchState> state;
};
struct AvahiTimeout {
  std::shared_ptr<mosaik::network::detail::TimeoutState> state;
};

namespace mosaik::network::detail {
namespace {

// After this many callbacks in a row that left the fd readable, wait for the reactor
// instead of re-firing at once (avahi reads one datagram per callback; this bounds a spin
// should it ever not read).
constexpr int kMaxImmediateRefires = 64;

asio::any_io_executor executor_of(const AvahiPoll* api) {
  return static_cast<AsioAvahiPoll*>(api->userdata)->executor();
}

short poll_events(AvahiWatchEvent e) {
  short out = 0;
  if (e & AVAHI_WATCH_IN) out |= POLLIN;
  if (e & AVAHI_WATCH_OUT) out |= POLLOUT;
  return out;
}

// What the fd is ready for now, among what avahi asked for (no waiting).
AvahiWatchEvent ready_now(const WatchState& s) {
  pollfd p{s.fd, poll_events(s.wanted), 0};
  if (::poll(&p, 1, 0) <= 0) return AvahiWatchEvent{};
  int e = 0;
  if (p.revents & POLLIN) e |= AVAHI_WATCH_IN;
  if (p.revents & POLLOUT) e |= AVAHI_WATCH_OUT;
  if (p.revents & POLLERR) e |= AVAHI_WATCH_ERR;
  if (p.revents & POLLHUP) e |= AVAHI_WATCH_HUP;
  return static_cast<AvahiWatchEvent>(e);
}

void arm(const std::shared_ptr<WatchState>& s);

void fire(const std::shared_ptr<WatchState>& s) {
  if (s->freed) return;
  const AvahiWatchEvent ready = ready_now(*s);
  if (ready) {
    s->last = ready;
    s->callback(s->handle, s->fd, ready, s->userdata);
    if (s->freed) return;  // avahi freed the watch in its callback
  }
  arm(s);
}

void arm(const std::shared_ptr<WatchState>& s) {
  if (s->freed || !s->wanted) return;
  // Asio's reactor is edge-triggered: a datagram left unread after a callback raises no new
  // edge. Anything still pending is handled by a posted re-fire instead.
  if (ready_now(*s) && s->immediate_refires < kMaxImmediateRefires) {
    ++s->immediate_refires;
    asio::post(s->descriptor.get_executor(), [s] { fire(s); });
    return;
  }
  s->immediate_refires = 0;
  if ((s->wanted & AVAHI_WATCH_IN) && !s->read_waiting) {
    s->read_waiting = true;
    s->descriptor.async_wait(asio::posix::descriptor_base::wait_read, [s](std::error_code ec) {
      s->read_waiting = false;
      if (ec == asio::error::operation_aborted) return arm(s);  // watch_update: wait again if still wanted
      if (ec) return;
      fire(s);
    });
  }
  if ((s->wanted & AVAHI_WATCH_OUT) && !s->write_waiting) {
    s->write_waiting = true;
    s->descriptor.async_wait(asio::posix::descriptor_base::wait_write, [s](std::error_code ec) {
      s->write_waiting = false;
      if (ec == asio::error::operation_aborted) return arm(s);
      if (ec) return;
      fire(s);
    });
  }
}

AvahiWatch* watch_new(const AvahiPoll* api, int fd, AvahiWatchEvent event,
                      AvahiWatchCallback callback, void* userdata) {
  auto state = std::make_shared<WatchState>(executor_of(api), fd);
  state->wanted = event;
  state->callback = callback;
  state->userdata = userdata;
  auto handle = std::make_unique<AvahiWatch>(AvahiWatch{state});  // avahi's until watch_free
  state->handle = handle.get();
  arm(state);
  return handle.release();
}

void watch_update(AvahiWatch* w, AvahiWatchEvent event) {
  w->state->wanted = event;
  if (!event) w->state->descriptor.cancel();
  arm(w->state);
}

AvahiWatchEvent watch_get_events(AvahiWatch* w) { return w->state->last; }

void watch_free(AvahiWatch* w) {
  auto& s = *w->state;
  s.freed = true;
  s.descriptor.cancel();
  (void)s.descriptor.release();  // avahi closes its own fd
  std::unique_ptr<AvahiWatch> owned(w);
}

void timeout_arm(AvahiTimeout* t, const struct timeval* tv) {
  auto s = t->state;
  const std::uint64_t generation = ++s->generation;
  s->timer.cancel();
  if (!tv) return;  // disabled
  // avahi gives absolute wall-clock times (gettimeofday); wait for the difference.
  timeval now{};
  gettimeofday(&now, nullptr);
  const auto delay = std::chrono::seconds(tv->tv_sec - now.tv_sec) +
                     std::chrono::microseconds(tv->tv_usec - now.tv_usec);
  s->timer.expires_after(delay.count() > 0 ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay)
                                           : std::chrono::steady_clock::duration::zero());
  s->timer.async_wait([s, generation](std::error_code ec) {
    if (ec || s->freed || s->generation != generation) return;
    s->callback(s->handle, s->userdata);
  });
}

AvahiTimeout* timeout_new(const AvahiPoll* api, const struct timeval* tv,
                          AvahiTimeoutCallback callback, void* userdata) {
  auto state = std::make_shared<TimeoutState>(executor_of(api));
  state->callback = callback;
  state->userdata = userdata;
  auto handle = std::make_unique<AvahiTimeout>(AvahiTimeout{state});  // avahi's until timeout_free
  state->handle = handle.get();
  timeout_arm(handle.get(), tv);
  return handle.release();
}

void timeout_update(AvahiTimeout* t, const struct timeval* tv) { timeout_arm(t, tv); }

void timeout_free(AvahiTimeout* t) {
  t->state->freed = true;
  t->state->timer.cancel();
  std::unique_ptr<AvahiTimeout> owned(t);
}

}  // namespace

AsioAvahiPoll::AsioAvahiPoll(asio::any_io_executor executor) : executor_(std::move(executor)) {
  api_.userdata = this;
  api_.watch_new = watch_new;
  api_.watch_update = watch_update;
  api_.watch_get_events = watch_get_events;
  api_.watch_free = watch_free;
  api_.timeout_new = timeout_new;
  api_.timeout_update = timeout_update;
  api_.timeout_free = timeout_free;
}

}  // namespace mosaik::network::detail
