// Reads the reference case files of ../shared (morphology/opencv-cases.json,
// postprocess/pytorch-cases.json) for the native tests: a small JSON reader (objects, arrays,
// strings, numbers) and base64, enough for those files.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sam3clip::testing {

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  double number = 0;
  bool boolean = false;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;

  const Json& operator[](const std::string& key) const;
  int integer() const { return static_cast<int>(number); }
};

// Parses a file; returns false (and says why in `error`) when it is absent or malformed.
bool readJsonFile(const std::string& path, Json& out, std::string& error);

std::vector<uint8_t> base64Decode(const std::string& text);

// The ../shared folder as seen from the repository root (where the test runner starts).
std::string sharedPath(const std::string& relative);

}  // namespace sam3clip::testing
