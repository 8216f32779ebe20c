#pragma once
// One picture of C chains at one step: what producers (chain workers) hand to the chain view.
// Plain C++ (no Qt) so engine-side producers can build it; passed as std::shared_ptr<const Frame>.

#include "tensor.h"

#include <cstdint>
#include <memory>

namespace gsn {

struct Frame {
    Matrix cells;        // shape = [C, width*height], row-major images, values in [0, 1]
    int width = 0;       // image width in pixels
    int height = 0;      // image height in pixels
    std::int64_t step = 0; // chain step this frame shows (0 = initial state)

    int chainCount() const { return static_cast<int>(cells.rows()); }
    // True when the shapes agree (cells has width*height columns, sizes positive).
    bool valid() const { return width > 0 && height > 0 && cells.cols() == std::int64_t(width) * height; }
};

using FramePtr = std::shared_ptr<const Frame>;

} // namespace gsn
