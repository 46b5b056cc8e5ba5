#include "netns.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

namespace mosaik::test {
namespace {

constexpr std::chrono::seconds kIpCommandLimit{10};

std::string joined(const std::vector<std::string>& args) {
  std::string out = "ip";
  for (const auto& a : args) out += " " + a;
  return out;
}

}  // namespace

std::string ip_binary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  throw std::runtime_error("iproute2's ip is not installed (scripts/setup installs it)");
}

std::expected<void, std::string> run_ip(const std::vector<std::string>& args) {
  const std::string ip = ip_binary();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(ip.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::unexpected("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) return std::unexpected("fork failed");
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::execv(ip.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  // Read its output until it closes, within the limit (each poll waits at most what is left).
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + kIpCommandLimit;
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) return std::unexpected(fmt::format("`{}` did not finish within 10 s", joined(args)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::unexpected(fmt::format("`{}` failed: {}", joined(args), output));
  }
  return {};
}

std::expected<NetNamespace, std::string> NetNamespace::create(const std::string& tag) {
  const std::string name = fmt::format("mosaik-{}-{}", ::getpid(), tag);
  if (auto added = run_ip({"netns", "add", name}); !added) {
    return std::unexpected(added.error() +
                           " (these tests need root and network namespaces, as CI has)");
  }
  NetNamespace ns(name);  // from here on, deleted whatever happens
  if (auto up = ns.ip({"link", "set", "lo", "up"}); !up) return std::unexpected(up.error());
  return ns;
}

NetNamespace::NetNamespace(NetNamespace&& other) noexcept : name_(std::move(other.name_)) {
  other.name_.clear();
}

NetNamespace::~NetNamespace() {
  if (name_.empty()) return;
  if (auto deleted = run_ip({"netns", "del", name_}); !deleted) {
    fmt::print(stderr, "netns cleanup: {}\n", deleted.error());
  }
}

std::vector<std::string> NetNamespace::exec(const std::vector<std::string>& command) const {
  std::vector<std::string> args = {"netns", "exec", name_};
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

std::expected<void, std::string> NetNamespace::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> full = {"-n", name_};
  full.insert(full.end(), args.begin(), args.end());
  return run_ip(full);
}

std::expected<void, std::string> add_veth(const VethEnd& a, const VethEnd& b) {
  // Both ends are created inside their namespaces: the host's namespace never holds them.
  if (auto r = run_ip({"link", "add", a.interface, "netns", a.ns.name(), "type", "veth", "peer",
                       "name", b.interface, "netns", b.ns.name()});
      !r) {
    return r;
  }
  for (const VethEnd* end : {&a, &b}) {
    if (!end->cidr.empty()) {
      if (auto r = end->ns.ip({"addr", "add", end->cidr, "dev", end->interface}); !r) return r;
    }
    if (auto r = end->ns.ip({"link", "set", end->interface, "up"}); !r) return r;
  }
  return {};
}

}  // namespace mosaik::test
