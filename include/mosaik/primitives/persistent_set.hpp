#pragma once
// PersistentSet: an immutable ordered set with structural sharing (the role of Rust's
// im::OrdSet), a PersistentMap with no values. Copying is O(1), insert and erase O(log n).
//
//   PersistentSet<std::string> s;  s.insert("a");  auto snapshot = s;  s.erase("a");
//   for (const auto& v : snapshot) ...   // "a": in key order

#include <cstddef>
#include <functional>
#include <iterator>
#include <utility>

#include <mosaik/primitives/persistent_map.hpp>

namespace mosaik {

template <class T, class Compare = std::less<T>>
class PersistentSet {
  struct Nothing {
    friend bool operator==(const Nothing&, const Nothing&) = default;
  };
  using Map = PersistentMap<T, Nothing, Compare>;

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
    reference operator*() const { return it_->first; }
    pointer operator->() const { return &it_->first; }
    const_iterator& operator++() {
      ++it_;
      return *this;
    }
    const_iterator operator++(int) {
      auto copy = *this;
      ++it_;
      return copy;
    }
    bool operator==(const const_iterator& o) const { return it_ == o.it_; }

   private:
    friend class PersistentSet;
    explicit const_iterator(typename Map::const_iterator it) : it_(std::move(it)) {}
    typename Map::const_iterator it_;
  };

  [[nodiscard]] std::size_t size() const { return map_.size(); }
  [[nodiscard]] bool empty() const { return map_.empty(); }
  [[nodiscard]] int height() const { return map_.height(); }
  [[nodiscard]] bool contains(const T& value) const { return map_.contains(value); }
  // The element at position `index` in order (index < size()).
  [[nodiscard]] const T& nth(std::size_t index) const { return map_.nth(index).first; }
  template <class Pred>
  [[nodiscard]] std::size_t partition_point(const Pred& pred) const {
    return map_.partition_point(pred);
  }

  // True when it was not there before.
  bool insert(T value) {
    if (map_.contains(value)) return false;
    map_.set(std::move(value), Nothing{});
    return true;
  }
  // True when it was there.
  bool erase(const T& value) { return map_.remove(value); }
  void clear() { map_ = Map(); }

  // Every element of this set is in `other`: O(n log m).
  template <class Other>
  [[nodiscard]] bool is_subset_of(const Other& other) const {
    for (const auto& v : *this)
      if (!other.contains(v)) return false;
    return true;
  }

  [[nodiscard]] const_iterator begin() const { return const_iterator(map_.begin()); }
  [[nodiscard]] const_iterator end() const { return const_iterator(map_.end()); }
  [[nodiscard]] bool same_snapshot(const PersistentSet& other) const { return map_.same_snapshot(other.map_); }
  friend bool operator==(const PersistentSet& a, const PersistentSet& b) { return a.map_ == b.map_; }

 private:
  Map map_;
};

}  // namespace mosaik
