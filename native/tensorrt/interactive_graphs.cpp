#include "interactive_graphs.h"

#include <algorithm>
#include <cstring>

namespace sam3clip::trt {

using nvinfer1::DataType;

namespace {

size_t elementBytes(DataType type) { return type == DataType::kINT64 ? sizeof(int64_t) : sizeof(float); }

const char* typeName(DataType type) { return type == DataType::kINT64 ? "int64" : "float32"; }

std::string dimsText(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); i++) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

// Copies share one pinned buffer each way; each tensor starts on its own aligned offset.
size_t aligned(size_t bytes) { return (bytes + 255) / 256 * 256; }

// The feeds in the order of `specs`, checked against them: each host input exactly once, of its
// type and rank, its static sizes, and the same size on each dynamic axis across inputs (one
// prompt batch, one token count), with as many bytes as its dims say.
std::vector<const HostTensor*> checkedFeeds(const std::string& graph, const std::vector<TensorSpec>& specs,
                                            const std::vector<HostTensor>& feeds) {
  std::vector<const HostTensor*> ordered;
  std::map<size_t, int64_t> dynamic;  // axis → the size every input gives it
  for (const TensorSpec& spec : specs) {
    auto found = std::find_if(feeds.begin(), feeds.end(), [&](const HostTensor& t) { return t.name == spec.name; });
    if (found == feeds.end()) throw TrtFailure("E_INVALID_OPTION", graph + " needs the feed " + spec.name);
    const HostTensor& t = *found;
    const std::string what = graph + " feed " + spec.name;
    if (t.type != spec.type)
      throw TrtFailure("E_INVALID_OPTION", what + " must be " + typeName(spec.type) + ", got " + typeName(t.type));
    if (t.dims.size() != spec.dims.size())
      throw TrtFailure("E_INVALID_OPTION", what + " must have " + std::to_string(spec.dims.size()) + " dims, got " + dimsText(t.dims));
    uint64_t elements = 1;
    const uint64_t limit = t.bytes.size() / elementBytes(t.type);
    for (size_t i = 0; i < spec.dims.size(); i++) {
      const int64_t d = t.dims[i];
      const bool fixed = spec.dims[i] != -1;
      if (d < 1 || (fixed && d != spec.dims[i]))
        throw TrtFailure("E_INVALID_OPTION", what + " is " + dimsText(t.dims) + ", expected " + dimsText(spec.dims) + " (-1: any size)");
      if (!fixed) {
        auto axis = dynamic.emplace(i, d).first;
        if (axis->second != d)
          throw TrtFailure("E_INVALID_OPTION", what + " is " + dimsText(t.dims) + ": axis " + std::to_string(i) +
                                                   " differs from the other feeds' " + std::to_string(axis->second));
      }
      // Stops before the product can overflow: it only grows, and must end equal to `limit`.
      if (static_cast<uint64_t>(d) > limit || elements > limit / static_cast<uint64_t>(d)) {
        elements = limit + 1;
        break;
      }
      elements *= static_cast<uint64_t>(d);
    }
    if (elements != limit || t.bytes.size() % elementBytes(t.type) != 0)
      throw TrtFailure("E_INVALID_OPTION", what + ": its data does not hold the " + dimsText(t.dims) + " values its dims give");
    ordered.push_back(&t);
  }
  if (feeds.size() != specs.size()) {
    for (const HostTensor& t : feeds)
      if (std::none_of(specs.begin(), specs.end(), [&](const TensorSpec& s) { return s.name == t.name; }))
        throw TrtFailure("E_INVALID_OPTION", graph + " has no input " + t.name);
    throw TrtFailure("E_INVALID_OPTION", graph + " got a feed twice");
  }
  return ordered;
}

}  // namespace

void InteractiveGraphs::load(nvinfer1::IRuntime& runtime, Logger& logger, const InteractiveConfig& c, const std::string& rebuildHint) {
  const int64_t B = -1, n = -1, P = c.promptDim, m = c.maskSize, K = c.candidates;
  rebuildHint_ = rebuildHint;
  // The token axis is dynamic: the text path sends its N tokens, points and boxes their own count.
  decoderGraph_.hostInputs = {{"prompt_embeds", DataType::kFLOAT, {B, n, P}}};
  decoderGraph_.outputs = {{"masks", DataType::kFLOAT, {B, K, m, m}}, {"iou_scores", DataType::kFLOAT, {B, K}}};
  std::vector<TensorSpec> decoderInputs = c.imageInputs;
  decoderInputs.insert(decoderInputs.end(), decoderGraph_.hostInputs.begin(), decoderGraph_.hostInputs.end());
  maskDecoder_ = std::make_unique<Engine>(runtime, logger, c.maskDecoder, decoderInputs, decoderGraph_.outputs, rebuildHint);
  decoderGraph_.engine = maskDecoder_.get();

  if (c.promptEncoder.empty()) return;
  encoderGraph_.hostInputs = {{"input_points", DataType::kFLOAT, {B, n, 2}}, {"input_labels", DataType::kINT64, {B, n}}};
  encoderGraph_.outputs = {{"sparse_embeddings", DataType::kFLOAT, {B, n, P}}};
  promptEncoder_ = std::make_unique<Engine>(runtime, logger, c.promptEncoder, encoderGraph_.hostInputs, encoderGraph_.outputs, rebuildHint);
  encoderGraph_.engine = promptEncoder_.get();
}

void InteractiveGraphs::reset() {
  encoderGraph_.engine = decoderGraph_.engine = nullptr;
  promptEncoder_.reset();
  maskDecoder_.reset();
  device_.clear();
  hostIn_.release();
  hostOut_.release();
}

int InteractiveGraphs::maxBatch() const {
  if (!promptEncoder_ || !maskDecoder_) return 0;
  return std::min(promptEncoder_->maxBatch(), maskDecoder_->maxBatch());
}

const InteractiveGraphs::Graph& InteractiveGraphs::graph(const std::string& name) const {
  const Graph* g = name == "prompt_encoder" ? &encoderGraph_ : name == "mask_decoder" ? &decoderGraph_ : nullptr;
  if (!g) throw TrtFailure("E_INVALID_OPTION", "graph must be prompt_encoder or mask_decoder, got " + name);
  if (maxBatch() == 0)
    throw TrtFailure("E_BACKEND_UNAVAILABLE", "these engines have no prompt_encoder, which points and boxes need. " + rebuildHint_);
  return *g;
}

InteractiveOutput InteractiveGraphs::run(const std::string& name, const ImageSlots& slots, const ImageSlots::Slot& slot,
                                         const std::vector<HostTensor>& feeds, cudaStream_t stream) {
  const Graph& g = graph(name);
  Engine& engine = *g.engine;
  const std::vector<const HostTensor*> inputs = checkedFeeds(name, g.hostInputs, feeds);

  // Shapes first: a batch or token count outside the profile fails before anything is copied.
  size_t inBytes = 0;
  for (const HostTensor* t : inputs) {
    engine.setInputShape(t->name, t->dims);
    inBytes += aligned(t->bytes.size());
  }
  std::vector<std::vector<int64_t>> outDims;
  size_t outBytes = 0;
  for (const TensorSpec& spec : g.outputs) {
    std::vector<int64_t> dims = engine.shape(spec.name);
    size_t bytes = sizeof(float);
    for (int64_t d : dims) {
      if (d < 0) throw TrtFailure("E_INVALID_OPTION", name + ": the feeds leave the shape of " + spec.name + " open");
      bytes *= static_cast<size_t>(d);
    }
    outBytes += aligned(bytes);
    outDims.push_back(std::move(dims));
  }
  hostIn_.reserve(inBytes);
  hostOut_.reserve(outBytes);

  size_t offset = 0;
  for (const HostTensor* t : inputs) {
    DeviceBuffer& buffer = device_[t->name];
    buffer.reserve(std::max<size_t>(t->bytes.size(), 1));
    uint8_t* staged = hostIn_.get<uint8_t>() + offset;
    std::memcpy(staged, t->bytes.data(), t->bytes.size());
    throwIfCudaFailed(cudaMemcpyAsync(buffer.get(), staged, t->bytes.size(), cudaMemcpyHostToDevice, stream), "upload feeds");
    engine.setAddress(t->name, buffer.get());
    offset += aligned(t->bytes.size());
  }
  slots.bind(engine, slot);
  std::vector<size_t> sizes;
  for (size_t i = 0; i < g.outputs.size(); i++) {
    size_t bytes = sizeof(float);
    for (int64_t d : outDims[i]) bytes *= static_cast<size_t>(d);
    DeviceBuffer& buffer = device_[g.outputs[i].name];
    buffer.reserve(std::max<size_t>(bytes, 1));
    engine.setAddress(g.outputs[i].name, buffer.get());
    sizes.push_back(bytes);
  }

  StageEvents ev(2);
  ev.record(0, stream);
  engine.enqueue(stream);
  ev.record(1, stream);
  offset = 0;
  for (size_t i = 0; i < g.outputs.size(); i++) {
    throwIfCudaFailed(cudaMemcpyAsync(hostOut_.get<uint8_t>() + offset, device_[g.outputs[i].name].get(), sizes[i],
                                      cudaMemcpyDeviceToHost, stream),
                      "download outputs");
    offset += aligned(sizes[i]);
  }
  throwIfCudaFailed(cudaStreamSynchronize(stream), name.c_str());

  InteractiveOutput out;
  offset = 0;
  for (size_t i = 0; i < g.outputs.size(); i++) {
    OutputTensor& o = out.outputs[g.outputs[i].name];
    o.dims = outDims[i];
    const float* data = reinterpret_cast<const float*>(hostOut_.get<uint8_t>() + offset);
    o.data.assign(data, data + sizes[i] / sizeof(float));
    offset += aligned(sizes[i]);
  }
  out.ms = ev.elapsed(0, 1);
  return out;
}

}  // namespace sam3clip::trt
