// What every native test file shares: the CHECK macro (report, count, leave the test), the test
// list entry, and random masks of several textures.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

namespace sam3clip::tests {

// Failed checks so far, over all test files; a test failed when its run raised this.
inline int failures = 0;

struct Test {
  const char* name;
  std::function<void()> run;
};

// Masks of several textures: 0 sparse noise, 1 dense noise, 2 blobs, 3 dense noise set to 255
// (any nonzero byte counts as set).
inline std::vector<uint8_t> randomMask(std::mt19937& rng, int w, int h, int kind) {
  std::vector<uint8_t> m(static_cast<size_t>(w) * h, 0);
  std::uniform_real_distribution<double> u(0, 1);
  const uint8_t on = (kind == 3) ? 255 : 1;
  if (kind == 2) {
    for (int b = 0; b < 1 + (w * h) / 200; b++) {
      const double cx = u(rng) * w, cy = u(rng) * h, r = 0.5 + u(rng) * 6;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m[static_cast<size_t>(y) * w + x] = on;
    }
    return m;
  }
  const double p = kind == 0 ? 0.1 : 0.6;
  for (auto& v : m) v = u(rng) < p ? on : 0;
  return m;
}

}  // namespace sam3clip::tests

// Prints where and why, counts the failure, and returns from the test function.
#define CHECK(cond, ...)                                 \
  do {                                                   \
    if (!(cond)) {                                       \
      std::printf("  FAIL %s:%d: ", __FILE__, __LINE__); \
      std::printf(__VA_ARGS__);                          \
      std::printf("\n");                                 \
      ::sam3clip::tests::failures++;                     \
      return;                                            \
    }                                                    \
  } while (0)
