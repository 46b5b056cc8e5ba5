#pragma once
// PersistentMap: an immutable ordered map with structural sharing (the role of Rust's
// im::OrdMap). Copying is O(1); an update makes O(log n) new nodes and shares the rest,
// so a snapshot handed to another thread never changes under it.
//
//   PersistentMap<PeerId, Entry> a;  auto b = a.insert(id, e);   // a is unchanged
//   for (const auto& [id, entry] : b) ...                         // ordered by key
//
// A path-copying AVL tree of shared nodes. Each node also counts its subtree, which gives
// nth() in O(log n). A node is never changed while anything else holds it: set() updates in
// place only the nodes this map alone holds (those it made since its last copy), so a batch
// of sets copies a path shared with a snapshot once, not once per set.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace mosaik {

template <class K, class V, class Compare = std::less<K>>
class PersistentMap {
  struct Node;
  using Ptr = std::shared_ptr<Node>;

  struct Node {
    std::pair<const K, V> kv;
    Ptr left;
    Ptr right;
    std::uint8_t height;
    std::size_t size;
  };

 public:
  using key_type = K;
  using mapped_type = V;
  using value_type = std::pair<const K, V>;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = PersistentMap::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return stack_.back()->kv; }
    pointer operator->() const { return &stack_.back()->kv; }
    const_iterator& operator++() {
      const Node* n = stack_.back();
      stack_.pop_back();
      push_left(n->right.get());
      return *this;
    }
    const_iterator operator++(int) {
      auto copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const const_iterator& o) const {
      return stack_.empty() ? o.stack_.empty() : (!o.stack_.empty() && stack_.back() == o.stack_.back());
    }

   private:
    friend class PersistentMap;
    void push_left(const Node* n) {
      for (; n != nullptr; n = n->left.get()) stack_.push_back(n);
    }
    std::vector<const Node*> stack_;  // the path of nodes still to visit, deepest last
  };

  PersistentMap() = default;

  std::size_t size() const { return size_of(root_); }
  // Height of the tree: at most 1.44 log2(size + 2) (the AVL bound); tests check it.
  int height() const { return height_of(root_); }
  bool empty() const { return root_ == nullptr; }

  const V* find(const K& key) const {
    const Node* n = root_.get();
    while (n != nullptr) {
      if (less_(key, n->kv.first)) {
        n = n->left.get();
      } else if (less_(n->kv.first, key)) {
        n = n->right.get();
      } else {
        return &n->kv.second;
      }
    }
    return nullptr;
  }
  bool contains(const K& key) const { return find(key) != nullptr; }

  // The entry at position `index` in key order (index < size()).
  const value_type& nth(std::size_t index) const {
    const Node* n = root_.get();
    for (;;) {
      const std::size_t left = size_of(n->left);
      if (index < left) {
        n = n->left.get();
      } else if (index == left) {
        return n->kv;
      } else {
        index -= left + 1;
        n = n->right.get();
      }
    }
  }

  // How many leading entries (in key order) have keys for which `pred` holds, where `pred`
  // is true on a prefix of the keys and false after it: O(log n). Ranges use it, e.g.
  // partition_point([&](const K& k) { return k < lo; }) is the position of the first key >= lo.
  template <class Pred>
  std::size_t partition_point(const Pred& pred) const {
    std::size_t before = 0;
    const Node* n = root_.get();
    while (n != nullptr) {
      if (pred(n->kv.first)) {
        before += size_of(n->left) + 1;
        n = n->right.get();
      } else {
        n = n->left.get();
      }
    }
    return before;
  }

  // A new map with key set to value (inserted or replaced).
  [[nodiscard]] PersistentMap insert(K key, V value) const {
    return PersistentMap(insert_at(root_, std::move(key), std::move(value)), less_);
  }
  // A new map without key (the same map when absent).
  [[nodiscard]] PersistentMap erase(const K& key) const {
    if (!contains(key)) return *this;
    return PersistentMap(erase_at(root_, key), less_);
  }

  // In-place forms for a map owned by one writer: the old snapshot stays valid for readers.
  void set(K key, V value) { set_at(root_, std::move(key), std::move(value)); }
  bool remove(const K& key) {
    if (!contains(key)) return false;
    root_ = erase_at(root_, key);
    return true;
  }

  const_iterator begin() const {
    const_iterator it;
    it.push_left(root_.get());
    return it;
  }
  const_iterator end() const { return const_iterator(); }

  // Two maps share a root only when one is an unmodified copy of the other.
  bool same_snapshot(const PersistentMap& other) const { return root_ == other.root_; }

  friend bool operator==(const PersistentMap& a, const PersistentMap& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  PersistentMap(Ptr root, Compare less) : root_(std::move(root)), less_(std::move(less)) {}

  static std::size_t size_of(const Ptr& n) { return n ? n->size : 0; }
  static int height_of(const Ptr& n) { return n ? n->height : 0; }

  static Ptr make(const K& key, V value, Ptr left, Ptr right) {
    const auto h = static_cast<std::uint8_t>(1 + std::max(height_of(left), height_of(right)));
    const std::size_t s = 1 + size_of(left) + size_of(right);
    return std::make_shared<Node>(Node{{key, std::move(value)}, std::move(left), std::move(right), h, s});
  }
  static Ptr with_children(const Node& n, Ptr left, Ptr right) {
    return make(n.kv.first, n.kv.second, std::move(left), std::move(right));
  }

  // Restores |height(left) - height(right)| <= 1 around a node whose children differ by 2.
  static Ptr balance(const Node& n, Ptr left, Ptr right) {
    const int diff = height_of(left) - height_of(right);
    if (diff > 1) {
      if (height_of(left->left) < height_of(left->right)) {
        const Node& lr = *left->right;
        return make(lr.kv.first, lr.kv.second, with_children(*left, left->left, lr.left),
                    with_children(n, lr.right, std::move(right)));
      }
      return with_children(*left, left->left, with_children(n, left->right, std::move(right)));
    }
    if (diff < -1) {
      if (height_of(right->right) < height_of(right->left)) {
        const Node& rl = *right->left;
        return make(rl.kv.first, rl.kv.second, with_children(n, std::move(left), rl.left),
                    with_children(*right, rl.right, right->right));
      }
      return with_children(*right, with_children(n, std::move(left), right->left), right->right);
    }
    return with_children(n, std::move(left), std::move(right));
  }

  Ptr insert_at(const Ptr& n, K key, V value) const {
    if (!n) return make(key, std::move(value), nullptr, nullptr);
    if (less_(key, n->kv.first)) return balance(*n, insert_at(n->left, std::move(key), std::move(value)), n->right);
    if (less_(n->kv.first, key)) return balance(*n, n->left, insert_at(n->right, std::move(key), std::move(value)));
    return make(n->kv.first, std::move(value), n->left, n->right);
  }

  // Whether this map alone holds `n` (through a path it alone holds): then it may change it.
  static bool owned(const Ptr& n) {
    if (n.use_count() != 1) return false;
    // Pairs with the release in the last other holder's drop: its reads of the node are done.
    std::atomic_thread_fence(std::memory_order_acquire);
    return true;
  }

  // insert_at's in-place form: nodes this map alone holds are updated where they are; from
  // the first shared node down the path is copied as insert_at does.
  void set_at(Ptr& n, K&& key, V&& value) {
    if (!n || !owned(n)) {
      n = insert_at(n, std::move(key), std::move(value));
      return;
    }
    Node& m = *n;
    if (less_(key, m.kv.first)) {
      set_at(m.left, std::move(key), std::move(value));
    } else if (less_(m.kv.first, key)) {
      set_at(m.right, std::move(key), std::move(value));
    } else {
      m.kv.second = std::move(value);
      return;
    }
    const int diff = height_of(m.left) - height_of(m.right);
    if (diff > 1 || diff < -1) {
      if (!rebalance_in_place(n)) n = balance(m, m.left, m.right);  // through shared nodes: new ones
      return;
    }
    refresh(m);
  }

  static void refresh(Node& m) {
    m.height = static_cast<std::uint8_t>(1 + std::max(height_of(m.left), height_of(m.right)));
    m.size = 1 + size_of(m.left) + size_of(m.right);
  }
  // The rotations of balance() by relinking, when every node they change is this map's
  // alone: sequential keys rotate about every other set, and copying nodes (key and value)
  // for each rotation cost more than the set. False (nothing changed) when one is shared.
  static bool rebalance_in_place(Ptr& n) {
    const bool left_heavy = height_of(n->left) > height_of(n->right);
    Ptr& child = left_heavy ? n->left : n->right;
    if (!owned(child)) return false;
    const bool inner = left_heavy ? height_of(child->left) < height_of(child->right)
                                  : height_of(child->right) < height_of(child->left);
    if (inner) {
      if (!owned(left_heavy ? child->right : child->left)) return false;
      if (left_heavy) {
        rotate<&Node::right, &Node::left>(child);
      } else {
        rotate<&Node::left, &Node::right>(child);
      }
    }
    if (left_heavy) {
      rotate<&Node::left, &Node::right>(n);
    } else {
      rotate<&Node::right, &Node::left>(n);
    }
    return true;
  }
  // n's child on side `up` takes n's place, n becomes its child on side `down`; only these
  // two nodes change. rotate<&Node::right, &Node::left> is a left rotation.
  template <Ptr Node::*up, Ptr Node::*down>
  static void rotate(Ptr& n) {
    Ptr c = std::move((*n).*up);
    (*n).*up = std::move((*c).*down);
    refresh(*n);
    (*c).*down = std::move(n);
    refresh(*c);
    n = std::move(c);
  }

  // Removes the smallest node of a subtree, handing it back through `min`.
  static Ptr erase_min(const Ptr& n, const Node*& min) {
    if (!n->left) {
      min = n.get();
      return n->right;
    }
    return balance(*n, erase_min(n->left, min), n->right);
  }

  Ptr erase_at(const Ptr& n, const K& key) const {
    if (less_(key, n->kv.first)) return balance(*n, erase_at(n->left, key), n->right);
    if (less_(n->kv.first, key)) return balance(*n, n->left, erase_at(n->right, key));
    if (!n->left) return n->right;
    if (!n->right) return n->left;
    const Node* successor = nullptr;
    Ptr right = erase_min(n->right, successor);
    return balance(*successor, n->left, std::move(right));
  }

  Ptr root_;
  [[no_unique_address]] Compare less_;
};

}  // namespace mosaik
