#include "mosaik/primitives/persistent_map.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace mosaik {
namespace persistent_map_test {
namespace {

using Map = PersistentMap<int, std::string>;

void expect_same(const Map& m, const std::map<int, std::string>& model) {
  ASSERT_EQ(m.size(), model.size());
  auto it = m.begin();
  std::size_t index = 0;
  for (const auto& [k, v] : model) {
    ASSERT_NE(it, m.end());
    EXPECT_EQ(it->first, k);
    EXPECT_EQ(it->second, v);
    EXPECT_EQ(m.nth(index).first, k);
    ++it;
    ++index;
  }
  EXPECT_EQ(it, m.end());
  EXPECT_LE(m.height(), 1.45 * std::log2(static_cast<double>(m.size()) + 2) + 1);
}

TEST(PersistentMap, matches_std_map_under_random_inserts_and_erases) {
  std::mt19937 rng(7);
  Map m;
  std::map<int, std::string> model;
  for (int step = 0; step < 20000; ++step) {
    const int key = static_cast<int>(rng() % 2000);
    if (rng() % 3 == 0) {
      EXPECT_EQ(m.remove(key), model.erase(key) == 1);
    } else {
      const std::string value = std::to_string(step);
      m.set(key, value);
      model[key] = value;
    }
    if (step % 1000 == 0) expect_same(m, model);
  }
  expect_same(m, model);
  for (const auto& [k, v] : model) EXPECT_EQ(*m.find(k), v);
  EXPECT_EQ(m.find(99999), nullptr);
}

TEST(PersistentMap, snapshots_never_change_after_updates) {
  Map a;
  for (int i = 0; i < 100; ++i) a.set(i, "a");
  const Map snapshot = a;
  EXPECT_TRUE(snapshot.same_snapshot(a));
  a.set(5, "changed");
  a.remove(6);
  const Map b = a.insert(1000, "new").erase(7);
  EXPECT_EQ(*snapshot.find(5), "a");
  EXPECT_TRUE(snapshot.contains(6));
  EXPECT_EQ(snapshot.size(), 100u);
  EXPECT_EQ(a.size(), 99u);
  EXPECT_EQ(b.size(), 99u);
  EXPECT_FALSE(b.contains(7));
  EXPECT_TRUE(a.contains(7));
  EXPECT_FALSE(snapshot.same_snapshot(a));
}

// set() changes in place the nodes only the map holds: a copy taken at any point (which
// shares every node then) must keep what it saw through any later sets and removes.
TEST(PersistentMap, copies_taken_between_sets_keep_their_contents) {
  std::mt19937 rng(11);
  Map m;
  std::map<int, std::string> model;
  std::vector<std::pair<Map, std::map<int, std::string>>> copies;
  for (int step = 0; step < 6000; ++step) {
    const int key = static_cast<int>(rng() % 700);
    if (rng() % 5 == 0) {
      m.remove(key);
      model.erase(key);
    } else {
      m.set(key, std::to_string(step));
      model[key] = std::to_string(step);
    }
    if (rng() % 97 == 0) copies.emplace_back(m, model);
  }
  ASSERT_GT(copies.size(), 20u);
  for (const auto& [copy, seen] : copies) expect_same(copy, seen);
  expect_same(m, model);
}

// A map that shares no node rebalances by relinking: every entry stays where it was made
// (its address) through later sets, in ascending order (a rotation about every other set),
// descending, and in random order; the map stays balanced and complete.
TEST(PersistentMap, sets_into_a_map_that_shares_nothing_never_move_its_entries) {
  std::mt19937 rng(5);
  std::vector<int> ascending(3000), descending(3000), shuffled(3000);
  for (int i = 0; i < 3000; ++i) {
    ascending[i] = i;
    descending[i] = -1 - i;
    shuffled[i] = 10000 + i;
  }
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  Map m;
  std::map<int, std::string> model;
  std::map<int, const std::pair<const int, std::string>*> where;
  for (const auto* keys : {&ascending, &descending, &shuffled}) {
    for (const int k : *keys) {
      m.set(k, std::to_string(k));
      model[k] = std::to_string(k);
    }
    for (const auto& entry : m) {
      const auto [at, fresh] = where.emplace(entry.first, &entry);
      if (!fresh) {
        EXPECT_EQ(at->second, &entry) << "entry " << entry.first << " was copied";
      }
    }
    expect_same(m, model);
  }
}

TEST(PersistentMap, erase_of_a_missing_key_returns_the_same_snapshot) {
  Map a = Map().insert(1, "x");
  EXPECT_TRUE(a.erase(2).same_snapshot(a));
  EXPECT_FALSE(a.remove(2));
}

TEST(PersistentMap, equality_compares_contents) {
  const Map a = Map().insert(1, "x").insert(2, "y");
  const Map b = Map().insert(2, "y").insert(1, "x");
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a == b.insert(2, "z"));
}

TEST(PersistentMap, snapshots_are_readable_from_other_threads_while_the_writer_updates) {
  Map m;
  for (int i = 0; i < 1000; ++i) m.set(i, std::to_string(i));
  const Map snapshot = m;
  std::thread reader([snapshot] {
    for (int round = 0; round < 50; ++round) {
      std::size_t n = 0;
      for (const auto& kv : snapshot) n += kv.second.size() > 0;
      ASSERT_EQ(n, 1000u);
    }
  });
  for (int i = 0; i < 5000; ++i) m.set(i % 1500, "w");
  reader.join();
  EXPECT_EQ(m.size(), 1500u);
}

}  // namespace
}  // namespace persistent_map_test
}  // namespace mosaik
