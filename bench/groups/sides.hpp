#pragma once
// What both systems are measured with and what each side reports.
//
// Load: `commands` key-value puts of 64 bytes from `clients` concurrent closed-loop clients
// (each waits for its put to commit before it sends the next); commits/s and the latency of
// each put, issue to commit. Failover: the clients keep putting, the leader's process gets
// SIGKILL, and the figure is the time from the kill to the first put a client sees commit in
// a later term. Both systems run with the same heartbeat and election timeout and the same
// per-request deadline (after which a client gives up on a put and sends another).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "measure.hpp"

namespace bench {

struct Settings {
  std::uint64_t commands = 30'000;  // per system, load phase
  std::uint64_t rss_commands = 100'000;  // mosaik: total puts before rss_mb is read (at least `commands`)
  std::uint32_t clients = 64;
  std::uint32_t command_bytes = 64;
  std::uint32_t heartbeat_ms = 100;   // etcd's default
  std::uint32_t election_ms = 1000;   // etcd's default
  std::uint32_t request_timeout_ms = 250;
  std::string self_path;  // this program, re-executed as a mosaik member
};

// How long a load of `count` puts may take: 45 s, plus 1 ms a put beyond 30 000 (so a long
// --rss-commands run is bounded too, at a floor of 1 000 puts/s).
inline std::chrono::milliseconds load_limit(std::uint64_t count) {
  return std::chrono::milliseconds(45'000 + (count > 30'000 ? count - 30'000 : 0));
}

// The key of a client's seq-th put: 16 bytes, 1 024 keys per client (so the state stays
// bounded and growth is the log's).
std::string put_key(std::uint32_t client, std::uint64_t seq);

struct LoadResult {
  double commits_s = 0;
  Latency latency;
  std::uint64_t committed = 0;
  std::uint64_t failed = 0;  // puts that failed or passed their deadline (retried)
  // CPU time all processes of the side used per committed put: the three members and the
  // clients (mosaik: inside a member; etcd: this process). Steadier than commits/s on a
  // shared machine.
  double cpu_us_per_commit = 0;
};

struct MosaikResult {
  LoadResult load;
  std::optional<double> failover_ms;
  std::vector<double> rss_mb;  // per member, after rss_commands
  std::uint64_t rss_commands = 0;
};

struct EtcdResult {
  std::string version;
  LoadResult load;
  std::optional<double> failover_ms;
};

MosaikResult run_mosaik(const Settings& s);
// nullopt with `why` set when etcd cannot run here (not installed).
std::optional<EtcdResult> run_etcd(const Settings& s, std::string& why);

// The --member program (mosaik_member.cpp).
int member_main(int argc, char** argv);

}  // namespace bench
