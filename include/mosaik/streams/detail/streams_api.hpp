#pragma once
// What the typed handles need from the streams subsystem (implemented by
// src/streams/service.cpp): the producer registry and consumer workers.

#include <functional>
#include <memory>
#include <typeindex>
#include <utility>

#include "mosaik/streams/config.hpp"
#include "mosaik/streams/detail/consumer_core.hpp"
#include "mosaik/streams/detail/producer_core.hpp"

namespace mosaik::streams::detail {

class StreamsApi {
 public:
  using MakeProducerState = std::function<std::shared_ptr<void>(std::shared_ptr<ProducerCore>)>;

  virtual ~StreamsApi() = default;

  // The live producer state of `stream` (made by `make` from a new core when there is none)
  // and whether it was created now. A live producer of another datum type is a programming
  // error (std::logic_error).
  virtual std::pair<std::shared_ptr<void>, bool> producer(const StreamId& stream,
                                                          std::type_index type,
                                                          ProducerSettings settings,
                                                          const MakeProducerState& make) = 0;
  // The live producer state of `stream`, if any (same type rule).
  virtual std::shared_ptr<void> existing_producer(const StreamId& stream,
                                                  std::type_index type) = 0;

  virtual std::shared_ptr<ConsumerCore> consumer(ConsumerSettings settings,
                                                 std::shared_ptr<InboxBase> inbox) = 0;

  virtual const Config& config() const = 0;
};

}  // namespace mosaik::streams::detail
