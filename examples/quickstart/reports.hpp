#pragma once
// What the quickstart prints as it happens, beside the readings themselves: consumers that
// come and go on the producer; subscriptions lost and restored, and peers leaving, on the
// consumer; peers that leave the network, on both. Each runs until cancelled (raced
// against the main flow) or its node is shut down.

#include <asio/awaitable.hpp>
#include <string>

#include "mosaik/network/network.hpp"
#include "sensor_reading.hpp"

namespace quickstart {

asio::awaitable<void> report_consumers(mosaik::streams::Producer<SensorReading> producer);
asio::awaitable<void> report_subscriptions(mosaik::streams::Consumer<SensorReading> consumer);
asio::awaitable<void> report_departures(mosaik::Network node, std::string role);

}  // namespace quickstart
