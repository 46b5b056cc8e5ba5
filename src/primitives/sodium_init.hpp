// libsodium must be initialised once before use; sodium_init is idempotent and thread-safe.
// Private to the primitives that call libsodium.
#pragma once

#include <sodium.h>

#include <stdexcept>

namespace mosaik::detail {

inline void ensure_sodium() {
  static const bool ready = [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    return true;
  }();
  (void)ready;
}

}  // namespace mosaik::detail
