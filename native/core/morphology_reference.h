// Per-pixel window scan written straight from the definition; the tests compare the fast path to it.
#pragma once

#include <cstdint>

#include "morphology.h"

namespace sam3clip {

void morphologyReference(const uint8_t* src, uint8_t* dst, int width, int height, MorphOp op, int k);

}  // namespace sam3clip
