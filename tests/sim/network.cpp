#include "network.hpp"

namespace mosaik::sim {

void SimNetwork::send(Time now, std::uint32_t from, std::uint32_t to, std::uint64_t to_epoch, Message m) {
  if (!delivers(from, to) || rng_.chance(faults.loss)) return;
  const auto span = static_cast<std::uint64_t>((faults.max_delay - faults.min_delay).count());
  auto delay = [&] {
    if (rng_.chance(faults.slow)) {
      const auto slow_span = static_cast<std::uint64_t>(faults.slow_max_delay.count());
      return Time(static_cast<Time::rep>(rng_.below(slow_span + 1)));
    }
    return faults.min_delay + Time(static_cast<Time::rep>(span == 0 ? 0 : rng_.below(span + 1)));
  };
  if (rng_.chance(faults.duplicate)) queue_.push({now + delay(), ++seq_, from, to, to_epoch, m});
  queue_.push({now + delay(), ++seq_, from, to, to_epoch, std::move(m)});
}

std::optional<Time> SimNetwork::next_due() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.top().at;
}

std::optional<Delivery> SimNetwork::pop_due(Time now) {
  while (!queue_.empty() && queue_.top().at <= now) {
    Delivery d = queue_.top();
    queue_.pop();
    // A partition raised while the message was in flight cuts it too.
    if (delivers(d.from, d.to)) return d;
  }
  return std::nullopt;
}

}  // namespace mosaik::sim
