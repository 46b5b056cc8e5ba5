#pragma once
// PersistentVector: an immutable sequence with structural sharing (the role of Rust's
// im::Vector). Copying is O(1); push, insert, erase and set at any position make O(log n)
// new nodes and share the rest, so a copy handed to a reader never changes under it.
//
//   PersistentVector<std::string> v;  v.push_back("a");  v.insert(0, "b");   // b, a
//   auto snapshot = v;  v.erase(0);                                          // snapshot still b, a
//
// A path-copying AVL tree ordered by position: each node counts its subtree, so the i-th
// element is found by descending on the left subtrees' sizes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mosaik {

template <class T>
class PersistentVector {
  struct Node;
  using Ptr = std::shared_ptr<const Node>;

  struct Node {
    T value;
    Ptr left;
    Ptr right;
    std::uint8_t height;
    std::size_t size;
  };

 public:
  using value_type = T;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    reference operator*() const { return stack_.back()->value; }
    pointer operator->() const { return &stack_.back()->value; }
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
    friend class PersistentVector;
    void push_left(const Node* n) {
      for (; n != nullptr; n = n->left.get()) stack_.push_back(n);
    }
    std::vector<const Node*> stack_;  // the path still to visit, deepest last
  };

  PersistentVector() = default;

  [[nodiscard]] std::size_t size() const { return size_of(root_); }
  [[nodiscard]] bool empty() const { return root_ == nullptr; }
  // At most 1.44 log2(size + 2) (the AVL bound); tests check it.
  [[nodiscard]] int height() const { return height_of(root_); }

  // The element at `index`; index < size() (a broken precondition throws std::out_of_range).
  [[nodiscard]] const T& operator[](std::size_t index) const {
    if (index >= size()) throw std::out_of_range("PersistentVector index");
    const Node* n = root_.get();
    for (;;) {
      const std::size_t left = size_of(n->left);
      if (index < left) {
        n = n->left.get();
      } else if (index == left) {
        return n->value;
      } else {
        index -= left + 1;
        n = n->right.get();
      }
    }
  }
  // nullptr past the end.
  [[nodiscard]] const T* get(std::size_t index) const { return index < size() ? &(*this)[index] : nullptr; }
  [[nodiscard]] const T* front() const { return get(0); }
  [[nodiscard]] const T* back() const { return empty() ? nullptr : get(size() - 1); }

  // Inserts before position `index` (index <= size(); size() appends).
  void insert(std::size_t index, T value) {
    if (index > size()) throw std::out_of_range("PersistentVector insert");
    root_ = insert_at(root_, index, std::move(value));
  }
  void push_back(T value) { insert(size(), std::move(value)); }
  void push_front(T value) { insert(0, std::move(value)); }
  // Replaces the element at `index` (index < size()).
  void set(std::size_t index, T value) {
    if (index >= size()) throw std::out_of_range("PersistentVector set");
    root_ = set_at(root_, index, std::move(value));
  }
  // Removes the element at `index` (index < size()), shifting the rest left.
  void erase(std::size_t index) {
    if (index >= size()) throw std::out_of_range("PersistentVector erase");
    root_ = erase_at(root_, index);
  }
  // False when empty.
  bool pop_back() {
    if (empty()) return false;
    erase(size() - 1);
    return true;
  }
  bool pop_front() {
    if (empty()) return false;
    erase(0);
    return true;
  }
  // Keeps the first `count` elements: O(log n) per element dropped.
  void truncate(std::size_t count) {
    while (size() > count) erase(size() - 1);
  }
  void clear() { root_ = nullptr; }

  [[nodiscard]] const_iterator begin() const {
    const_iterator it;
    it.push_left(root_.get());
    return it;
  }
  [[nodiscard]] const_iterator end() const { return const_iterator(); }

  [[nodiscard]] bool same_snapshot(const PersistentVector& other) const { return root_ == other.root_; }

  friend bool operator==(const PersistentVector& a, const PersistentVector& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  static std::size_t size_of(const Ptr& n) { return n ? n->size : 0; }
  static int height_of(const Ptr& n) { return n ? n->height : 0; }

  static Ptr make(T value, Ptr left, Ptr right) {
    const auto h = static_cast<std::uint8_t>(1 + std::max(height_of(left), height_of(right)));
    const std::size_t s = 1 + size_of(left) + size_of(right);
    return std::make_shared<const Node>(Node{std::move(value), std::move(left), std::move(right), h, s});
  }
  static Ptr with_children(const Node& n, Ptr left, Ptr right) { return make(n.value, std::move(left), std::move(right)); }

  // Restores |height(left) - height(right)| <= 1 around `n` whose new children differ by 2.
  static Ptr balance(const Node& n, Ptr left, Ptr right) {
    const int diff = height_of(left) - height_of(right);
    if (diff > 1) {
      if (height_of(left->left) < height_of(left->right)) {
        const Node& lr = *left->right;
        return make(lr.value, with_children(*left, left->left, lr.left), with_children(n, lr.right, std::move(right)));
      }
      return with_children(*left, left->left, with_children(n, left->right, std::move(right)));
    }
    if (diff < -1) {
      if (height_of(right->right) < height_of(right->left)) {
        const Node& rl = *right->left;
        return make(rl.value, with_children(n, std::move(left), rl.left), with_children(*right, rl.right, right->right));
      }
      return with_children(*right, with_children(n, std::move(left), right->left), right->right);
    }
    return with_children(n, std::move(left), std::move(right));
  }

  static Ptr insert_at(const Ptr& n, std::size_t index, T value) {
    if (!n) return make(std::move(value), nullptr, nullptr);
    const std::size_t left = size_of(n->left);
    if (index <= left) return balance(*n, insert_at(n->left, index, std::move(value)), n->right);
    return balance(*n, n->left, insert_at(n->right, index - left - 1, std::move(value)));
  }

  static Ptr set_at(const Ptr& n, std::size_t index, T value) {
    const std::size_t left = size_of(n->left);
    if (index < left) return with_children(*n, set_at(n->left, index, std::move(value)), n->right);
    if (index > left) return with_children(*n, n->left, set_at(n->right, index - left - 1, std::move(value)));
    return make(std::move(value), n->left, n->right);
  }

  // Removes the first node of a subtree, handing it back through `first`.
  static Ptr erase_first(const Ptr& n, const Node*& first) {
    if (!n->left) {
      first = n.get();
      return n->right;
    }
    return balance(*n, erase_first(n->left, first), n->right);
  }

  static Ptr erase_at(const Ptr& n, std::size_t index) {
    const std::size_t left = size_of(n->left);
    if (index < left) return balance(*n, erase_at(n->left, index), n->right);
    if (index > left) return balance(*n, n->left, erase_at(n->right, index - left - 1));
    if (!n->left) return n->right;
    if (!n->right) return n->left;
    const Node* successor = nullptr;
    Ptr right = erase_first(n->right, successor);
    return balance(*successor, n->left, std::move(right));
  }

  Ptr root_;
};

}  // namespace mosaik
