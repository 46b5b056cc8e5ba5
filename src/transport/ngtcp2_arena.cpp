#include "ngtcp2_arena.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace mosaik::transport::detail {
namespace {

std::atomic<std::uint64_t> g_reclaimed{0};

}  // namespace

// Before each block: the list links, padded so the caller's pointer keeps malloc's alignment.
struct alignas(alignof(std::max_align_t)) Ngtcp2Arena::Header {
  Header* prev;
  Header* next;
};

Ngtcp2Arena::Ngtcp2Arena() noexcept
    : mem_{this, &Ngtcp2Arena::on_malloc, &Ngtcp2Arena::on_free, &Ngtcp2Arena::on_calloc,
           &Ngtcp2Arena::on_realloc} {}

Ngtcp2Arena::~Ngtcp2Arena() {
  const std::size_t lost = live_;
  while (head_ != nullptr) {
    Header* h = head_;
    unlink(h);
    std::free(h);
  }
  if (lost != 0) g_reclaimed.fetch_add(lost, std::memory_order_relaxed);
}

std::uint64_t Ngtcp2Arena::reclaimed_total() noexcept {
  return g_reclaimed.load(std::memory_order_relaxed);
}

void Ngtcp2Arena::link(Header* h) noexcept {
  h->prev = nullptr;
  h->next = head_;
  if (head_ != nullptr) head_->prev = h;
  head_ = h;
  ++live_;
}

void Ngtcp2Arena::unlink(Header* h) noexcept {
  if (h->prev != nullptr) h->prev->next = h->next;
  else head_ = h->next;
  if (h->next != nullptr) h->next->prev = h->prev;
  --live_;
}

void* Ngtcp2Arena::on_malloc(std::size_t size, void* self) {
  if (size > std::numeric_limits<std::size_t>::max() - sizeof(Header)) return nullptr;
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + size));
  if (h == nullptr) return nullptr;
  static_cast<Ngtcp2Arena*>(self)->link(h);
  return h + 1;
}

void Ngtcp2Arena::on_free(void* ptr, void* self) {
  if (ptr == nullptr) return;
  Header* h = static_cast<Header*>(ptr) - 1;
  static_cast<Ngtcp2Arena*>(self)->unlink(h);
  std::free(h);
}

void* Ngtcp2Arena::on_calloc(std::size_t n, std::size_t size, void* self) {
  if (size != 0 && n > std::numeric_limits<std::size_t>::max() / size) return nullptr;
  void* p = on_malloc(n * size, self);
  if (p != nullptr) std::memset(p, 0, n * size);
  return p;
}

void* Ngtcp2Arena::on_realloc(void* ptr, std::size_t size, void* self) {
  if (ptr == nullptr) return on_malloc(size, self);
  if (size > std::numeric_limits<std::size_t>::max() - sizeof(Header)) return nullptr;
  auto* arena = static_cast<Ngtcp2Arena*>(self);
  Header* old = static_cast<Header*>(ptr) - 1;
  arena->unlink(old);
  auto* h = static_cast<Header*>(std::realloc(old, sizeof(Header) + size));
  if (h == nullptr) {  // the old block stays valid and ours
    arena->link(old);
    return nullptr;
  }
  arena->link(h);
  return h + 1;
}

}  // namespace mosaik::transport::detail
