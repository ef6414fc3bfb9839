// Owning device and pinned host allocations. Sizes only grow (reserve), so a buffer is
// allocated once per largest shape seen and reused by every later call.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "cuda_check.h"

namespace sam3clip::trt {

namespace detail {
inline cudaError_t deviceAlloc(void** p, size_t bytes) { return cudaMalloc(p, bytes); }
inline cudaError_t deviceFree(void* p) { return cudaFree(p); }
// Page-locked host memory: copies from it are truly asynchronous and run at full PCIe speed.
inline cudaError_t pinnedAlloc(void** p, size_t bytes) { return cudaMallocHost(p, bytes); }
inline cudaError_t pinnedFree(void* p) { return cudaFreeHost(p); }
}  // namespace detail

template <cudaError_t (*Alloc)(void**, size_t), cudaError_t (*Free)(void*)>
class CudaBuffer {
 public:
  CudaBuffer() = default;
  CudaBuffer(const CudaBuffer&) = delete;
  CudaBuffer& operator=(const CudaBuffer&) = delete;
  CudaBuffer(CudaBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  CudaBuffer& operator=(CudaBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  ~CudaBuffer() { release(); }

  // Contents are not kept when the buffer grows. Out of memory throws CudaFailure E_GPU_OOM.
  void reserve(size_t bytes) {
    if (bytes <= bytes_) return;
    release();
    void* p = nullptr;
    throwIfCudaFailed(Alloc(&p, bytes), "allocating device or pinned memory");
    ptr_ = p;
    bytes_ = bytes;
  }
  void release() noexcept {
    if (ptr_) Free(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
  }
  template <typename T = void>
  T* get() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

using DeviceBuffer = CudaBuffer<detail::deviceAlloc, detail::deviceFree>;
using PinnedBuffer = CudaBuffer<detail::pinnedAlloc, detail::pinnedFree>;

}  // namespace sam3clip::trt
