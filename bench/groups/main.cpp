// bench/groups: a three-member mosaik group against a three-member etcd cluster on loopback
// (issue 15): throughput and latency of 64-byte puts from 64 concurrent clients, the time
// from SIGKILL of the leader to the next commit a client sees, and each mosaik member's RSS;
// then (issue 17) the same load durable, mosaik on LMDB with fsync against etcd with its data
// on the same disk, and optionally a member's restart on a log of 1 M entries.
// Prints one JSON object. etcd (Debian's etcd-server) is started and stopped by the bench;
// without it the etcd figures are null and "etcd_reason" says why.
//
//   build/default/bench/groups                          # both systems
//   build/default/bench/groups --commands=20000 --rss-commands=200000
//   build/default/bench/groups --only=mosaik            # one side (to profile it)
//   build/default/bench/groups --only=mosaik --commands=0 --durable-commands=0 --recover-entries=1000000
//                                                       # recover_1m_s alone (minutes)
//
// Options: --commands=N (per system, load phase), --rss-commands=N (mosaik: total puts before
// rss_mb is read), --clients=N, --heartbeat-ms=N, --election-ms=N, --request-timeout-ms=N,
// --only=mosaik|etcd, --durable-commands=N (0: no durable phase), --disk-dir=PATH (a real disk;
// default /var/tmp), --recover-entries=N (default 0: not measured).
// Internally --member runs one mosaik member (mosaik_member.cpp).
// Environment: BENCH_GROUPS_ETCD=<path> names the etcd binary (default: etcd on $PATH);
// BENCH_GROUPS_HISTOGRAM=1 prints mosaik's latency histogram (1 ms buckets) to stderr.
// docs/groups-benchmark.md explains the set-up and what limits the figures.

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "sides.hpp"

namespace bench {

std::string put_key(std::uint32_t client, std::uint64_t seq) {
  return fmt::format("bench/{:03}/{:06}", client % 1000, seq % 1024);
}

}  // namespace bench

namespace {

std::string json_number(const std::optional<double>& v, int decimals = 1) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : "null";
}

std::optional<double> ratio(std::optional<double> a, std::optional<double> b) {
  if (!a || !b || *b == 0) return std::nullopt;
  return *a / *b;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string(argv[1]) == "--member") return bench::member_main(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);  // a member that died must not take the bench with it
    ::setenv("MOSAIK_LOG", "warn", 0);
    bench::Settings s;
    std::string only;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      const auto eq = arg.find('=');
      const auto name = arg.substr(0, eq);
      const auto value = eq == std::string::npos ? std::string() : arg.substr(eq + 1);
      auto number = [&] { return std::stoull(value); };
      if (name == "--commands") s.commands = number();
      else if (name == "--rss-commands") s.rss_commands = number();
      else if (name == "--clients") s.clients = static_cast<std::uint32_t>(number());
      else if (name == "--heartbeat-ms") s.heartbeat_ms = static_cast<std::uint32_t>(number());
      else if (name == "--election-ms") s.election_ms = static_cast<std::uint32_t>(number());
      else if (name == "--request-timeout-ms") s.request_timeout_ms = static_cast<std::uint32_t>(number());
      else if (name == "--only") only = value;
      else if (name == "--durable-commands") s.durable_commands = number();
      else if (name == "--disk-dir") s.disk_dir = value;
      else if (name == "--recover-entries") s.recover_entries = number();
      else throw std::invalid_argument("unknown option " + arg);
    }
    char self[PATH_MAX] = {};
    const auto n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) throw std::runtime_error("cannot find this program's path");
    s.self_path.assign(self, static_cast<std::size_t>(n));

    if (only != "" && only != "mosaik" && only != "etcd") throw std::invalid_argument("--only takes mosaik or etcd");
    if (s.disk_dir.rfind("/dev/shm", 0) == 0) throw std::invalid_argument("--disk-dir must be a real disk, not /dev/shm");
    std::optional<bench::MosaikResult> m;
    if (only != "etcd" && s.commands > 0) m = bench::run_mosaik(s);
    std::optional<bench::EtcdResult> e;
    std::string etcd_reason;
    if (only != "mosaik" && s.commands > 0) {
      e = bench::run_etcd(s, etcd_reason);
    } else {
      etcd_reason = only == "mosaik" ? "--only=mosaik" : "--commands=0";
    }
    std::optional<bench::LoadResult> md, ed;
    if (s.durable_commands > 0 && only != "etcd") md = bench::run_mosaik_durable(s);
    if (s.durable_commands > 0 && only != "mosaik") ed = bench::run_etcd_disk(s, etcd_reason);
    std::optional<bench::RecoverResult> rec;
    if (s.recover_entries > 0 && only != "etcd") rec = bench::run_mosaik_recover(s);

    auto opt = [](bool has, double v) { return has ? std::optional<double>(v) : std::nullopt; };
    const auto mc = opt(m.has_value(), m ? m->load.commits_s : 0);
    const auto m50 = opt(m.has_value(), m ? m->load.latency.p50_us : 0);
    const auto m99 = opt(m.has_value(), m ? m->load.latency.p99_us : 0);
    const auto mf = m ? m->failover_ms : std::nullopt;
    const auto ec = opt(e.has_value(), e ? e->load.commits_s : 0);
    const auto e50 = opt(e.has_value(), e ? e->load.latency.p50_us : 0);
    const auto e99 = opt(e.has_value(), e ? e->load.latency.p99_us : 0);
    const auto ef = e ? e->failover_ms : std::nullopt;
    const auto dc = md ? std::optional<double>(md->commits_s) : std::nullopt;
    const auto edc = ed ? std::optional<double>(ed->commits_s) : std::nullopt;
    const auto d50 = md ? std::optional<double>(md->latency.p50_us) : std::nullopt;
    const auto ed50 = ed ? std::optional<double>(ed->latency.p50_us) : std::nullopt;
    std::string rss = "null";
    if (m) {
      rss = "[";
      for (std::size_t i = 0; i < m->rss_mb.size(); ++i) rss += fmt::format("{}{:.1f}", i ? ", " : "", m->rss_mb[i]);
      rss += "]";
    }
    fmt::print(
        "{{\"mosaik_commits_s\": {}, \"etcd_commits_s\": {}, \"throughput_ratio\": {}, "
        "\"mosaik_p50_us\": {}, \"mosaik_p99_us\": {}, \"etcd_p50_us\": {}, \"etcd_p99_us\": {}, "
        "\"latency_ratio\": {}, \"mosaik_failover_ms\": {}, \"etcd_failover_ms\": {}, \"failover_ratio\": {}, "
        "\"rss_mb\": {}, \"rss_commands\": {}, \"rss_note\": {}, "
        "\"commands\": {}, \"clients\": {}, \"command_bytes\": {}, \"heartbeat_ms\": {}, \"election_ms\": {}, "
        "\"request_timeout_ms\": {}, \"mosaik_failed\": {}, \"etcd_failed\": {}, "
        "\"mosaik_cpu_us_per_commit\": {}, \"etcd_cpu_us_per_commit\": {}, "
        "\"etcd_protocol\": {}, \"etcd_version\": {}, \"etcd_reason\": {}, "
        "\"durable_commits_s\": {}, \"etcd_disk_commits_s\": {}, \"durable_ratio\": {}, "
        "\"durable_p50_us\": {}, \"etcd_disk_p50_us\": {}, \"durable_commands\": {}, \"disk_dir\": {}, "
        "\"recover_1m_s\": {}, \"recover_entries\": {}, \"recover_fill_s\": {}}}\n",
        json_number(mc, 0), json_number(ec, 0), json_number(ratio(mc, ec), 3), json_number(m50), json_number(m99),
        json_number(e50), json_number(e99), json_number(ratio(m50, e50), 3), json_number(mf), json_number(ef),
        json_number(ratio(mf, ef), 3), rss, m ? std::to_string(m->rss_commands) : "null",
        json_string("in-memory log compacted at every 10000 entries (SnapshotSync); 65536 distinct keys"), s.commands, s.clients,
        s.command_bytes, s.heartbeat_ms, s.election_ms, s.request_timeout_ms,
        m ? std::to_string(m->load.failed) : "null", e ? std::to_string(e->load.failed) : "null",
        json_number(opt(m.has_value(), m ? m->load.cpu_us_per_commit : 0)),
        json_number(opt(e.has_value(), e ? e->load.cpu_us_per_commit : 0)),
        json_string("grpc"), e ? json_string(e->version) : "null",
        etcd_reason.empty() ? "null" : json_string(etcd_reason), json_number(dc, 0), json_number(edc, 0),
        json_number(ratio(dc, edc), 3), json_number(d50), json_number(ed50), s.durable_commands,
        json_string(s.disk_dir), json_number(rec ? std::optional<double>(rec->recover_s) : std::nullopt, 3),
        rec ? std::to_string(rec->entries) : "null",
        json_number(rec ? std::optional<double>(rec->fill_s) : std::nullopt, 1));
    std::fflush(stdout);
    return 0;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench/groups: %s\n", ex.what());
    return 1;
  }
}
