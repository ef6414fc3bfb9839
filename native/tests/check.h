// The native tests' CHECK: report the failed condition with its place, count it, leave the test.
#pragma once
#include <cstdio>

namespace sam3clip::testing {

// Failed checks so far over every test file; a test failed when its run raised this.
inline int failures = 0;

}  // namespace sam3clip::testing

#define CHECK(cond, ...)                                 \
  do {                                                   \
    if (!(cond)) {                                       \
      std::printf("  FAIL %s:%d: ", __FILE__, __LINE__); \
      std::printf(__VA_ARGS__);                          \
      std::printf("\n");                                 \
      ::sam3clip::testing::failures++;                   \
      return;                                            \
    }                                                    \
  } while (0)
