// etcd side: the cluster (etcd_cluster.hpp) driven over etcd's own gRPC API (etcd_api.proto)
// by clients in this process, which pay the loopback round trip to the member they talk
// to. Like the mosaik clients they all talk to one follower, which forwards to the leader.

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "etcd_cluster.hpp"
#include "etcd_api.grpc.pb.h"
#include "sides.hpp"

namespace bench {
namespace {

using namespace std::chrono_literals;

// What the clients share: counters, the failover marks, and a condition to wait on.
struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::uint32_t finished = 0;
  std::atomic<std::uint64_t> committed{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::int64_t> last_ns{0};
  std::atomic<bool> stop{false};
  // failover
  std::uint64_t term_before = 0;
  std::atomic<std::int64_t> killed_ns{0};
  std::atomic<std::int64_t> first_commit_ns{0};
  void notify() {
    std::lock_guard lock(mutex);
    changed.notify_all();
  }
};

// One closed-loop client on gRPC's callback API: the next put is sent from the previous
// one's completion, so a client never has two puts in flight.
class Client {
 public:
  Client(etcdserverpb::KV::Stub* stub, std::uint32_t id, std::uint64_t quota, std::string value,
         std::chrono::milliseconds deadline, std::int64_t until_ns, Shared* shared)
      : stub_(stub), id_(id), quota_(quota), value_(std::move(value)), deadline_(deadline), until_ns_(until_ns),
        shared_(shared) {}
  void start() { next(); }
  std::vector<std::int64_t>& latencies() { return latencies_; }

 private:
  void next() {
    if (done_ >= quota_ || shared_->stop.load() || now_ns() > until_ns_) {
      std::lock_guard lock(shared_->mutex);
      ++shared_->finished;
      shared_->changed.notify_all();
      return;
    }
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() + deadline_);
    request_.set_key(put_key(id_, seq_++));
    request_.set_value(value_);
    start_ns_ = now_ns();
    stub_->async()->Put(ctx_.get(), &request_, &response_, [this](grpc::Status st) { completed(st); });
  }
  void completed(const grpc::Status& st) {
    const auto end = now_ns();
    if (st.ok()) {
      ++done_;
      latencies_.push_back(end - start_ns_);
      shared_->last_ns.store(end);
      const auto n = ++shared_->committed;
      const auto killed = shared_->killed_ns.load();
      std::int64_t none = 0;
      if (killed != 0 && end > killed && response_.header().raft_term() > shared_->term_before &&
          shared_->first_commit_ns.compare_exchange_strong(none, end)) {
        shared_->notify();
      } else if (n == 256) {
        shared_->notify();
      }
    } else {
      ++shared_->failed;
      if (st.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) std::this_thread::sleep_for(1ms);  // back off
    }
    next();
  }

  etcdserverpb::KV::Stub* stub_;
  std::uint32_t id_;
  std::uint64_t quota_;
  std::string value_;
  std::chrono::milliseconds deadline_;
  std::int64_t until_ns_;
  Shared* shared_;
  std::uint64_t done_ = 0;
  std::uint64_t seq_ = 0;
  std::unique_ptr<grpc::ClientContext> ctx_;
  etcdserverpb::PutRequest request_;
  etcdserverpb::PutResponse response_;
  std::int64_t start_ns_ = 0;
  std::vector<std::int64_t> latencies_;
};

std::vector<std::unique_ptr<Client>> start_clients(etcdserverpb::KV::Stub* stub, const Settings& s,
                                                   std::uint64_t count, std::chrono::milliseconds deadline,
                                                   std::int64_t until_ns, Shared& shared) {
  // etcd's put carries key and value: together the command's 64 bytes.
  const std::string value(s.command_bytes - put_key(0, 0).size(), 'z');
  std::vector<std::unique_ptr<Client>> clients;
  for (std::uint32_t c = 0; c < s.clients; ++c) {
    const auto quota = count / s.clients + (c < count % s.clients ? 1 : 0);
    clients.push_back(std::make_unique<Client>(stub, c, quota, value, deadline, until_ns, &shared));
  }
  for (auto& c : clients) c->start();
  return clients;
}

bool wait_finished(Shared& shared, std::uint32_t clients, std::chrono::seconds within) {
  std::unique_lock lock(shared.mutex);
  return shared.changed.wait_for(lock, within, [&] { return shared.finished == clients; });
}

LoadResult load(EtcdCluster& cluster, const EtcdRoles& roles, const Settings& s) {
  auto stub = etcdserverpb::KV::NewStub(
      grpc::CreateChannel(cluster.endpoints()[roles.follower], grpc::InsecureChannelCredentials()));
  auto cpu_total = [&cluster] {
    double sum = cpu_seconds(::getpid());  // the clients
    for (std::size_t i = 0; i < 3; ++i) sum += cpu_seconds(cluster.member(i).pid());
    return sum;
  };
  const double cpu_before = cpu_total();
  Shared shared;
  const auto start = now_ns();
  const auto limit = load_limit(s.commands);
  auto clients = start_clients(stub.get(), s, s.commands, 5s, start + std::chrono::nanoseconds(limit).count(), shared);
  if (!wait_finished(shared, s.clients, std::chrono::duration_cast<std::chrono::seconds>(limit) + 10s)) throw std::runtime_error("etcd clients did not finish");
  LoadResult r;
  r.committed = shared.committed;
  r.failed = shared.failed;
  r.commits_s = static_cast<double>(r.committed) / (static_cast<double>(shared.last_ns - start) / 1e9);
  std::vector<std::int64_t> all;
  for (auto& c : clients) all.insert(all.end(), c->latencies().begin(), c->latencies().end());
  r.latency = percentiles(std::move(all));
  if (r.committed > 0) r.cpu_us_per_commit = (cpu_total() - cpu_before) * 1e6 / static_cast<double>(r.committed);
  return r;
}

std::optional<double> failover(EtcdCluster& cluster, const EtcdRoles& roles, const Settings& s) {
  auto stub = etcdserverpb::KV::NewStub(
      grpc::CreateChannel(cluster.endpoints()[roles.follower], grpc::InsecureChannelCredentials()));
  Shared shared;
  shared.term_before = roles.term;
  const auto until = now_ns() + std::chrono::nanoseconds(30s).count();
  auto clients = start_clients(stub.get(), s, ~0ull / 2, std::chrono::milliseconds(s.request_timeout_ms), until,
                               shared);
  {
    std::unique_lock lock(shared.mutex);
    shared.changed.wait_for(lock, 10s, [&] { return shared.committed >= 256; });  // running
  }
  const auto killed = now_ns();
  cluster.member(roles.leader).kill(SIGKILL);
  shared.killed_ns = killed;
  {
    std::unique_lock lock(shared.mutex);
    shared.changed.wait_for(lock, 25s, [&] { return shared.first_commit_ns != 0; });
  }
  shared.stop = true;
  if (!wait_finished(shared, s.clients, 10s)) throw std::runtime_error("etcd clients did not stop");
  if (shared.first_commit_ns == 0) return std::nullopt;
  return static_cast<double>(shared.first_commit_ns - killed) / 1e6;
}

}  // namespace

std::optional<EtcdResult> run_etcd(const Settings& s, std::string& why) {
  const auto etcd = find_etcd();
  if (etcd.empty()) {
    why = "etcd is not installed (apt-get install etcd-server)";
    return std::nullopt;
  }
  remove_stale_data_dirs(s.disk_dir);
  EtcdCluster cluster(etcd, s);
  auto roles = wait_for_leader(cluster, 30s);
  if (!roles) throw std::runtime_error("etcd: no leader within 30 s");
  EtcdResult r;
  r.version = roles->version;
  r.load = load(cluster, *roles, s);
  roles = wait_for_leader(cluster, 10s);  // the term may have moved
  if (!roles) throw std::runtime_error("etcd: lost its leader under load");
  r.failover_ms = failover(cluster, *roles, s);
  return r;
}

std::optional<LoadResult> run_etcd_disk(const Settings& s, std::string& why) {
  const auto etcd = find_etcd();
  if (etcd.empty()) {
    why = "etcd is not installed (apt-get install etcd-server)";
    return std::nullopt;
  }
  EtcdCluster cluster(etcd, s, s.disk_dir);
  auto roles = wait_for_leader(cluster, 30s);
  if (!roles) throw std::runtime_error("etcd on disk: no leader within 30 s");
  Settings durable = s;
  durable.commands = s.durable_commands;
  return load(cluster, *roles, durable);
}

}  // namespace bench
