// sam3clip_engine_builder: builds one TensorRT engine from one ONNX graph, or (--probe) reports
// the TensorRT version and the GPU. Driven by `npm run build-engines`, which decides the
// shapes, writes the metadata and draws the progress bar; this tool prints one JSON object per
// line on stdout: {"event":"info"|"progress"|"done"|"error", ...}. Exit 0 on success, 1 on a
// build failure, 2 on a usage error.
#include <cuda_runtime_api.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "engine_builder.h"
#include "json_line.h"
#include "trt_common.h"

using namespace sam3clip::trt;

namespace {

const char* kUsage =
    "usage: sam3clip_engine_builder --probe\n"
    "       sam3clip_engine_builder --onnx FILE --out FILE [--timing-cache FILE] [--workspace-mib N]\n"
    "                               [--precision fp16|fp32] [--graph-precision fp16|fp32]\n"
    "                               [--version-compatible] [--shape NAME:MIN,OPT,MAX]...\n"
    "  a shape is dims joined by 'x', e.g. --shape input_ids:1x77,8x77,16x77\n";

[[noreturn]] void usage(const std::string& problem) {
  emitLine("{\"event\":\"error\",\"code\":\"E_INVALID_OPTION\",\"message\":" + jsonString(problem) + "}");
  std::fputs(kUsage, stderr);
  std::exit(2);
}

nvinfer1::Dims parseDims(const std::string& text) {
  nvinfer1::Dims dims{};
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, 'x')) {
    if (dims.nbDims == nvinfer1::Dims::MAX_DIMS) usage("too many dimensions in " + text);
    char* end = nullptr;
    long v = std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || v < 1 || v > (1L << 30)) usage("bad dimension '" + part + "' in " + text);
    dims.d[dims.nbDims++] = v;
  }
  if (dims.nbDims == 0) usage("empty shape");
  return dims;
}

ShapeProfile parseShape(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0) usage("--shape needs NAME:MIN,OPT,MAX, got " + spec);
  ShapeProfile p;
  p.input = spec.substr(0, colon);
  std::stringstream in(spec.substr(colon + 1));
  std::string a, b, c;
  if (!std::getline(in, a, ',') || !std::getline(in, b, ',') || !std::getline(in, c, ',')) usage("--shape needs three shapes: " + spec);
  p.min = parseDims(a);
  p.opt = parseDims(b);
  p.max = parseDims(c);
  if (p.min.nbDims != p.opt.nbDims || p.opt.nbDims != p.max.nbDims) usage("--shape ranks differ: " + spec);
  return p;
}

Precision parsePrecision(const std::string& v) {
  if (v == "fp16") return Precision::Fp16;
  if (v == "fp32") return Precision::Fp32;
  usage("precision must be fp16 or fp32, got " + v);
}

// TensorRT version and the device the engines will be built for (device 0, or CUDA_VISIBLE_DEVICES).
void probe() {
  std::string device = "null";
  int count = 0;
  if (cudaGetDeviceCount(&count) == cudaSuccess && count > 0) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
      device = "{\"name\":" + jsonString(prop.name) + ",\"computeCapability\":\"" + std::to_string(prop.major) + "." +
               std::to_string(prop.minor) + "\",\"totalMemoryBytes\":" + std::to_string(prop.totalGlobalMem) + "}";
    }
  }
  emitLine("{\"event\":\"info\",\"tensorrt\":" + jsonString(runtimeVersion()) + ",\"headerVersion\":" +
           jsonString(headerVersion()) + ",\"device\":" + device + "}");
}

}  // namespace

int main(int argc, char** argv) {
  BuildRequest request;
  bool probeOnly = false;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--probe") probeOnly = true;
    else if (arg == "--onnx") request.onnxPath = value();
    else if (arg == "--out") request.enginePath = value();
    else if (arg == "--timing-cache") request.timingCachePath = value();
    else if (arg == "--workspace-mib") {
      const std::string v = value();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || n < 16 || n > (1L << 20)) usage("--workspace-mib must be 16..1048576, got " + v);
      request.workspaceMiB = static_cast<size_t>(n);
    } else if (arg == "--precision") request.precision = parsePrecision(value());
    else if (arg == "--graph-precision") request.graphPrecision = parsePrecision(value());
    else if (arg == "--version-compatible") request.versionCompatible = true;
    else if (arg == "--shape") request.profiles.push_back(parseShape(value()));
    else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else usage("unknown argument " + arg);
  }
  try {
    probe();
    if (probeOnly) return 0;
    if (request.onnxPath.empty() || request.enginePath.empty()) usage("--onnx and --out are required");
    BuildReport report = buildEngine(request, [](const std::string& phase, int step, int steps) {
      emitLine("{\"event\":\"progress\",\"phase\":" + jsonString(phase) + ",\"step\":" + std::to_string(step) +
               ",\"steps\":" + std::to_string(steps) + "}");
    });
    emitLine("{\"event\":\"done\",\"engineBytes\":" + std::to_string(report.engineBytes) +
             ",\"stronglyTyped\":" + (report.stronglyTyped ? "true" : "false") + "}");
    return 0;
  } catch (const TrtFailure& e) {
    emitLine("{\"event\":\"error\",\"code\":" + jsonString(e.code) + ",\"message\":" + jsonString(e.what()) + "}");
  } catch (const std::exception& e) {
    emitLine("{\"event\":\"error\",\"code\":\"E_TENSORRT\",\"message\":" + jsonString(e.what()) + "}");
  }
  return 1;
}
