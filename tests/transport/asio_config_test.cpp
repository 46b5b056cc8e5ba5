// Asio must allocate handler memory the same way in every translation unit: whether it uses
// aligned_alloc/free or operator new/delete used to depend on include order, so a handler
// allocated in a unit that includes Asio first (endpoint.cpp) was freed with the other pair
// by another (quic_streams.cpp) -- an ODR violation that ASan reports as a mismatch. This
// unit includes Asio before anything else on purpose.
#include <asio/detail/memory.hpp>

#include <gtest/gtest.h>

namespace mosaik::transport::test {

bool aligned_alloc_with_std_header_first();  // asio_config_probe.cpp

TEST(AsioConfig, handler_memory_is_allocated_alike_whatever_the_include_order) {
#if defined(ASIO_HAS_STD_ALIGNED_ALLOC)
  const bool here = true;
#else
  const bool here = false;
#endif
  EXPECT_EQ(here, aligned_alloc_with_std_header_first());
}

}  // namespace mosaik::transport::test
