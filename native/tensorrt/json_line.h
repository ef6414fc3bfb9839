// Minimal JSON writing for the builder tool's one-object-per-line protocol (read by
// lib/engines/build-engines.ts). Only strings need escaping; numbers and booleans print as is.
#pragma once
#include <cstdio>
#include <string>

namespace sam3clip::trt {

inline std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// Prints one line and flushes, so the parent process sees progress as it happens.
inline void emitLine(const std::string& json) {
  std::fputs(json.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace sam3clip::trt
