// bench/collections: a replicated Map beside Redis, on loopback, one JSON line.
//
//   build/default/bench/collections            # BENCH_INSERT_SECONDS, BENCH_INSERTS, BENCH_SYNC_ENTRIES, BENCH_GETS
//
// map_inserts_s: inserts/s through one writer of a map replicated on three members (each
// insert committed by a quorum; as many in flight as Redis' pipeline is deep, 1000;
// BENCH_IN_FLIGHT); map_inserts_3w_s: through three writers. Each of them and Redis' SETs
// write for the same time (BENCH_INSERT_SECONDS, 2 by default) or, when BENCH_INSERTS is
// set, exactly that many each (equal work, for CPU profiles); map_inserts_n, ..._3w_n and
// redis_sets_n say how many the rates are over;
// get_p50_ns: a reader's local get; sync_1m_s: a new reader joining a map of 10^6 entries
// until it holds them all; bytes_per_entry: what it received for that, per entry. Beside
// them redis-server (SET pipelined 1000 deep, GET p50 over a local TCP connection), and
// insert_ratio = map_inserts_s / redis_set_s, get_ratio = get_p50_ns / redis_get_p50_ns.
// MOSAIK_LOG sets the log levels (info by default).

#include <chrono>
#include <cstdint>
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
std::string count(std::optional<std::uint64_t> v) { return v ? fmt::format("{}", *v) : "null"; }

double seconds_or(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtod(v, nullptr) : fallback;
}

}  // namespace

int main() {
  mosaik::log::init_from_env();  // MOSAIK_LOG, e.g. groups=info to see state syncs
  bench::MosaikSettings s;
  s.inserts.count = env_or("BENCH_INSERTS", 0);
  s.inserts.seconds = std::chrono::duration<double>(seconds_or("BENCH_INSERT_SECONDS", s.inserts.seconds.count()));
  s.gets = env_or("BENCH_GETS", s.gets);
  s.sync_entries = env_or("BENCH_SYNC_ENTRIES", s.sync_entries);
  s.in_flight = env_or("BENCH_IN_FLIGHT", s.in_flight);
  if (s.inserts.count == 0 && !(s.inserts.seconds.count() > 0)) {
    std::fprintf(stderr, "bench/collections: BENCH_INSERT_SECONDS must be a positive number of seconds\n");
    return 2;
  }
  const auto redis = bench::measure_redis(s.inserts, bench::kPipelineDepth, 20'000);
  const auto m = bench::measure_mosaik(s);
  std::optional<double> redis_set, redis_get, insert_ratio, get_ratio;
  std::optional<std::uint64_t> redis_sets;
  if (redis) {
    redis_set = redis->set_s;
    redis_sets = redis->sets;
    redis_get = redis->get_p50_ns;
    insert_ratio = m.inserts_one_writer_s / redis->set_s;
    get_ratio = m.get_p50_ns / redis->get_p50_ns;
  }
  fmt::print(
      "{{\"bench\":\"collections\",\"map_inserts_s\":{:.1f},\"map_inserts_3w_s\":{:.1f},\"get_p50_ns\":{:.1f},"
      "\"sync_1m_s\":{:.3f},\"sync_entries\":{},\"bytes_per_entry\":{:.1f},\"redis_set_s\":{},\"redis_get_p50_ns\":{},"
      "\"insert_ratio\":{},\"get_ratio\":{},\"insert_retries\":{},\"map_inserts_n\":{},\"map_inserts_3w_n\":{},"
      "\"redis_sets_n\":{}}}\n",
      m.inserts_one_writer_s, m.inserts_three_writers_s, m.get_p50_ns, m.sync_s, m.sync_entries, m.bytes_per_entry,
      num(redis_set), num(redis_get), ratio(insert_ratio), ratio(get_ratio), m.insert_retries, m.inserts_one_writer,
      m.inserts_three_writers, count(redis_sets));
  return 0;
}
