// The raw-UDP yardsticks the transport is measured against: two plain sockets on loopback,
// blocking calls, no encryption and no reliability.
#pragma once

#include <chrono>
#include <vector>

namespace mosaik::bench {

// Megabits per second received when one socket sends 1200-byte datagrams as fast as it can.
double udp_throughput_mbps(std::chrono::milliseconds duration);

// Round-trip times of 64-byte ping-pongs between two sockets (one echo thread).
std::vector<double> udp_rtts_us(int rounds);

}  // namespace mosaik::bench
