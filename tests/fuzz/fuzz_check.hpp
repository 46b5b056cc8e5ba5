#pragma once
// A broken invariant in a fuzz target: say which, then abort so libFuzzer (or the replay
// test) records the input as a crash. Not an assert: it must also fire with NDEBUG.

#include <cstdio>
#include <cstdlib>

#define MOSAIK_FUZZ_CHECK(cond)                                                           \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)
