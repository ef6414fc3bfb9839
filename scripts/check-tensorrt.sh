#!/usr/bin/env bash
# Compiles every TensorRT source of sam3clip against one TensorRT's headers and, given a folder
# with its libraries, links the addon (and the engine builder, where libnvinfer and
# libnvonnxparser are both there) against them and loads the addon.
#
#   scripts/check-tensorrt.sh <tensorrt-include-dir> [<tensorrt-lib-dir>]
#
# Needs CUDA's nvcc and runtime headers ($CUDACXX, nvcc on PATH, or the project's .cuda-venv
# from `node scripts/cuda-toolchain.mjs`). Builds under build-trt-check/ (git-ignored); the
# regular build/ is not touched.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
include="${1:?usage: scripts/check-tensorrt.sh <tensorrt-include-dir> [<tensorrt-lib-dir>]}"
libdir="${2:-}"
include="$(cd "$include" && pwd)"
[ -f "$include/NvInfer.h" ] || { echo "check-tensorrt: $include has no NvInfer.h" >&2; exit 2; }
[ -z "$libdir" ] || libdir="$(cd "$libdir" && pwd)"

version_of() { sed -n "s/^#define $1 \([0-9]*\).*/\1/p" "$include/NvInferVersion.h" | head -1; }
major="$(version_of TRT_MAJOR_ENTERPRISE)"; major="${major:-$(version_of NV_TENSORRT_MAJOR)}"
minor="$(version_of TRT_MINOR_ENTERPRISE)"; minor="${minor:-$(version_of NV_TENSORRT_MINOR)}"
echo "check-tensorrt: TensorRT ${major}.${minor} headers in $include"

nvcc="$(node "$root/scripts/cuda-toolchain.mjs")"
[ -x "$nvcc" ] || { echo "check-tensorrt: no nvcc found (set CUDACXX)" >&2; exit 2; }

cmake_js() { (cd "$root" && npx --no-install cmake-js "$@"); }
common=(--CDSAM3CLIP_WITH_CUDA=ON --CDSAM3CLIP_WITH_TENSORRT=ON "--CDCMAKE_CUDA_COMPILER=$nvcc"
        --CDSAM3CLIP_CUDA_ARCHITECTURES=90 "--CDTENSORRT_INCLUDE_DIR=$include")

mkdir -p "$root/build-trt-check"
echo "== compile every TensorRT source (builder, runtime, pipeline, addon binding)"
out="build-trt-check/trt${major}.${minor}-compile"
{ cmake_js configure --out "$out" "${common[@]}" --CDSAM3CLIP_TENSORRT_COMPILE_ONLY=ON &&
  cmake --build "$root/$out" --parallel 2 --target sam3clip_tensorrt_check sam3clip_tensorrt_binding_check; } >"$root/$out.log" 2>&1 \
  || { tail -50 "$root/$out.log"; echo "check-tensorrt: compile FAILED against TensorRT ${major}.${minor}" >&2; exit 1; }
grep -E "warning" "$root/$out.log" | grep -v "^nvcc warning" | sort -u | head -20 || true
echo "compiled: $(grep -cE 'Building CXX object|\.cpp\.o$' "$root/$out.log") C++ sources against TensorRT ${major}.${minor} (log: $out.log)"

[ -n "$libdir" ] || exit 0

echo "== link against the libraries in $libdir"
out="build-trt-check/trt${major}.${minor}-link"
cmake_js build --out "$out" "${common[@]}" "--CDTENSORRT_LIB_DIR=$libdir" >"$root/$out.log" 2>&1 \
  || { tail -50 "$root/$out.log"; echo "check-tensorrt: link FAILED" >&2; exit 1; }
grep -E "sam3clip: TensorRT" "$root/$out.log" | sed 's/^-- //'
addon="$root/$out/Release/sam3clip.node"
echo "addon: $addon"
ldd "$addon" | grep -E "nvinfer|nvonnxparser|cuda" || true
builder="$root/$out/Release/sam3clip_engine_builder"
if [ -x "$builder" ]; then
  echo "engine builder linked: $builder"; ldd "$builder" | grep -E "nvinfer|nvonnxparser"
else
  echo "engine builder not linked: $libdir lacks libnvinfer.so and/or libnvonnxparser.so (the addon alone needs only the runtime)"
fi
node -e "const a=require(process.argv[1]); console.log('loaded: capabilities() =', JSON.stringify(a.capabilities())); if(!a.TensorRtPipeline) process.exit(1)" "$addon"
