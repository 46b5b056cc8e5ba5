#include "redis_side.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <cstdlib>
#include <istream>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

std::optional<std::string> find_redis() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  dirs += ":/usr/bin:/usr/sbin";
  std::size_t from = 0;
  while (from <= dirs.size()) {
    const auto to = std::min(dirs.find(':', from), dirs.size());
    const auto candidate = dirs.substr(from, to - from) + "/redis-server";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    from = to + 1;
  }
  return std::nullopt;
}

std::string resp(std::initializer_list<std::string> parts) {
  std::string out = fmt::format("*{}\r\n", parts.size());
  for (const auto& p : parts) out += fmt::format("${}\r\n{}\r\n", p.size(), p);
  return out;
}

// A redis-server child on `port`, stopped (SIGTERM, reaped) on destruction.
class RedisServer {
 public:
  RedisServer(const std::string& binary, std::uint16_t port) {
    pid_ = ::fork();
    if (pid_ == 0) {
      // Its log would mix into the bench's JSON on stdout.
      const int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
      }
      const auto p = std::to_string(port);
      ::execl(binary.c_str(), binary.c_str(), "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~RedisServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

 private:
  pid_t pid_ = -1;
};

std::uint16_t free_tcp_port(asio::io_context& io) {
  asio::ip::tcp::acceptor probe(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return probe.local_endpoint().port();
}

}  // namespace

std::optional<RedisFigures> measure_redis(const WriteBudget& budget, std::uint64_t pipeline, std::uint64_t gets) {
  const auto binary = find_redis();
  if (!binary) return std::nullopt;
  asio::io_context io;
  const auto port = free_tcp_port(io);
  RedisServer server(*binary, port);
  asio::ip::tcp::socket socket(io);
  const asio::ip::tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
  bool connected = false;
  for (int attempt = 0; attempt < 100 && !connected; ++attempt) {  // up to 5 s for it to listen
    asio::error_code ec;
    socket.connect(at, ec);
    connected = !ec;
    if (!connected) {
      socket.close();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (!connected) return std::nullopt;
  socket.set_option(asio::ip::tcp::no_delay(true));

  RedisFigures f;
  // SET, pipelined: `pipeline` commands written, then their `pipeline` "+OK\r\n" replies
  // read; rounds until the budget's count is done or its time is up.
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(budget.seconds);
  const auto more = [&](std::uint64_t done) { return budget.count ? done < budget.count : Clock::now() < deadline; };
  std::vector<char> replies;
  std::uint64_t sets = 0;
  while (more(sets)) {
    const auto n = budget.count ? std::min(pipeline, budget.count - sets) : pipeline;
    std::string batch;
    for (std::uint64_t i = sets; i < sets + n; ++i) batch += resp({"SET", fmt::format("key-{}", i), fmt::format("value-{}", i)});
    asio::write(socket, asio::buffer(batch));
    replies.resize(5 * n);
    asio::read(socket, asio::buffer(replies));
    sets += n;
  }
  f.set_s = static_cast<double>(sets) / std::chrono::duration<double>(Clock::now() - start).count();
  f.sets = sets;

  // GET, one round trip at a time.
  std::mt19937_64 rng(7);
  std::vector<double> samples;
  samples.reserve(gets);
  asio::streambuf in;
  for (std::uint64_t i = 0; i < gets; ++i) {
    const auto request = resp({"GET", fmt::format("key-{}", rng() % sets)});
    const auto t0 = Clock::now();
    asio::write(socket, asio::buffer(request));
    asio::read_until(socket, in, "\r\n");
    std::istream header(&in);
    std::string line;
    std::getline(header, line);  // "$<len>\r"
    const auto len = static_cast<std::size_t>(std::stoll(line.substr(1)));
    if (in.size() < len + 2) asio::read(socket, in, asio::transfer_exactly(len + 2 - in.size()));
    in.consume(len + 2);
    samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  f.get_p50_ns = samples[samples.size() / 2];
  return f;
}

}  // namespace bench
