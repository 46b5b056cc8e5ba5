// NATS side: one publisher connection, one connection per subscriber (async callbacks).

#include <fmt/format.h>
#include <nats/nats.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sides.hpp"

extern char** environ;

namespace bench {
namespace {

int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free TCP port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct Subscriber {
  natsConnection* conn = nullptr;
  natsSubscription* sub = nullptr;
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::int64_t> last_ns{0};
  std::atomic<bool> record{false};
  std::vector<std::int64_t> latencies;  // written by the delivery thread only
};

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* s = static_cast<Subscriber*>(closure);
  const auto now = now_ns();
  if (s->record.load(std::memory_order_relaxed) && natsMsg_GetDataLength(msg) >= 16) {
    std::int64_t sent = 0;
    std::memcpy(&sent, natsMsg_GetData(msg) + 8, sizeof(sent));
    s->latencies.push_back(now - sent);
  }
  natsMsg_Destroy(msg);
  s->last_ns.store(now, std::memory_order_relaxed);
  s->count.fetch_add(1, std::memory_order_release);
}

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) throw std::runtime_error(fmt::format("nats {}: {}", what, natsStatus_GetText(s)));
}

// Waits until every subscriber has `expected` or their counts stop moving.
void drain(std::vector<std::unique_ptr<Subscriber>>& subs, std::uint64_t expected) {
  const auto limit = std::chrono::steady_clock::now() + kDrainLimit;
  std::uint64_t last_total = 0;
  auto last_change = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < limit) {
    std::uint64_t total = 0;
    bool all = true;
    for (auto& s : subs) {
      const auto n = s->count.load(std::memory_order_acquire);
      total += n;
      all = all && n >= expected;
    }
    if (all) return;
    if (total != last_total) {
      last_total = total;
      last_change = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_change > std::chrono::milliseconds(500)) {
      return;  // messages were dropped (slow consumer): count what arrived
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace

NatsServer::NatsServer() {
  const int port = free_tcp_port();
  const std::string port_text = std::to_string(port);
  const char* argv[] = {"nats-server", "-a", "127.0.0.1", "-p", port_text.c_str(), nullptr};
  pid_t pid = 0;
  posix_spawn_file_actions_t quiet;  // its log would interleave with our JSON
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  const int spawned = posix_spawnp(&pid, "nats-server", &quiet, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&quiet);
  if (spawned != 0) throw std::runtime_error("cannot start nats-server (scripts/setup installs it)");
  pid_ = pid;
  url_ = fmt::format("nats://127.0.0.1:{}", port);
  for (int i = 0; i < 200; ++i) {  // up to 4 s for it to listen
    natsConnection* probe = nullptr;
    if (natsConnection_ConnectTo(&probe, url_.c_str()) == NATS_OK) {
      natsConnection_Destroy(probe);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("nats-server did not start listening");
}

NatsServer::~NatsServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

SideResult run_nats(const Case& c, double offered_fraction, const std::string& url) {
  SideResult result;
  const char* subject = "bench.streams";
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (std::size_t i = 0; i < c.consumers; ++i) {
    auto s = std::make_unique<Subscriber>();
    check(natsConnection_ConnectTo(&s->conn, url.c_str()), "connect");
    check(natsConnection_Subscribe(&s->sub, s->conn, subject, on_message, s.get()), "subscribe");
    check(natsSubscription_SetPendingLimits(s->sub, -1, -1), "pending limits");
    check(natsConnection_Flush(s->conn), "flush");
    subs.push_back(std::move(s));
  }
  natsConnection* pub = nullptr;
  check(natsConnection_ConnectTo(&pub, url.c_str()), "connect");
  std::vector<char> payload(std::max<std::size_t>(c.datum_bytes, 16), 'x');
  auto publish = [&](std::uint64_t seq) {
    const std::int64_t sent = now_ns();
    std::memcpy(payload.data(), &seq, 8);
    std::memcpy(payload.data() + 8, &sent, 8);
    return natsConnection_Publish(pub, subject, payload.data(), static_cast<int>(payload.size()));
  };

  // Throughput: publish as fast as the client accepts.
  std::uint64_t sent = 0;
  const auto start = now_ns();
  const auto until = start + std::chrono::nanoseconds(kThroughputWindow).count();
  while (now_ns() < until) {
    for (int k = 0; k < 256; ++k) check(publish(sent++), "publish");
  }
  check(natsConnection_Flush(pub), "flush");
  drain(subs, sent);
  std::uint64_t delivered = 0;
  std::int64_t last = start;
  for (auto& s : subs) {
    delivered += s->count.load();
    last = std::max(last, s->last_ns.load());
  }
  const double seconds = static_cast<double>(last - start) / 1e9;
  result.throughput.msgs_s = static_cast<double>(delivered) / seconds;
  result.throughput.mb_s = result.throughput.msgs_s * static_cast<double>(c.datum_bytes) / 1e6;

  // Latency at a fixed offered load.
  for (auto& s : subs) {
    s->count.store(0);
    s->record.store(true);
  }
  const double rate = offered_fraction * result.throughput.msgs_s / static_cast<double>(c.consumers);
  std::uint64_t offered = 0;
  const auto lat_start = now_ns();
  const auto lat_until = lat_start + std::chrono::nanoseconds(kLatencyWindow).count();
  for (auto now = now_ns(); now < lat_until; now = now_ns()) {
    const auto due = static_cast<std::uint64_t>(rate * static_cast<double>(now - lat_start) / 1e9);
    while (offered < due) check(publish(offered++), "publish");
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  drain(subs, offered);
  std::vector<std::int64_t> all;
  for (auto& s : subs) {
    s->record.store(false);
    natsSubscription_Unsubscribe(s->sub);
  }
  for (auto& s : subs) {
    natsSubscription_Destroy(s->sub);
    natsConnection_Destroy(s->conn);
    all.insert(all.end(), s->latencies.begin(), s->latencies.end());
  }
  natsConnection_Destroy(pub);
  result.latency = percentiles(std::move(all));
  return result;
}

}  // namespace bench
