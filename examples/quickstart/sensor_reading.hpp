#pragma once
// Step 2 of the Quick Start: a Datum is any msgpack-serializable type. The stream name is
// set explicitly so that builds by different compilers agree on the stream id.

#include <cstdint>
#include <string_view>

#include "mosaik/mosaik.hpp"

namespace quickstart {

struct SensorReading {
  std::uint64_t sensor_id = 0;
  double temperature = 0;
  std::uint64_t timestamp = 0;
  MSGPACK_DEFINE(sensor_id, temperature, timestamp);
  static constexpr std::string_view stream_name = "quickstart/sensor-reading";
};

}  // namespace quickstart
