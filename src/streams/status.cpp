// Stats formatting, channel state and the condition evaluation behind when().

#include <fmt/format.h>

#include <algorithm>

#include "mosaik/streams/conditions.hpp"
#include "mosaik/streams/stats.hpp"

namespace mosaik::streams {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

namespace detail {
void StatsCounters::mark_connected() { connected_since_ns.store(now_ns()); }
}  // namespace detail

std::optional<std::chrono::nanoseconds> Stats::uptime() const {
  const auto since = counters_->connected_since_ns.load();
  if (since < 0) return std::nullopt;
  return std::chrono::nanoseconds(std::max<std::int64_t>(0, now_ns() - since));
}

std::string Stats::to_string() const {
  const auto up = uptime();
  return fmt::format("uptime: {}, datums: {}, bytes: {}",
                     up ? format_duration(*up) : std::string("-"), datums(), format_bytes(bytes()));
}

std::string format_duration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  const auto total_ms = duration_cast<milliseconds>(d).count();
  if (total_ms < 1000) return fmt::format("{}ms", total_ms);
  auto s = total_ms / 1000;
  const auto h = s / 3600;
  const auto m = (s / 60) % 60;
  s %= 60;
  if (h > 0) return fmt::format("{}h {}m {}s", h, m, s);
  if (m > 0) return fmt::format("{}m {}s", m, s);
  return fmt::format("{}s", s);
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  if (bytes < 1000) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000.0 && unit + 1 < std::size(kUnits)) {
    value /= 1000.0;
    ++unit;
  }
  return fmt::format("{:.2f} {}", value, kUnits[unit]);
}

std::string_view to_string(State s) {
  switch (s) {
    case State::Connecting:
      return "Connecting";
    case State::Connected:
      return "Connected";
    case State::Terminated:
      return "Terminated";
  }
  return "Unknown";
}

asio::awaitable<void> ChannelInfo::disconnected() const {
  auto watcher = state_.subscribe();
  co_await watcher.wait_until([](const State& s) { return s == State::Terminated; });
}

namespace detail {

bool ConditionSpec::matches(const discovery::PeerEntry& peer) const {
  for (const auto& tag : tags) {
    if (!peer.tags().contains(tag)) return false;
  }
  return std::all_of(predicates.begin(), predicates.end(),
                     [&peer](const auto& pred) { return pred(peer); });
}

std::size_t ConditionSpec::matching(const ChannelList& channels) const {
  return static_cast<std::size_t>(std::count_if(channels.begin(), channels.end(), [this](const ChannelInfo& c) {
    return c.is_connected() && matches(c.peer());
  }));
}

bool ConditionSpec::met(const ChannelSnapshot& channels) const {
  const std::size_t n = channels ? matching(*channels) : 0;
  const bool enough = n >= minimum;
  return unmet ? !enough : enough;
}

}  // namespace detail

ChannelConditions::ChannelConditions(WatchReceiver<detail::ChannelSnapshot> channels,
                                     detail::ConditionSpec spec)
    : ChannelConditions(std::make_shared<Shared>(Shared{std::move(channels), std::move(spec)})) {}

ChannelConditions::ChannelConditions(const ChannelConditions& other)
    : ChannelConditions(std::make_shared<Shared>(*other.shared_)) {}

ChannelConditions::ChannelConditions(std::shared_ptr<Shared> shared)
    : asio::awaitable<void>(wait_on(shared)), shared_(std::move(shared)) {}

bool ChannelConditions::is_condition_met() const {
  return shared_->spec.met(shared_->channels.borrow());
}

asio::awaitable<void> ChannelConditions::wait() { return wait_on(shared_); }

asio::awaitable<void> ChannelConditions::wait_on(std::shared_ptr<Shared> shared) {
  // Each Shared has its own receiver; the waits below only read through it.
  auto& rx = shared->channels;
  const detail::ConditionSpec* spec = &shared->spec;
  if (shared->resolved_once) {
    co_await rx.wait_until([spec](const detail::ChannelSnapshot& c) { return !spec->met(c); });
  }
  co_await rx.wait_until([spec](const detail::ChannelSnapshot& c) { return spec->met(c); });
  shared->resolved_once = true;
}

asio::awaitable<void> When::until(WatchReceiver<detail::ChannelSnapshot> rx,
                                  detail::ConditionSpec spec) {
  co_await rx.wait_until([&spec](const detail::ChannelSnapshot& c) { return spec.met(c); });
}

asio::awaitable<void> When::online() const { return until(channels_, online_); }

asio::awaitable<void> When::offline() const {
  auto inverse = online_;
  inverse.unmet = !inverse.unmet;
  return until(channels_, std::move(inverse));
}

asio::awaitable<void> When::unsubscribed() const {
  detail::ConditionSpec none;
  none.minimum = 1;
  none.unmet = true;
  return until(channels_, std::move(none));
}

}  // namespace mosaik::streams
