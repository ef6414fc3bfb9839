"""OpenCV's time for the workload of native/bench/morphology_bench.cpp: MORPH_CLOSE with a 5×5
all-ones kernel on a 3840×2160 mask of random blobs, one thread. Prints the median in ms.
Uses Debian's python3-opencv (apt install python3-opencv); pip's opencv builds differ."""
import os
import statistics
import sys
import time

try:
    import cv2
    import numpy as np
except ImportError:
    # A pyenv or venv python3 on PATH hides the system site-packages where apt puts cv2.
    system_python = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system_python) and os.path.exists(system_python) \
            and not os.environ.get("SAM3CLIP_NO_REEXEC"):
        os.environ["SAM3CLIP_NO_REEXEC"] = "1"
        os.execv(system_python, [system_python, *sys.argv])
    print("OpenCV is not installed (apt install python3-opencv); skipping the OpenCV morphology timing")
    sys.exit(0)


def blob_mask(w, h, rng):
    mask = np.zeros((h, w), np.uint8)
    for _ in range(400):
        cx, cy = int(rng.random() * w), int(rng.random() * h)
        r = 5 + int(rng.random() * 75)
        cv2.circle(mask, (cx, cy), r, 1, thickness=-1)
    noise = rng.random((h, w)) < 0.02
    mask[noise] ^= 1
    return mask


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 31
    cv2.setNumThreads(1)
    mask = blob_mask(3840, 2160, np.random.default_rng(42))
    kernel = np.ones((5, 5), np.uint8)
    times = []
    for i in range(runs + 2):
        t0 = time.perf_counter()
        out = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
        t1 = time.perf_counter()
        if i >= 2:  # two warm-ups
            times.append((t1 - t0) * 1000)
    print(f"OpenCV {cv2.__version__} morphologyEx close k=5 on 3840x2160, one thread, {runs} runs: "
          f"median {statistics.median(times):.3f} ms (min {min(times):.3f} ms); {int(out.sum())} pixels set")


main()
