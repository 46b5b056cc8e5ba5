// bench/handshake_flood: what a flood of real ClientHellos costs a node (issue 13). The
// target endpoint runs in a child process (this program with --target), so its memory and
// CPU are its own. Deaf clients (their packet path never delivers the server's answers)
// dial it: each connect sends real QUIC Initials with a real TLS ClientHello and never
// completes, so the target holds a handshaking connection until its handshake timeout.
// Then honest clients connect (one from another address, one from a flood address) and
// their connect time is measured (-1: failed). Prints one JSON object.
// `handshake_flood [hellos] [source addresses] [retry_from_pending_handshakes]` (default
// 3000 8 and the endpoint's default; 256, the pending cap, turns Retry off).
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/transport/endpoint.hpp"

namespace {

using namespace mosaik;
using namespace mosaik::transport;
using Clock = std::chrono::steady_clock;
constexpr std::string_view kAlpn = "/mosaik/bench/flood";

// Reads from UDP but never passes anything on: a client that cannot hear the server.
class DeafPath final : public PacketPath, private PacketSink {
 public:
  explicit DeafPath(std::unique_ptr<PacketPath> inner) : inner_(std::move(inner)) {}
  UdpEndpoint local_endpoint() const override { return inner_->local_endpoint(); }
  void start(PacketSink&) override { inner_->start(*this); }
  void send(const UdpEndpoint& to, std::span<const std::uint8_t> data, std::size_t segment) override {
    inner_->send(to, data, segment);
  }
  void close() override { inner_->close(); }

 private:
  void on_packet(const UdpEndpoint&, std::span<const std::uint8_t>) override {}
  void on_batch_end() override {}
  std::unique_ptr<PacketPath> inner_;
};

int run_target(std::size_t retry_from) {
  EndpointConfig config;
  config.retry_from_pending_handshakes = retry_from;
  auto ep = Endpoint::bind(SecretKey::generate(), config);
  if (!ep) return 1;
  ep->register_alpn(std::string(kAlpn), [](Connection) {});
  std::printf("%s\n", ep->addr().to_string().c_str());
  std::fflush(stdout);
  // Report the held connections on request ("n\n" -> count), until stdin closes.
  for (std::string line; std::getline(std::cin, line);) {
    std::printf("%zu\n", ep->open_connections());
    std::fflush(stdout);
  }
  return 0;
}

struct Child {
  pid_t pid = -1;
  FILE* to = nullptr;
  FILE* from = nullptr;
};

Child spawn_target(std::size_t retry_from) {
  int in[2];
  int out[2];
  if (pipe(in) != 0 || pipe(out) != 0) std::exit(2);
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close(in[1]);
    close(out[0]);
    const std::string arg = std::to_string(retry_from);
    execl("/proc/self/exe", "handshake_flood", "--target", arg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  c.to = fdopen(in[1], "w");
  c.from = fdopen(out[0], "r");
  return c;
}

std::string read_line(FILE* f) {
  char buf[512];
  if (std::fgets(buf, sizeof buf, f) == nullptr) return {};
  std::string s(buf);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::size_t held_connections(Child& c) {
  std::fputs("n\n", c.to);
  std::fflush(c.to);
  return std::stoul(read_line(c.from));
}

double rss_mb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0;
  double stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::string_view(argv[1]) == "--target") return run_target(std::stoul(argv[2]));
  const std::size_t hellos = argc > 1 ? std::stoul(argv[1]) : 3000;
  const std::size_t sources = argc > 2 ? std::max<std::size_t>(1, std::stoul(argv[2])) : 8;
  const std::size_t retry_from =
      argc > 3 ? std::stoul(argv[3]) : EndpointConfig{}.retry_from_pending_handshakes;

  Child target = spawn_target(retry_from);
  auto addr = EndpointAddr::parse(read_line(target.from));
  if (!addr) return 2;
  const double rss_before = rss_mb(target.pid);
  const double cpu_before = cpu_seconds(target.pid);

  // Several source addresses, as spoofed Initials would come from: the per-source cap alone
  // does not stop them, only the total cap and address validation (Retry) do.
  std::vector<Endpoint> flooders;
  for (std::size_t i = 0; i < sources; ++i) {
    EndpointConfig deaf;
    deaf.addresses = {UdpEndpoint(asio::ip::make_address(fmt::format("127.0.0.{}", 10 + i)), 0)};
    deaf.handshake_timeout = std::chrono::seconds(30);  // the clients never give up first
    deaf.max_connections = hellos + 16;
    deaf.packet_path_factory = [](asio::any_io_executor ex, const UdpEndpoint& at)
        -> std::expected<std::unique_ptr<PacketPath>, std::string> {
      auto udp = open_udp_path(ex, at);
      if (!udp) return std::unexpected(udp.error());
      return std::make_unique<DeafPath>(std::move(*udp));
    };
    auto flood = Endpoint::bind(SecretKey::generate(), deaf);
    if (!flood) return 3;
    flooders.push_back(std::move(*flood));
  }
  const auto started = Clock::now();
  for (std::size_t i = 0; i < hellos; ++i) {
    Endpoint& flood = flooders[i % sources];
    asio::co_spawn(flood.executor(), [](Endpoint ep, EndpointAddr to) -> asio::awaitable<void> {
      // A new peer id each time, so no connection is reused: one Initial flight per connect.
      to.id = SecretKey::generate().public_key();
      (void)co_await ep.connect(to, std::string(kAlpn));
    }(flood, *addr), asio::detached);
  }
  // Let the Initials go out and the target take them in (bounded).
  std::size_t held = 0;
  for (int i = 0; i < 100 && held < hellos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // sampling the target
    held = held_connections(target);
  }
  const double flood_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const double rss_after = rss_mb(target.pid);
  const double cpu_after = cpu_seconds(target.pid);

  // From another source address than the flood's, as a different host would be, and from
  // one of the flood's own addresses (a host behind the same NAT as an attacker).
  auto honest_connect_ms = [&addr](const char* from) {
    EndpointConfig config;
    config.addresses = {UdpEndpoint(asio::ip::make_address(from), 0)};
    auto honest = Endpoint::bind(SecretKey::generate(), config);
    if (!honest) return -1.0;
    const auto t0 = Clock::now();
    auto conn = block_on(honest->connect(*addr, std::string(kAlpn)));
    if (!conn) return -1.0;
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  const double other_ms = honest_connect_ms("127.0.0.2");
  const double same_ms = honest_connect_ms("127.0.0.10");

  fmt::print(
      "{{\"hellos_sent\": {}, \"sources\": {}, \"retry_from_pending\": {}, \"target_handshakes_held\": {}, "
      "\"flood_seconds\": {:.2f}, \"target_rss_growth_mb\": {:.1f}, "
      "\"target_kb_per_handshake\": {:.1f}, \"target_cpu_seconds\": {:.2f}, "
      "\"target_cpu_us_per_hello\": {:.0f}, \"honest_connect_ms\": {:.1f}, "
      "\"honest_same_source_connect_ms\": {:.1f}}}\n",
      hellos, sources, retry_from, held, flood_seconds, rss_after - rss_before,
      held > 0 ? (rss_after - rss_before) * 1024.0 / static_cast<double>(held) : 0.0,
      cpu_after - cpu_before, (cpu_after - cpu_before) * 1e6 / static_cast<double>(hellos),
      other_ms, same_ms);

  std::fclose(target.to);
  int status = 0;
  waitpid(target.pid, &status, 0);
  return 0;
}
