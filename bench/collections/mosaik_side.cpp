#include "mosaik_side.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>
#include <chrono>
#include <limits>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mosaik/collections/map.hpp"
#include "mosaik/network/network.hpp"
#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/async/watch.hpp"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;
using Table = mosaik::collections::Map<std::uint64_t, std::string>;
using Writer = mosaik::collections::MapWriter<std::uint64_t, std::string>;
using mosaik::collections::Version;

constexpr const char* kInsertFailed = "insert failed";
constexpr const char* kExtendFailed = "extend failed";
constexpr const char* kNodeFailed = "node failed";
constexpr const char* kMissedKeys = "a reader missed keys it should hold";
constexpr const char* kLateMisses = "the late reader misses entries";
const mosaik::NetworkId kNetwork = "bench-collections";
const mosaik::StoreId kStore = "bench";
const mosaik::StoreId kSyncStore = "bench-sync";

// Outside the coroutines: g++ 12 cannot keep fmt's format-string arrays in a frame.
std::string value_of(std::uint64_t k) { return fmt::format("value-{}", k); }
template <class E>
std::runtime_error failed(const char* what, const E& e) {
  if constexpr (requires { e.message(); }) {
    return std::runtime_error(std::string(what) + ": " + std::string(e.message()));
  } else {
    return std::runtime_error(std::string(what) + ": " + e.message);
  }
}

// Inserts retried (the outcome unknown, or no leader for a moment): reported, not hidden.
std::uint64_t retries = 0;  // the bench's executor only

template <class E>
void report_retry(const E& e) {
  if (retries++ % 100 == 0) std::fprintf(stderr, "bench/collections: insert retried: %s\n", std::string(e.message()).c_str());
}

mosaik::collections::Options options() {
  using namespace std::chrono_literals;
  mosaik::collections::Options o;
  // The default timing (elections after 2 s of silence), but a short first election.
  o.consensus = mosaik::groups::ConsensusConfig::builder()
                    .with_bootstrap_delay(300ms)
                    .with_bootstrap_expect(1)
                    .with_forward_timeout(5s)
                    .build();
  o.sync.snapshot_interval = 100;  // the sync runs by snapshot, as it would past a long log
  return o;
}

std::set<mosaik::SocketAddr> loopback() { return {mosaik::SocketAddr(asio::ip::make_address("127.0.0.1"), 0)}; }

asio::awaitable<mosaik::Network> node(std::optional<mosaik::EndpointAddr> bootstrap) {
  auto disc = mosaik::discovery::Config::builder().no_auto_bootstrap().with_announce_interval(std::chrono::milliseconds(200));
  if (bootstrap) disc.with_bootstrap(*bootstrap);
  auto built = co_await mosaik::Network::builder(kNetwork)
                   .with_addresses(loopback())
                   .with_relay_mode(mosaik::RelayMode::kDisabled)
                   .with_discovery(std::move(disc))
                   .build();
  if (!built) throw failed(kNodeFailed, built.error());
  co_return std::move(*built);
}

// The keys a measurement inserts, handed out in order to its pipeline slots (all on the
// bench's executor): up to the budget's count, or until its time is up.
struct Keys {
  Keys(std::uint64_t first, const WriteBudget& budget)
      : next(first), end(budget.count ? first + budget.count : std::numeric_limits<std::uint64_t>::max()),
        deadline(budget.count ? Clock::time_point::max()
                              : Clock::now() + std::chrono::duration_cast<Clock::duration>(budget.seconds)) {}
  std::optional<std::uint64_t> take() {
    if (next >= end || Clock::now() >= deadline) return std::nullopt;
    return next++;
  }
  std::uint64_t next;
  std::uint64_t end;
  Clock::time_point deadline;
  Version highest;  // of the inserts that committed
};

// One pipeline slot: inserts the keys it takes until none are left.
asio::awaitable<void> insert_slot(Writer w, std::shared_ptr<Keys> keys,
                                  std::shared_ptr<mosaik::Watch<std::uint64_t>> left) {
  while (const auto k = keys->take()) {
    std::string value = value_of(*k);
    auto v = co_await w.insert(*k, std::move(value));
    for (int retry = 0; !v && retry < 10; ++retry) {  // an unknown outcome or no leader for a moment
      report_retry(v.error());
      auto back = std::move(v.error()).take_value();
      if (!back) break;
      v = co_await w.insert(std::move(back->first), std::move(back->second));
    }
    if (!v) report_retry(v.error());
    if (v) keys->highest = std::max(keys->highest, *v);
  }
  left->modify([](std::uint64_t& n) { --n; return true; });
}

struct InsertRun {
  double per_second = 0;
  std::uint64_t inserted = 0;  // keys [first, first + inserted)
  Version highest;
};

// Inserts keys from `first` on through `writers`, `in_flight` at a time on each, within
// `budget`: per second, from the first insert to the last one's return.
asio::awaitable<InsertRun> pipelined_inserts(std::vector<Writer> writers, std::uint64_t first, WriteBudget budget,
                                             std::uint64_t in_flight) {
  auto ex = co_await asio::this_coro::executor;
  const std::uint64_t slots = writers.size() * in_flight;
  auto left = std::make_shared<mosaik::Watch<std::uint64_t>>(slots);
  auto watch = left->subscribe();
  const auto start = Clock::now();
  auto keys = std::make_shared<Keys>(first, budget);
  for (std::uint64_t s = 0; s < slots; ++s)
    asio::co_spawn(ex, insert_slot(writers[s % writers.size()], keys, left), asio::detached);
  (void)co_await watch.wait_until([](std::uint64_t n) { return n == 0; });
  const auto inserted = keys->next - first;
  co_return InsertRun{static_cast<double>(inserted) / std::chrono::duration<double>(Clock::now() - start).count(),
                      inserted, keys->highest};
}

asio::awaitable<MosaikFigures> run(MosaikSettings s) {
  MosaikFigures f;
  std::vector<mosaik::Network> nodes;
  nodes.push_back(co_await node(std::nullopt));
  const auto first = nodes.front().local().addr();
  for (int i = 0; i < 2; ++i) nodes.push_back(co_await node(first));
  for (auto& n : nodes) {
    auto w = n.discovery().catalog_watch();
    (void)co_await w.wait_until([](const mosaik::discovery::Catalog& c) { return c.size() >= 2; });
  }
  const auto o = options();
  std::fprintf(stderr, "bench/collections: three nodes up\n");

  // Three writers of one map: three voters, so every insert is on a quorum of them.
  std::vector<Writer> writers;
  for (auto& n : nodes) writers.push_back(Table::writer_with_options(n, kStore, o));
  for (auto& w : writers) {
    auto sw = w.group().status_watch();
    (void)co_await sw.wait_until([](const mosaik::groups::Status& st) { return st.leader && st.bonds == 2; });
  }
  std::fprintf(stderr, "bench/collections: three writers bonded\n");
  const auto one = co_await pipelined_inserts(std::vector<Writer>(1, writers[0]), 0, s.inserts, s.in_flight);
  const auto three = co_await pipelined_inserts(writers, one.inserted, s.inserts, s.in_flight / 3 + 1);
  f.inserts_one_writer_s = one.per_second;
  f.inserts_one_writer = one.inserted;
  f.inserts_three_writers_s = three.per_second;
  f.inserts_three_writers = three.inserted;
  const std::uint64_t inserted = one.inserted + three.inserted;  // keys [0, inserted)

  std::fprintf(stderr, "bench/collections: inserts measured\n");
  // A reader's local get.
  auto reader = Table::reader_with_options(nodes[2], kStore, o);  // same node: the writer's state
  // That member may not have applied the other writers' last inserts yet.
  auto caught_up = reader.when().reaches(std::max(one.highest, three.highest));
  if (!co_await mosaik::with_timeout(std::move(caught_up), std::chrono::seconds(10)))
    throw std::runtime_error(kMissedKeys);
  std::mt19937_64 rng(7);
  std::vector<double> samples;
  samples.reserve(s.gets);
  std::uint64_t found = 0;
  for (std::uint64_t i = 0; i < s.gets; ++i) {
    const std::uint64_t key = rng() % inserted;
    const auto t0 = Clock::now();
    const auto v = reader.get(key);
    samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    found += v.has_value() ? 1 : 0;
  }
  if (found != s.gets) throw std::runtime_error(kMissedKeys);
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  f.get_p50_ns = samples[samples.size() / 2];

  // Sync: a map of sync_entries rows, then a reader on a new node.
  auto filler = Table::writer_with_options(nodes[0], kSyncStore, o);
  co_await filler.when().online();
  Version last;
  for (std::uint64_t k = 0; k < s.sync_entries; k += 2000) {
    std::vector<std::pair<std::uint64_t, std::string>> rows;
    for (std::uint64_t i = k; i < std::min(k + 2000, s.sync_entries); ++i) rows.emplace_back(i, value_of(i));
    auto v = co_await filler.extend(std::move(rows));
    if (!v) throw failed(kExtendFailed, v.error());
    last = *v;
  }
  std::fprintf(stderr, "bench/collections: map to sync filled\n");
  auto fresh = co_await node(first);
  auto cw = fresh.discovery().catalog_watch();
  (void)co_await cw.wait_until([](const mosaik::discovery::Catalog& c) { return c.size() >= 3; });
  const auto bytes_before = fresh.local().endpoint().traffic().bytes_in;
  const auto start = Clock::now();
  auto late = Table::reader_with_options(fresh, kSyncStore, o);
  (void)co_await late.when().reaches(last);
  f.sync_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (late.len() != s.sync_entries) throw std::runtime_error(kLateMisses);
  f.bytes_per_entry = static_cast<double>(fresh.local().endpoint().traffic().bytes_in - bytes_before) /
                      static_cast<double>(s.sync_entries);
  f.sync_entries = s.sync_entries;
  f.insert_retries = retries;
  co_return f;
}

}  // namespace

MosaikFigures measure_mosaik(const MosaikSettings& s) { return mosaik::block_on(run(s)); }

}  // namespace bench
