// An ngtcp2_mem that remembers every block one connection allocated, so that deleting the
// arena after ngtcp2_conn_del returns what libngtcp2 lost. Debian bookworm's libngtcp2 0.12.1
// drops a stream or crypto frame when retransmission shrinks it across the size at which
// ngtcp2 switches from its object pool to malloc (upstream issue #1244, fixed in 1.6): one
// 100–300 byte block per such frame, forever, on every lossy connection. Calls come only
// from the connection's executor, as every ngtcp2_conn call does: no locking.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstddef>
#include <cstdint>

namespace mosaik::transport::detail {

class Ngtcp2Arena {
 public:
  Ngtcp2Arena() noexcept;
  ~Ngtcp2Arena();  // frees every block still live: the connection must be deleted first
  Ngtcp2Arena(const Ngtcp2Arena&) = delete;
  Ngtcp2Arena& operator=(const Ngtcp2Arena&) = delete;

  // For ngtcp2_conn_*_new; valid as long as this arena.
  [[nodiscard]] const ngtcp2_mem* mem() const noexcept { return &mem_; }
  [[nodiscard]] std::size_t live_blocks() const noexcept { return live_; }

  // Blocks freed by arena destructors in this process: what libngtcp2 would have leaked.
  [[nodiscard]] static std::uint64_t reclaimed_total() noexcept;

 private:
  struct Header;
  static void* on_malloc(std::size_t size, void* self);
  static void on_free(void* ptr, void* self);
  static void* on_calloc(std::size_t n, std::size_t size, void* self);
  static void* on_realloc(void* ptr, std::size_t size, void* self);
  void link(Header* h) noexcept;
  void unlink(Header* h) noexcept;

  ngtcp2_mem mem_;
  Header* head_ = nullptr;  // every live block, newest first
  std::size_t live_ = 0;
};

}  // namespace mosaik::transport::detail
