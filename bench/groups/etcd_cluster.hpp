#pragma once
// The etcd side's cluster: three etcd processes (Debian's etcd-server) on loopback ports with
// their data on /dev/shm (or a disk directory), started with the bench's heartbeat and election timeout, and
// stopped (SIGKILL) with their data removed when the EtcdCluster goes, also on a throw.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "sides.hpp"

namespace bench {

// $BENCH_GROUPS_ETCD if set (a path), else the first etcd on $PATH; empty when none.
std::string find_etcd();

// Data directories of earlier runs (in /dev/shm and in `disk_dir`) whose bench process is
// gone (killed before it could clean up: its members died with it, through PR_SET_PDEATHSIG).
void remove_stale_data_dirs(const std::string& disk_dir);

class EtcdCluster {
 public:
  // The members' data under `base` (/dev/shm: tmpfs, fsync costs nothing; a disk directory:
  // every commit's fsync is real).
  EtcdCluster(const std::string& etcd, const Settings& s, const std::string& base = "/dev/shm");
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;
  const std::vector<std::string>& endpoints() const { return endpoints_; }  // host:port, gRPC
  ChildProcess& member(std::size_t i) { return *members_[i]; }

 private:
  std::string dir_;
  std::vector<std::string> endpoints_;
  std::vector<std::unique_ptr<ChildProcess>> members_;
};

struct EtcdRoles {
  std::size_t leader = 0;    // index into endpoints()
  std::size_t follower = 0;  // one other member
  std::uint64_t term = 0;    // the leader's term
  std::string version;
};

// Every member up and agreeing on one leader, within `within`: who leads, and one follower.
std::optional<EtcdRoles> wait_for_leader(const EtcdCluster& cluster, std::chrono::seconds within);

}  // namespace bench
