// Times MORPH_CLOSE with a 5×5 kernel on a 3840×2160 mask of random blobs, on one thread,
// the same workload as scripts/bench/morphology-opencv.py. Prints the median of the runs.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "../core/morphology.h"

int main(int argc, char** argv) {
  const int w = 3840, h = 2160, k = 5;
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 31;
  std::vector<uint8_t> mask(static_cast<size_t>(w) * h, 0), out(mask.size());
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  // Blobs of radius 5..80 px plus salt noise, so the close has holes and gaps to fill.
  for (int b = 0; b < 400; b++) {
    const int cx = static_cast<int>(u(rng) * w), cy = static_cast<int>(u(rng) * h);
    const int r = 5 + static_cast<int>(u(rng) * 75);
    for (int y = std::max(0, cy - r); y < std::min(h, cy + r + 1); y++)
      for (int x = std::max(0, cx - r); x < std::min(w, cx + r + 1); x++)
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) mask[static_cast<size_t>(y) * w + x] = 1;
  }
  for (auto& v : mask)
    if (u(rng) < 0.02) v ^= 1;

  std::vector<double> ms;
  for (int i = 0; i < runs + 2; i++) {
    const auto t0 = std::chrono::steady_clock::now();
    sam3clip::morphology(mask.data(), out.data(), w, h, sam3clip::MorphOp::Close, k);
    const auto t1 = std::chrono::steady_clock::now();
    if (i >= 2) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());  // 2 warm-ups
  }
  std::sort(ms.begin(), ms.end());
  size_t set = 0;
  for (uint8_t v : out) set += v;
  std::printf("sam3clip morphology close k=%d on %dx%d, one thread, %d runs: median %.3f ms (min %.3f ms); %zu pixels set\n",
              k, w, h, runs, ms[ms.size() / 2], ms.front(), set);
  return 0;
}
