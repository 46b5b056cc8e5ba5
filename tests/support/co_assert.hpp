#pragma once
// Fatal assertions for coroutine test bodies, where gtest's ASSERT_* cannot `return`:
// a failure throws, block_on rethrows, and gtest reports the file, line and condition.
//
//   CO_ASSERT_TRUE(reply.has_value());

#include <fmt/format.h>

#include <stdexcept>

namespace mosaik::test {
struct CoAssertionFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Out of line and taking pointers: g++ 12 cannot keep string-literal arrays in a coroutine
// frame ("array used as initializer"), so the literals decay at this call.
[[noreturn]] inline void co_assert_failed(const char* file, int line, const char* text) {
  throw CoAssertionFailure(fmt::format("{}:{}: assertion failed: {}", file, line, text));
}
}  // namespace mosaik::test

#define MOSAIK_CO_ASSERT_IMPL(cond, text)                                                   \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      const char* mosaik_file = __FILE__;                                                   \
      const char* mosaik_text = text;                                                       \
      ::mosaik::test::co_assert_failed(mosaik_file, __LINE__, mosaik_text);                 \
    }                                                                                       \
  } while (false)

#define CO_ASSERT_TRUE(cond) MOSAIK_CO_ASSERT_IMPL((cond), #cond)
#define CO_ASSERT_FALSE(cond) MOSAIK_CO_ASSERT_IMPL(!(cond), "!(" #cond ")")
