// The per-node registry of collections' published states (see detail/registry.hpp).
#include <map>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include <mosaik/collections/detail/registry.hpp>

namespace mosaik::collections::detail {

struct Entries {
  struct Entry {
    std::weak_ptr<void> state;
    std::type_index type;
  };
  std::map<std::pair<PeerId, GroupId>, Entry> by_group;
};

Registry& Registry::instance() {
  static Registry registry;
  return registry;
}

Registry::Registry() : entries_(std::make_unique<Entries>()) {}
Registry::~Registry() = default;

std::shared_ptr<void> Registry::find_or_add(const PeerId& node, const GroupId& group, std::type_index type,
                                            std::shared_ptr<void> candidate) {
  auto& map = entries_->by_group;
  std::erase_if(map, [](const auto& kv) { return kv.second.state.expired(); });  // bounded by live collections
  const auto key = std::make_pair(node, group);
  if (auto it = map.find(key); it != map.end()) {
    if (it->second.type != type)
      throw std::logic_error(fmt::format("collection group {} is already joined with another type", group));
    if (auto live = it->second.state.lock()) return live;
  }
  map.insert_or_assign(key, Entries::Entry{candidate, type});
  return candidate;
}

}  // namespace mosaik::collections::detail
