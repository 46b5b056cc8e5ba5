#pragma once
// Streams: the subsystem handle (network.streams()), where producers and consumers are made.
//
//   auto producer = network.streams().produce<Price>();        // or .producer<Price>()...build()
//   auto consumer = other.streams().consume<Price>();          // or .consumer<Price>()...build()

#include <memory>
#include <typeindex>

#include "mosaik/streams/close_reasons.hpp"
#include "mosaik/streams/config.hpp"
#include "mosaik/streams/consumer.hpp"
#include "mosaik/streams/criteria.hpp"
#include "mosaik/streams/datum.hpp"
#include "mosaik/streams/producer.hpp"

namespace mosaik::streams {

class Streams {
 public:
  explicit Streams(std::shared_ptr<detail::StreamsApi> api) : api_(std::move(api)) {}

  // The producer of D's default stream: the live one, or a new one with defaults.
  template <Datum D>
  Producer<D> produce() const {
    auto built = producer<D>().build();
    if (built) return std::move(*built);
    return std::get<AlreadyExists<D>>(built.error()).existing();
  }
  template <Datum D>
  ProducerBuilder<D> producer() const {
    return ProducerBuilder<D>(api_);
  }

  template <Datum D>
  Consumer<D> consume() const {
    return consumer<D>().build();
  }
  template <Datum D>
  ConsumerBuilder<D> consumer() const {
    return ConsumerBuilder<D>(api_);
  }

  const Config& config() const { return api_->config(); }

 private:
  std::shared_ptr<detail::StreamsApi> api_;
};

}  // namespace mosaik::streams
