// A translation unit that includes a standard header before Asio (most of mosaik's do);
// asio_config_test.cpp includes Asio first. Both must configure Asio alike.
#include <cstdlib>

#include <asio/detail/memory.hpp>

namespace mosaik::transport::test {

bool aligned_alloc_with_std_header_first() {
#if defined(ASIO_HAS_STD_ALIGNED_ALLOC)
  return true;
#else
  return false;
#endif
}

}  // namespace mosaik::transport::test
