// The per-connection ngtcp2 allocator: what ngtcp2 frees leaves the arena, what it loses
// is freed (and counted) when the arena goes. Under LeakSanitizer a block the destructor
// missed is also reported as a leak.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "transport/ngtcp2_arena.hpp"

namespace mosaik::transport::detail {
namespace ngtcp2_arena_test {
namespace {

void* alloc(const ngtcp2_mem* m, std::size_t n) { return m->malloc(n, m->user_data); }
void release(const ngtcp2_mem* m, void* p) { m->free(p, m->user_data); }

TEST(Ngtcp2Arena, blocks_ngtcp2_frees_leave_it_and_the_ones_it_loses_are_freed_with_the_arena) {
  const auto before = Ngtcp2Arena::reclaimed_total();
  {
    Ngtcp2Arena arena;
    const ngtcp2_mem* m = arena.mem();
    void* a = alloc(m, 112);
    void* b = alloc(m, 304);
    void* c = alloc(m, 1);
    EXPECT_EQ(arena.live_blocks(), 3u);
    release(m, b);  // the middle of the list
    release(m, nullptr);
    EXPECT_EQ(arena.live_blocks(), 2u);
    std::memset(a, 0xab, 112);
    std::memset(c, 0xcd, 1);
  }
  EXPECT_EQ(Ngtcp2Arena::reclaimed_total() - before, 2u);
}

TEST(Ngtcp2Arena, a_connection_that_frees_everything_leaves_nothing_to_reclaim) {
  const auto before = Ngtcp2Arena::reclaimed_total();
  {
    Ngtcp2Arena arena;
    const ngtcp2_mem* m = arena.mem();
    void* blocks[8];
    for (auto& b : blocks) b = alloc(m, 64);
    for (int i = 7; i >= 0; i -= 2) release(m, blocks[i]);  // out of order
    for (int i = 0; i < 8; i += 2) release(m, blocks[i]);
    EXPECT_EQ(arena.live_blocks(), 0u);
  }
  EXPECT_EQ(Ngtcp2Arena::reclaimed_total(), before);
}

TEST(Ngtcp2Arena, calloc_zeroes_realloc_keeps_the_contents_and_pointers_keep_mallocs_alignment) {
  Ngtcp2Arena arena;
  const ngtcp2_mem* m = arena.mem();
  auto* z = static_cast<unsigned char*>(m->calloc(10, 7, m->user_data));
  ASSERT_NE(z, nullptr);
  for (int i = 0; i < 70; ++i) ASSERT_EQ(z[i], 0);
  EXPECT_EQ(m->calloc(SIZE_MAX / 2, 4, m->user_data), nullptr);  // n * size overflows
  auto* r = static_cast<unsigned char*>(m->realloc(nullptr, 16, m->user_data));
  for (int i = 0; i < 16; ++i) r[i] = static_cast<unsigned char>(i);
  r = static_cast<unsigned char*>(m->realloc(r, 4096, m->user_data));
  ASSERT_NE(r, nullptr);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(r[i], i);
  EXPECT_EQ(arena.live_blocks(), 2u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r) % alignof(std::max_align_t), 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(z) % alignof(std::max_align_t), 0u);
  release(m, r);
  EXPECT_EQ(arena.live_blocks(), 1u);  // z goes with the arena
}

}  // namespace
}  // namespace ngtcp2_arena_test
}  // namespace mosaik::transport::detail
