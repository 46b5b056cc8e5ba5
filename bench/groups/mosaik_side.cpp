// mosaik side: the three members as OS processes (this program with --member), driven over
// their stdin/stdout (see mosaik_member.cpp for the commands and why the clients run in a
// follower).

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"
#include "sides.hpp"

namespace bench {
namespace {

using namespace std::chrono_literals;

// The value of `name=` in a member's answer, or empty.
std::string field(const std::string& line, const std::string& name) {
  const auto at = line.find(" " + name + "=");
  if (at == std::string::npos) return {};
  const auto from = at + name.size() + 2;
  return line.substr(from, line.find(' ', from) - from);
}

std::string random_key_hex() {
  std::random_device rd;
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += fmt::format("{:02x}", rd() & 0xff);
  return hex;
}

std::string expect_line(ChildProcess& p, const std::string& prefix, std::chrono::milliseconds within) {
  auto line = p.read_line_starting(prefix, within);
  if (!line) throw std::runtime_error(fmt::format("mosaik member {}: no '{}' within {} ms", p.pid(), prefix,
                                                  within.count()));
  return *line;
}

struct Roles {
  std::size_t leader = 0;
  std::size_t follower = 0;
};

// Asks every member who leads until all name the same member (bounded).
Roles roles_of(std::vector<std::unique_ptr<ChildProcess>>& members) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::vector<std::string> self, leader;
    for (auto& m : members) {
      m->write_line("status");
      const auto line = expect_line(*m, "status ", 5s);
      self.push_back(field(line, "self"));
      leader.push_back(field(line, "leader"));
    }
    bool agree = leader[0] != "none";
    for (const auto& l : leader) agree = agree && l == leader[0];
    for (std::size_t i = 0; agree && i < members.size(); ++i) {
      if (self[i] == leader[0]) return Roles{i, (i + 1) % members.size()};
    }
    std::this_thread::sleep_for(100ms);  // an election is under way: ask again (bounded)
  }
  throw std::runtime_error("mosaik members do not agree on a leader");
}

LoadResult parse_load(const std::string& line) {
  LoadResult r;
  r.committed = std::stoull(field(line, "committed"));
  r.failed = std::stoull(field(line, "failed"));
  const double secs = std::stod(field(line, "secs"));
  r.commits_s = secs > 0 ? static_cast<double>(r.committed) / secs : 0;
  r.latency.p50_us = std::stod(field(line, "p50_us"));
  r.latency.p99_us = std::stod(field(line, "p99_us"));
  return r;
}

std::vector<std::string> member_args(const Settings& s, const std::string& key, const std::string& bootstrap) {
  return {"--member",
          "key=" + key,
          "bootstrap=" + bootstrap,
          fmt::format("clients={}", s.clients),
          fmt::format("command_bytes={}", s.command_bytes),
          fmt::format("heartbeat_ms={}", s.heartbeat_ms),
          fmt::format("election_ms={}", s.election_ms),
          fmt::format("request_timeout_ms={}", s.request_timeout_ms)};
}

// Three members, the first bootstrapping the others; `extra(i)`: member i's further arguments.
template <class Extra>
std::vector<std::unique_ptr<ChildProcess>> start_members(const Settings& s, Extra extra) {
  const auto key = random_key_hex();
  auto args = [&](std::size_t i, const std::string& bootstrap) {
    auto a = member_args(s, key, bootstrap);
    for (auto& more : extra(i)) a.push_back(std::move(more));
    return a;
  };
  ChildProcess::Options piped;
  piped.pipes = true;
  std::vector<std::unique_ptr<ChildProcess>> members;
  members.push_back(std::make_unique<ChildProcess>(s.self_path, args(0, "-"), piped));
  const auto first = expect_line(*members[0], "addr ", 20s).substr(5);
  for (std::size_t i = 1; i < 3; ++i) {
    members.push_back(std::make_unique<ChildProcess>(s.self_path, args(i, first), piped));
    (void)expect_line(*members.back(), "addr ", 20s);
  }
  for (auto& m : members) (void)expect_line(*m, "ready", 30s);
  return members;
}

// The load phase on the members' follower: commits/s, latency and the members' CPU per commit.
LoadResult measure_load(std::vector<std::unique_ptr<ChildProcess>>& members, ChildProcess& clients,
                        std::uint64_t commands) {
  auto cpu_total = [&members] {
    double sum = 0;
    for (auto& m : members) sum += cpu_seconds(m->pid());
    return sum;
  };
  const double cpu_before = cpu_total();
  clients.write_line(fmt::format("load {}", commands));
  auto r = parse_load(expect_line(clients, "load ", load_limit(commands) + 15s));
  if (r.committed > 0) r.cpu_us_per_commit = (cpu_total() - cpu_before) * 1e6 / static_cast<double>(r.committed);
  return r;
}

// A directory on the bench's disk for this run, removed when it goes (also on a throw).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& base, const std::string& what)
      : path_(fmt::format("{}/mosaik-bench-groups-{}-{}", base, ::getpid(), what)) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace

MosaikResult run_mosaik(const Settings& s) {
  auto members = start_members(s, [](std::size_t) { return std::vector<std::string>{}; });
  const auto roles = roles_of(members);
  auto& clients = *members[roles.follower];

  MosaikResult r;
  r.load = measure_load(members, clients, s.commands);
  r.rss_commands = s.commands;
  if (s.rss_commands > s.commands) {
    clients.write_line(fmt::format("load {}", s.rss_commands - s.commands));
    r.rss_commands += parse_load(expect_line(clients, "load ", load_limit(s.rss_commands - s.commands) + 15s)).committed;
  }
  for (auto& m : members) r.rss_mb.push_back(rss_mb(m->pid()).value_or(-1));

  clients.write_line("failover");
  (void)expect_line(clients, "failover running", 15s);
  const auto killed = now_ns();
  members[roles.leader]->kill(SIGKILL);
  clients.write_line(fmt::format("killed {}", killed));
  const auto ms = field(expect_line(clients, "failover ", 30s), "ms");
  if (ms != "none") r.failover_ms = std::stod(ms);
  return r;  // the members are killed with `members`
}

LoadResult run_mosaik_durable(const Settings& s) {
  ScratchDir dir(s.disk_dir, "mosaik");
  auto members = start_members(s, [&](std::size_t i) { return std::vector<std::string>{"data_dir=" + dir.sub(fmt::format("m{}", i))}; });
  const auto roles = roles_of(members);
  return measure_load(members, *members[roles.follower], s.durable_commands);
}

// One member (a group of one: no network in the figure) writes the entries through the
// group, fsync on, and is killed; the bench restarts it on the same data dir and times the
// restart up to its first Status, which the member takes right after join() returned (the
// store opened and every record verified).
RecoverResult run_mosaik_recover(const Settings& s) {
  ScratchDir dir(s.disk_dir, "recover");
  const auto key = random_key_hex();
  auto args = member_args(s, key, "-");
  for (auto more : {"founders=1", "machine=replay", "clients=256"}) args.push_back(more);
  args.push_back("data_dir=" + dir.sub("m0"));
  ChildProcess::Options piped;
  piped.pipes = true;
  RecoverResult r;
  {
    ChildProcess writer(s.self_path, args, piped);
    (void)expect_line(writer, "ready", 30s);
    const auto start = now_ns();
    writer.write_line(fmt::format("load {}", s.recover_entries));
    const auto done = parse_load(expect_line(writer, "load ", load_limit(s.recover_entries) + 15s));
    r.fill_s = static_cast<double>(now_ns() - start) / 1e9;
    if (done.committed < s.recover_entries)
      throw std::runtime_error(fmt::format("recover: only {} of {} entries committed", done.committed, s.recover_entries));
  }  // the writer is killed and reaped here: its lock on the data dir is free
  const auto start = now_ns();
  ChildProcess restarted(s.self_path, args, piped);
  const auto joined = expect_line(restarted, "joined ", 600s);
  r.recover_s = static_cast<double>(now_ns() - start) / 1e9;
  r.entries = std::stoull(field(joined, "log_position"));
  if (r.entries < s.recover_entries)
    throw std::runtime_error(fmt::format("recover: the restarted member holds {} entries, not {}", r.entries,
                                         s.recover_entries));
  return r;
}

}  // namespace bench
