#include "etcd_cluster.hpp"

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <stdexcept>
#include <thread>
#include <vector>

#include "etcd_api.grpc.pb.h"

namespace bench {
namespace {

using namespace std::chrono_literals;

// Loopback TCP ports free right now (all held until the last is picked, so they differ).
std::vector<int> free_ports(std::size_t n) {
  std::vector<int> fds, ports;
  for (std::size_t i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("no free TCP port");
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

std::optional<etcdserverpb::StatusResponse> status_of(const std::string& endpoint) {
  auto stub = etcdserverpb::Maintenance::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 500ms);
  etcdserverpb::StatusResponse r;
  if (!stub->Status(&ctx, etcdserverpb::StatusRequest{}, &r).ok()) return std::nullopt;
  return r;
}

}  // namespace

std::string find_etcd() {
  if (const char* given = std::getenv("BENCH_GROUPS_ETCD")) return ::access(given, X_OK) == 0 ? given : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/usr/local/bin";
  for (std::size_t from = 0; from <= dirs.size();) {
    const auto to = std::min(dirs.find(':', from), dirs.size());
    const auto candidate = dirs.substr(from, to - from) + "/etcd";
    if (to > from && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    from = to + 1;
  }
  return {};
}

void remove_stale_data_dirs(const std::string& disk_dir) {
  const std::string prefix = "mosaik-bench-groups-";
  for (const auto& base : {std::string("/dev/shm"), disk_dir}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
      const auto name = entry.path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      const auto pid = std::atoi(name.c_str() + prefix.size());
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

EtcdCluster::EtcdCluster(const std::string& etcd, const Settings& s, const std::string& base)
    : dir_(fmt::format("{}/mosaik-bench-groups-{}", base, ::getpid())) {
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  const auto ports = free_ports(6);
  std::string initial;
  for (int i = 0; i < 3; ++i)
    initial += fmt::format("{}e{}=http://127.0.0.1:{}", i ? "," : "", i, ports[static_cast<std::size_t>(3 + i)]);
  for (int i = 0; i < 3; ++i) {
    const auto client = fmt::format("http://127.0.0.1:{}", ports[static_cast<std::size_t>(i)]);
    const auto peer = fmt::format("http://127.0.0.1:{}", ports[static_cast<std::size_t>(3 + i)]);
    endpoints_.push_back(fmt::format("127.0.0.1:{}", ports[static_cast<std::size_t>(i)]));
    std::vector<std::string> args = {
        fmt::format("--name=e{}", i), fmt::format("--data-dir={}/e{}", dir_, i),
        "--listen-client-urls=" + client, "--advertise-client-urls=" + client,
        "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
        "--initial-cluster=" + initial, "--initial-cluster-token=bench-groups",
        "--initial-cluster-state=new", fmt::format("--heartbeat-interval={}", s.heartbeat_ms),
        fmt::format("--election-timeout={}", s.election_ms), "--logger=zap", "--log-level=warn"};
    ChildProcess::Options o;
    o.output_file = fmt::format("{}/e{}.log", dir_, i);
    members_.push_back(std::make_unique<ChildProcess>(etcd, args, o));
  }
}

EtcdCluster::~EtcdCluster() {
  members_.clear();  // SIGKILL and reap
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::optional<EtcdRoles> wait_for_leader(const EtcdCluster& cluster, std::chrono::seconds within) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    std::vector<std::optional<etcdserverpb::StatusResponse>> st;
    for (const auto& e : cluster.endpoints()) st.push_back(status_of(e));
    bool all = true;
    for (const auto& s : st) all = all && s && s->leader() != 0 && s->leader() == st[0]->leader();
    if (all) {
      EtcdRoles r;
      for (std::size_t i = 0; i < st.size(); ++i) {
        if (st[i]->header().member_id() == st[i]->leader()) r.leader = i;
      }
      r.follower = (r.leader + 1) % st.size();
      r.term = st[r.leader]->raftterm();
      r.version = st[r.leader]->version();
      return r;
    }
    std::this_thread::sleep_for(100ms);  // polling a condition etcd offers no watch for; bounded
  }
  return std::nullopt;
}

}  // namespace bench
