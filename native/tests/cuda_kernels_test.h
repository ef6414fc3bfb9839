// The CUDA kernels against their CPU twins (native/core), on random inputs and on the shared
// reference cases. Without a CUDA device every test reports SKIP, unless requireGpu.
#pragma once

namespace sam3clip::testing {

// Runs the tests, printing one line each; returns how many failed.
int runCudaKernelTests(bool requireGpu);

}  // namespace sam3clip::testing
