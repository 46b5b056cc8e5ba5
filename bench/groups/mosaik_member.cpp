// The --member program: one member of the bench's mosaik group, as its own OS process, so
// killing the leader is a real SIGKILL of a real process and each member's RSS is its own.
// The bench drives it through stdin, one command a line, and reads its answers on stdout:
//
//   (start)            -> "addr <endpoint>", "joined log_position=<i>" (the first Status:
//                         with a data dir, after the log was opened and verified), then
//                         "ready" once a leader is known and every other founder is bonded
//   status             -> "status self=<peer> leader=<peer|none> term=<t> committed=<i>"
//   load <n>           -> the clients put n commands: "load committed=.. failed=.. secs=..
//                         p50_us=.. p99_us=.."
//   failover           -> the clients put without pause: "failover running term=<t>"
//   killed <t0_ns>     -> (the bench killed the leader at t0) "failover ms=<first commit in a
//                         later term, seen by a client, minus t0>"
//
// The clients are coroutines in this process: mosaik has no remote client protocol; an
// application that writes to a group is a member or runs on a member's node. The bench puts
// them on a follower, so each put is forwarded to the leader, as etcd's clients talk to one
// member that forwards to its leader.
//
// Arguments: key=<group key hex> bootstrap=<addr|-> clients= command_bytes= heartbeat_ms=
// election_ms= request_timeout_ms=, and optionally data_dir=<path> (the node's data dir:
// LMDB log, fsync on), founders=<n> (default 3) and machine=replay (no snapshots, so the
// durable log keeps every entry: the recovery figure).

#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <istream>
#include <map>
#include <memory>
#include <stdexcept>

#include "mosaik/network/network.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/notifier.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/persistent_map.hpp"
#include "sides.hpp"

namespace bench {
namespace {

using namespace std::chrono_literals;
using namespace mosaik;

struct KvPut {
  std::string key;
  std::vector<std::uint8_t> value;
  MSGPACK_DEFINE(key, value);
};

// The replicated key-value map the puts go to. With snapshots (decision 0405), so the log is
// compacted as etcd's is: every member snapshots each 10 000 entries and keeps the log after
// the previous snapshot only. A persistent map, so a snapshot is an O(1) capture encoded only
// if a member fetches it (decision 0801), as the collections' are. Values are shared, not
// held in the nodes: a put copies the O(log n) nodes on its path, and a copied node then
// costs a reference count instead of a copy of its 64-byte value.
struct Kv {
  using Command = KvPut;
  using Query = groups::Unit;
  using QueryResult = std::uint64_t;
  using Value = std::shared_ptr<const std::vector<std::uint8_t>>;
  using Entries = PersistentMap<std::string, Value>;
  Entries entries;
  [[nodiscard]] UniqueId signature() const { return unique_id("bench.groups.kv.v1"); }
  void apply(KvPut p, const groups::ApplyContext&) {
    entries.set(std::move(p.key), std::make_shared<const std::vector<std::uint8_t>>(std::move(p.value)));
  }
  [[nodiscard]] QueryResult query(const groups::Unit&) const { return entries.size(); }
  [[nodiscard]] groups::SnapshotSync state_sync() const { return {}; }
  [[nodiscard]] groups::SnapshotCapture capture_snapshot() const {
    return groups::SnapshotCapture(groups::SnapshotCapture::Encoder([captured = entries] {
      std::vector<groups::SnapshotItem> items;
      items.reserve(captured.size());
      for (const auto& [k, v] : captured) items.push_back({wire::Bytes(k.begin(), k.end()), *v});
      return items;
    }));
  }
  void install_snapshot(std::vector<groups::SnapshotItem> items) {
    entries = Entries();
    for (auto& item : items)
      entries.set(std::string(item.key.begin(), item.key.end()),
                  std::make_shared<const std::vector<std::uint8_t>>(std::move(item.value)));
  }
};

// The recovery figure's machine: without snapshots the log is never compacted, so a member
// restarts on every entry it wrote (a SnapshotSync member compacts each 10 000 entries).
struct ReplayKv {
  using Command = KvPut;
  using Query = groups::Unit;
  using QueryResult = std::uint64_t;
  std::uint64_t puts = 0;
  [[nodiscard]] UniqueId signature() const { return unique_id("bench.groups.replay.v1"); }
  void apply(const KvPut&, const groups::ApplyContext&) { ++puts; }
  [[nodiscard]] QueryResult query(const groups::Unit&) const { return puts; }
};

struct MemberOptions {
  std::string key_hex;
  std::optional<EndpointAddr> bootstrap;
  std::optional<std::string> data_dir;
  std::uint32_t founders = 3;
  bool replay = false;
  Settings settings;
};

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<Network> make_node(std::optional<EndpointAddr> seed, const std::optional<std::string>& data_dir) {
  auto disc = discovery::Config::builder()
                  .with_announce_interval(200ms)
                  .with_purge_after(3s)
                  .with_sync_timeout(2s)
                  .no_auto_bootstrap();
  if (seed) disc.with_bootstrap(*seed);
  const std::set<SocketAddr> loopback = {SocketAddr(asio::ip::make_address("127.0.0.1"), 0)};
  auto builder = Network::builder("bench-groups");
  builder.with_addresses(loopback).with_relay_mode(RelayMode::kDisabled).with_discovery(std::move(disc));
  if (data_dir) builder.with_data_dir(*data_dir);
  auto built = co_await builder.build();
  if (!built) throw std::runtime_error("node: " + built.error().message);
  co_return std::move(*built);
}

// The same timing as the etcd members (--heartbeat-interval, --election-timeout): etcd
// waits a random time in [election, 2 x election) before it campaigns, so the jitter is the
// election timeout; etcd's heartbeats have no jitter. A forwarded put gives up after the
// request deadline the etcd clients use.
groups::ConsensusConfig consensus(const Settings& s, std::uint32_t founders) {
  const std::chrono::milliseconds election(s.election_ms);
  return groups::ConsensusConfig::builder()
      .with_heartbeat_interval(std::chrono::milliseconds(s.heartbeat_ms))
      .with_heartbeat_jitter(0ms)
      .with_election_timeout(election)
      .with_election_timeout_jitter(election)
      .with_bootstrap_delay(500ms)
      .with_bootstrap_expect(founders)
      .with_forward_timeout(std::chrono::milliseconds(s.request_timeout_ms))
      .build();
}

// The value that makes a put encode to `bytes`.
std::vector<std::uint8_t> value_for(std::uint32_t bytes) {
  const auto fixed = wire::encode(KvPut{put_key(0, 0), {}}).size() + 2;  // + bin8 header
  return std::vector<std::uint8_t>(bytes > fixed ? bytes - fixed : 0, 0x5a);
}

struct Load {
  std::uint64_t committed = 0;
  std::uint64_t failed = 0;
  std::vector<std::int64_t> latencies;
  std::int64_t last_ns = 0;
};

template <class Machine>
asio::awaitable<void> load_client(groups::Group<Machine> group, std::uint32_t client, std::uint64_t quota,
                                  std::vector<std::uint8_t> value, std::shared_ptr<Load> load,
                                  std::int64_t deadline_ns) {
  std::uint64_t done = 0;
  for (std::uint64_t seq = 0; done < quota && now_ns() < deadline_ns; ++seq) {
    KvPut put{put_key(client, seq), value};  // named: g++ 12 and braced temporaries in co_await
    const auto start = now_ns();
    auto r = co_await group.execute(std::move(put));
    const auto end = now_ns();
    if (r) {
      ++done;
      ++load->committed;
      load->latencies.push_back(end - start);
      load->last_ns = end;
    } else {
      ++load->failed;
      co_await pause(1ms);  // back off; NoLeader would otherwise spin
    }
  }
}

template <class Machine>
asio::awaitable<void> run_load(groups::Group<Machine> group, const Settings& s, std::uint64_t count) {
  auto load = std::make_shared<Load>();
  load->latencies.reserve(count);
  TaskGroup clients(co_await asio::this_coro::executor);
  const auto start = now_ns();
  const auto limit = load_limit(count);
  const auto deadline = start + std::chrono::nanoseconds(limit).count();
  const auto value = value_for(s.command_bytes);
  for (std::uint32_t c = 0; c < s.clients; ++c) {
    const auto quota = count / s.clients + (c < count % s.clients ? 1 : 0);
    clients.spawn(load_client(group, c, quota, value, load, deadline));
  }
  (void)co_await with_timeout(clients.join(), limit + 5s);
  co_await clients.close();
  const double secs = static_cast<double>(load->last_ns - start) / 1e9;
  if (std::getenv("BENCH_GROUPS_HISTOGRAM")) {  // latency histogram in ms buckets, to stderr
    std::map<std::int64_t, std::uint64_t> buckets;
    for (auto ns : load->latencies) ++buckets[ns / 1'000'000];
    std::string text;
    for (auto [ms, n] : buckets) text += fmt::format(" {}ms:{}", ms, n);
    std::fprintf(stderr, "histogram%s\n", text.c_str());
  }
  const auto lat = percentiles(std::move(load->latencies));
  say(fmt::format("load committed={} failed={} secs={:.6f} p50_us={:.1f} p99_us={:.1f}", load->committed,
                  load->failed, secs, lat.p50_us, lat.p99_us));
}

// The failover phase: clients put without pause; the first put that commits in a later term
// than `term_before` after the kill time (once known) is the figure.
struct Failover {
  groups::Term term_before;
  std::int64_t killed_ns = 0;  // 0 until the bench says
  std::int64_t first_commit_ns = 0;
  std::uint64_t committed = 0;
  bool stop = false;
  Notifier running;  // 256 puts committed: the clients are up to speed
  Notifier done;     // first_commit_ns is set
};

template <class Machine>
asio::awaitable<void> failover_client(groups::Group<Machine> group, std::uint32_t client, std::vector<std::uint8_t> value,
                                      std::shared_ptr<Failover> f, std::int64_t deadline_ns) {
  for (std::uint64_t seq = 0; !f->stop && now_ns() < deadline_ns; ++seq) {
    KvPut put{put_key(client, seq), value};
    auto r = co_await group.execute(std::move(put));
    const auto end = now_ns();
    if (!r) {
      co_await pause(1ms);
      continue;
    }
    if (++f->committed == 256) f->running.notify();
    if (f->killed_ns != 0 && end > f->killed_ns && f->first_commit_ns == 0 && group.status().term > f->term_before) {
      f->first_commit_ns = end;
      f->done.notify();
    }
  }
}

template <class Machine>
asio::awaitable<void> run_failover(groups::Group<Machine> group, const Settings& s, std::shared_ptr<Failover> f) {
  TaskGroup clients(co_await asio::this_coro::executor);
  const auto deadline = now_ns() + std::chrono::nanoseconds(30s).count();
  const auto value = value_for(s.command_bytes);
  for (std::uint32_t c = 0; c < s.clients; ++c) clients.spawn(failover_client(group, c, value, f, deadline));
  const auto started = f->running.version();
  if (f->committed < 256) (void)co_await with_timeout(f->running.wait_change(started), 10s);
  say(fmt::format("failover running term={}", f->term_before.value));
  const auto seen = f->done.version();
  if (f->first_commit_ns == 0) (void)co_await with_timeout(f->done.wait_change(seen), 25s);
  f->stop = true;
  (void)co_await with_timeout(clients.join(), 5s);
  co_await clients.close();
  if (f->first_commit_ns == 0 || f->killed_ns == 0) {
    say("failover ms=none");
  } else {
    say(fmt::format("failover ms={:.1f}", static_cast<double>(f->first_commit_ns - f->killed_ns) / 1e6));
  }
}

template <class Machine>
std::string status_line(const Network& node, const groups::Group<Machine>& group) {
  const auto st = group.status();
  return fmt::format("status self={} leader={} term={} committed={}", node.local().id().to_string(),
                     st.leader ? st.leader->to_string() : std::string("none"), st.term.value, st.committed.value);
}

template <class Machine>
asio::awaitable<int> member(MemberOptions o, Machine machine) {
  auto ex = co_await asio::this_coro::executor;
  auto node = co_await make_node(o.bootstrap, o.data_dir);
  say("addr " + node.local().addr().to_string());
  auto key = groups::GroupKey::from_hex(o.key_hex);
  if (!key) throw std::runtime_error("bad group key");
  auto group = node.groups()
                   .with_key(*key)
                   .with_state_machine(std::move(machine))
                   .with_consensus_config(consensus(o.settings, o.founders))
                   .join();
  say(fmt::format("joined log_position={}", group.status().log_position.value));
  auto status = group.status_watch();
  const std::size_t others = o.founders - 1;
  auto ready = co_await with_timeout(
      status.wait_until([others](const groups::Status& st) { return st.leader.has_value() && st.bonds == others; }),
      30s);
  if (!ready) throw std::runtime_error(fmt::format("no leader with {} bonds within 30 s", others));
  say("ready");

  TaskGroup background(ex);
  std::shared_ptr<Failover> failover;
  asio::posix::stream_descriptor in(ex, ::dup(0));
  asio::streambuf buffer;
  for (;;) {
    std::error_code ec;
    co_await asio::async_read_until(in, buffer, '\n', asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // the bench closed our stdin
    std::istream text(&buffer);
    std::string verb;
    text >> verb;
    if (verb == "status") {
      say(status_line(node, group));
    } else if (verb == "load") {
      std::uint64_t n = 0;
      text >> n;
      co_await run_load(group, o.settings, n);
    } else if (verb == "failover") {
      failover = std::make_shared<Failover>();
      failover->term_before = group.status().term;
      background.spawn(run_failover(group, o.settings, failover));
    } else if (verb == "killed" && failover) {
      text >> failover->killed_ns;
    }
    std::string rest;
    std::getline(text, rest);
  }
  co_await background.close();
  co_return 0;
}

}  // namespace

int member_main(int argc, char** argv) {
  MemberOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (eq == std::string::npos) continue;
    const auto name = arg.substr(0, eq);
    const auto value = arg.substr(eq + 1);
    if (name == "key") o.key_hex = value;
    if (name == "bootstrap" && value != "-") {
      auto addr = EndpointAddr::parse(value);
      if (!addr) throw std::runtime_error("bad bootstrap address: " + addr.error());
      o.bootstrap = *addr;
    }
    if (name == "clients") o.settings.clients = static_cast<std::uint32_t>(std::stoul(value));
    if (name == "command_bytes") o.settings.command_bytes = static_cast<std::uint32_t>(std::stoul(value));
    if (name == "heartbeat_ms") o.settings.heartbeat_ms = static_cast<std::uint32_t>(std::stoul(value));
    if (name == "election_ms") o.settings.election_ms = static_cast<std::uint32_t>(std::stoul(value));
    if (name == "request_timeout_ms") o.settings.request_timeout_ms = static_cast<std::uint32_t>(std::stoul(value));
    if (name == "data_dir") o.data_dir = value;
    if (name == "founders") o.founders = static_cast<std::uint32_t>(std::stoul(value));
    if (name == "machine") o.replay = value == "replay";
  }
  if (o.founders == 0) throw std::runtime_error("founders must be at least 1");
  if (o.replay) return block_on(member(std::move(o), ReplayKv{}));
  return block_on(member(std::move(o), Kv{}));
}

}  // namespace bench
