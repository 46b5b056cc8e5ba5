#pragma once
// ChannelConditions and When: the reactive status of a producer or consumer (the seed's
// "Status & Conditions"). A condition counts Connected channels whose peer matches every
// tag and predicate; it is met when at least `minimum_of` match (inverted by unmet()).
//
//   co_await producer.when().subscribed().minimum_of(2).with_tags("validator");
//   auto cond = consumer.when().subscribed();
//   for (;;) { co_await cond.wait(); ... }      // re-triggers on every not-met -> met
//   if (cond.is_condition_met()) ...            // or: if (cond == true)
//
// A ChannelConditions *is* an asio::awaitable<void> (so a temporary can be co_awaited
// directly); awaiting an lvalue needs .wait() or std::move. Copies are independent.

#include <asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <set>
#include <vector>

#include "mosaik/discovery/peer_entry.hpp"
#include "mosaik/primitives/async/watch.hpp"
#include "mosaik/streams/channel.hpp"

namespace mosaik::streams {

namespace detail {

using ChannelList = std::vector<ChannelInfo>;
// What a producer's or consumer's status watch holds: its current channels.
using ChannelSnapshot = std::shared_ptr<const ChannelList>;

struct ConditionSpec {
  std::size_t minimum = 1;
  std::set<Tag> tags;
  std::vector<std::function<bool(const discovery::PeerEntry&)>> predicates;
  bool unmet = false;

  bool matches(const discovery::PeerEntry& peer) const;
  std::size_t matching(const ChannelList& channels) const;  // Connected and matching
  bool met(const ChannelSnapshot& channels) const;
};

}  // namespace detail

class ChannelConditions : public asio::awaitable<void> {
 public:
  explicit ChannelConditions(WatchReceiver<detail::ChannelSnapshot> channels,
                             detail::ConditionSpec spec = {});
  ChannelConditions(const ChannelConditions& other);
  ChannelConditions(ChannelConditions&&) noexcept = default;
  ChannelConditions& operator=(const ChannelConditions&) = delete;
  ChannelConditions& operator=(ChannelConditions&&) = delete;

  ChannelConditions& minimum_of(std::size_t n) & {
    shared_->spec.minimum = n;
    return *this;
  }
  ChannelConditions&& minimum_of(std::size_t n) && { return std::move(minimum_of(n)); }
  // The consumer-side name of minimum_of.
  ChannelConditions& to_at_least(std::size_t n) & { return minimum_of(n); }
  ChannelConditions&& to_at_least(std::size_t n) && { return std::move(minimum_of(n)); }

  // A matching peer carries every one of the tags.
  ChannelConditions& with_tags(Tag tag) & {
    shared_->spec.tags.insert(tag);
    return *this;
  }
  ChannelConditions&& with_tags(Tag tag) && { return std::move(with_tags(tag)); }
  ChannelConditions& with_tags(std::initializer_list<Tag> tags) & {
    shared_->spec.tags.insert(tags.begin(), tags.end());
    return *this;
  }
  ChannelConditions&& with_tags(std::initializer_list<Tag> tags) && {
    return std::move(with_tags(tags));
  }

  ChannelConditions& with_predicate(std::function<bool(const discovery::PeerEntry&)> pred) & {
    shared_->spec.predicates.push_back(std::move(pred));
    return *this;
  }
  ChannelConditions&& with_predicate(std::function<bool(const discovery::PeerEntry&)> pred) && {
    return std::move(with_predicate(std::move(pred)));
  }

  ChannelConditions& unmet() & {
    shared_->spec.unmet = !shared_->spec.unmet;
    return *this;
  }
  ChannelConditions&& unmet() && { return std::move(unmet()); }

  bool is_condition_met() const;
  friend bool operator==(const ChannelConditions& c, bool value) {
    return c.is_condition_met() == value;
  }

  // Completes when the condition is met; after it once completed, only on the next
  // transition from not met to met (the seed's re-triggering).
  asio::awaitable<void> wait();

  const detail::ConditionSpec& spec() const { return shared_->spec; }

 private:
  struct Shared {
    WatchReceiver<detail::ChannelSnapshot> channels;
    detail::ConditionSpec spec;
    bool resolved_once = false;
  };
  explicit ChannelConditions(std::shared_ptr<Shared> shared);
  static asio::awaitable<void> wait_on(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
};

// when(): the status API of a producer or consumer.
class When {
 public:
  When(WatchReceiver<detail::ChannelSnapshot> channels, detail::ConditionSpec online)
      : channels_(std::move(channels)), online_(std::move(online)) {}

  // Online: the producer's online_when conditions (default: one subscriber), or for a
  // consumer at least one connected producer.
  asio::awaitable<void> online() const;
  asio::awaitable<void> offline() const;
  bool is_online() const { return online_.met(channels_.borrow()); }

  ChannelConditions subscribed() const { return ChannelConditions(channels_); }
  // Completes when no channel is connected.
  asio::awaitable<void> unsubscribed() const;

 private:
  // Static, with its inputs by value: the awaitable may outlive this When.
  static asio::awaitable<void> until(WatchReceiver<detail::ChannelSnapshot> rx,
                                     detail::ConditionSpec spec);

  WatchReceiver<detail::ChannelSnapshot> channels_;
  detail::ConditionSpec online_;
};

}  // namespace mosaik::streams
