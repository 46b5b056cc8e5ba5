// bench/collections: a replicated Map beside Redis, on loopback, one JSON line.
//
//   build/default/bench/collections            # BENCH_INSERTS, BENCH_SYNC_ENTRIES, BENCH_GETS to change the sizes
//
// map_inserts_s: inserts/s through one writer of a map replicated on three members (each
// insert committed by a quorum; as many in flight as Redis' pipeline is deep, 1000;
// BENCH_IN_FLIGHT); map_inserts_3w_s: through three writers;
// get_p50_ns: a reader's local get; sync_1m_s: a new reader joining a map of 10^6 entries
// until it holds them all; bytes_per_entry: what it received for that, per entry. Beside
// them redis-server (SET pipelined 1000 deep, GET p50 over a local TCP connection), and
// insert_ratio = map_inserts_s / redis_set_s, get_ratio = get_p50_ns / redis_get_p50_ns.
// MOSAIK_LOG sets the log levels (info by default).

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "mosaik/primitives/log.hpp"
#include "mosaik_side.hpp"
#include "redis_side.hpp"

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string num(std::optional<double> v) { return v ? fmt::format("{:.1f}", *v) : "null"; }
std::string ratio(std::optional<double> v) { return v ? fmt::format("{:.4f}", *v) : "null"; }

}  // namespace

int main() {
  mosaik::log::init_from_env();  // MOSAIK_LOG, e.g. groups=info to see state syncs
  bench::MosaikSettings s;
  s.inserts = env_or("BENCH_INSERTS", s.inserts);
  s.gets = env_or("BENCH_GETS", s.gets);
  s.sync_entries = env_or("BENCH_SYNC_ENTRIES", s.sync_entries);
  s.in_flight = env_or("BENCH_IN_FLIGHT", s.in_flight);
  const auto redis = bench::measure_redis(s.inserts, bench::kPipelineDepth, 20'000);
  const auto m = bench::measure_mosaik(s);
  std::optional<double> redis_set, redis_get, insert_ratio, get_ratio;
  if (redis) {
    redis_set = redis->set_s;
    redis_get = redis->get_p50_ns;
    insert_ratio = m.inserts_one_writer_s / redis->set_s;
    get_ratio = m.get_p50_ns / redis->get_p50_ns;
  }
  fmt::print(
      "{{\"bench\":\"collections\",\"map_inserts_s\":{:.1f},\"map_inserts_3w_s\":{:.1f},\"get_p50_ns\":{:.1f},"
      "\"sync_1m_s\":{:.3f},\"sync_entries\":{},\"bytes_per_entry\":{:.1f},\"redis_set_s\":{},\"redis_get_p50_ns\":{},"
      "\"insert_ratio\":{},\"get_ratio\":{},\"insert_retries\":{}}}\n",
      m.inserts_one_writer_s, m.inserts_three_writers_s, m.get_p50_ns, m.sync_s, m.sync_entries, m.bytes_per_entry,
      num(redis_set), num(redis_get), ratio(insert_ratio), ratio(get_ratio), m.insert_retries);
  return 0;
}
