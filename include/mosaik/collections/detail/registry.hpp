#pragma once
// The published state of each joined collection on each node. Joining a group this node
// already belongs to returns the existing membership and drops the machine passed in, so a
// second handle of one collection on one node must read the first machine's state: it finds
// it here by (node, GroupId).

#include <memory>
#include <mutex>
#include <typeindex>

#include <mosaik/primitives/digest.hpp>
#include <mosaik/primitives/keys.hpp>

namespace mosaik::collections::detail {

// Calls `join` (which joins the group and returns its GroupId) under the registry's lock,
// then returns the live state registered for (node, that GroupId), or registers and returns
// `candidate`. A live state of another type is a programming error (std::logic_error).
template <class Join>
std::shared_ptr<void> join_registered(const PeerId& node, std::type_index type, std::shared_ptr<void> candidate,
                                      Join&& join);

struct Entries;

class Registry {
 public:
  static Registry& instance();
  std::mutex& mutex() { return mutex_; }
  // Under mutex(): the live state of (node, group), or `candidate` registered for it.
  std::shared_ptr<void> find_or_add(const PeerId& node, const GroupId& group, std::type_index type,
                                    std::shared_ptr<void> candidate);

 private:
  Registry();
  ~Registry();
  std::mutex mutex_;
  std::unique_ptr<Entries> entries_;
};

template <class Join>
std::shared_ptr<void> join_registered(const PeerId& node, std::type_index type, std::shared_ptr<void> candidate,
                                      Join&& join) {
  auto& registry = Registry::instance();
  std::lock_guard lock(registry.mutex());
  const GroupId id = join();
  return registry.find_or_add(node, id, type, std::move(candidate));
}

}  // namespace mosaik::collections::detail
