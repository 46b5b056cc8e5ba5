#pragma once
// The mosaik side of bench/collections: Map<u64, string> on three loopback nodes.

#include <chrono>
#include <cstdint>

namespace bench {

// How deep both sides pipeline: Redis' SETs written before their replies are read, and the
// mosaik writer's inserts in flight at once (the same depth, so the two compare like for like).
inline constexpr std::uint64_t kPipelineDepth = 1000;

// How much writing each measurement does, the same for Redis' SETs and each of the map's
// insert runs: for `seconds` (the default: a run long enough that one scheduling hiccup on a
// shared machine does not move the rate by half), or exactly `count` when it is not zero
// (equal work, for comparing CPU profiles of two builds).
struct WriteBudget {
  std::uint64_t count = 0;
  std::chrono::duration<double> seconds{2.0};
};

struct MosaikFigures {
  double inserts_one_writer_s = 0;     // through one writer, replicated on three members
  double inserts_three_writers_s = 0;  // through three writers of the same map
  double get_p50_ns = 0;               // a reader's local get
  double sync_s = 0;                   // a new reader, from joining to holding every entry
  double bytes_per_entry = 0;          // bytes the new reader received during that sync, per entry
  std::uint64_t sync_entries = 0;
  std::uint64_t inserts_one_writer = 0;     // how many inserts each rate is over
  std::uint64_t inserts_three_writers = 0;
  std::uint64_t insert_retries = 0;    // inserts whose outcome was unknown (or offline) and were retried
};

struct MosaikSettings {
  WriteBudget inserts;  // for each of the two insert runs
  std::uint64_t in_flight = kPipelineDepth;  // pipelined inserts per writer
  std::uint64_t gets = 200'000;
  std::uint64_t sync_entries = 1'000'000;
};

MosaikFigures measure_mosaik(const MosaikSettings& s);

}  // namespace bench
