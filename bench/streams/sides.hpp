#pragma once
// The two systems under test, measured the same way: a throughput phase (send as fast as
// the system accepts for kThroughputWindow, then drain) and a latency phase at a fixed
// offered load (datums per second per producer) for kLatencyWindow.

#include <string>

#include "measure.hpp"

namespace bench {

struct SideResult {
  Throughput throughput;
  Latency latency;
};

// offered_fraction: the latency phase offers this fraction of the measured maximum.
SideResult run_mosaik(const Case& c, double offered_fraction);
SideResult run_nats(const Case& c, double offered_fraction, const std::string& url);

// nats-server on 127.0.0.1 and a free port, stopped (SIGTERM) on destruction.
class NatsServer {
 public:
  NatsServer();
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;
  const std::string& url() const { return url_; }

 private:
  int pid_ = -1;
  std::string url_;
};

// The producer's RSS growth (MB) while one consumer never reads and the producer keeps
// offering 1 KiB datums for a second; runs the producer in a child process.
double stalled_producer_rss_mb(std::size_t buffer_size);

}  // namespace bench
