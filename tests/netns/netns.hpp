#pragma once
// Network namespaces for tests that need hosts of their own on one machine (issue 14): each
// namespace has its own interfaces, addresses and port 5353, joined to the others only by
// the veth links a test creates, never to the host's network. NetNamespace creates one with
// `ip netns add` and deletes it when destroyed, whatever the test's outcome; names carry
// the test process's pid, so parallel runs never clash.
//
//   auto ns = NetNamespace::create("producer");   // expected<NetNamespace, std::string>
//   ASSERT_TRUE(ns) << ns.error();                 // not root, no namespaces: the test fails
//   auto child = ChildProcess::spawn(ex, ip_binary(), ns->exec({"/path/prog", "--flag"}));
//
// Needs root (CI is). Nothing here is created in the host's own namespace: veth pairs are
// made with both ends already inside namespaces.

#include <expected>
#include <string>
#include <vector>

namespace mosaik::test {

// The absolute path of iproute2's `ip` (ChildProcess runs paths, not names).
std::string ip_binary();

// Runs `ip args...` and waits for it, at most 10 s; the command and its output on failure.
[[nodiscard]] std::expected<void, std::string> run_ip(const std::vector<std::string>& args);

class NetNamespace {
 public:
  // "mosaik-<pid>-<tag>", with its loopback up.
  [[nodiscard]] static std::expected<NetNamespace, std::string> create(const std::string& tag);
  NetNamespace(NetNamespace&& other) noexcept;
  NetNamespace& operator=(NetNamespace&&) = delete;
  NetNamespace(const NetNamespace&) = delete;
  ~NetNamespace();  // ip netns del

  const std::string& name() const { return name_; }
  // The arguments of `ip` that run `command` inside this namespace.
  std::vector<std::string> exec(const std::vector<std::string>& command) const;
  // Runs `ip args...` inside this namespace (ip -n NAME args...).
  [[nodiscard]] std::expected<void, std::string> ip(const std::vector<std::string>& args) const;

 private:
  explicit NetNamespace(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// One end of a veth pair: an interface in a namespace, with an address ("10.1.0.1/24") or
// none ("").
struct VethEnd {
  const NetNamespace& ns;
  std::string interface;
  std::string cidr;
};
// A veth pair between `a` and `b`, both ends up.
[[nodiscard]] std::expected<void, std::string> add_veth(const VethEnd& a, const VethEnd& b);

}  // namespace mosaik::test
