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
  // Durable phase (issue 17): the same load on LMDB with fsync (mosaik) against etcd with its
  // data on the same disk; 0 skips it. `disk_dir` must be a real disk, not tmpfs.
  std::uint64_t durable_commands = 5'000;
  std::string disk_dir = "/var/tmp";
  // Recovery: a member with this many entries in its LMDB log restarts (--recover-entries;
  // 0, the default, skips it: filling 1 M entries takes longer than the 60 s run).
  std::uint64_t recover_entries = 0;
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

// A member restarted on a log of `entries` entries: process start to its first Status.
struct RecoverResult {
  std::uint64_t entries = 0;
  double fill_s = 0;     // writing them (one member, fsync on)
  double recover_s = 0;  // open + verify + first Status, measured by the bench around the restart
};

MosaikResult run_mosaik(const Settings& s);
// The load phase alone, on three members with their data dirs under `s.disk_dir` (LMDB, fsync on).
LoadResult run_mosaik_durable(const Settings& s);
RecoverResult run_mosaik_recover(const Settings& s);
// nullopt with `why` set when etcd cannot run here (not installed).
std::optional<EtcdResult> run_etcd(const Settings& s, std::string& why);
// The load phase alone, with the members' data dirs under `s.disk_dir`.
std::optional<LoadResult> run_etcd_disk(const Settings& s, std::string& why);

// The --member program (mosaik_member.cpp).
int member_main(int argc, char** argv);

}  // namespace bench
