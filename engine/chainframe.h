#pragma once
// One picture of C chains at one step: what a chain worker hands to views, recorders and sheet exports.
// Plain C++ (no Qt). Immutable once made: pass it across threads as FramePtr (shared_ptr<const Frame>).
//
// Field names follow the UI's first draft (ui/frame.h: cells, width, height, step, chainCount, valid) so
// that header can become `#include "chainframe.h"` and there is ONE gsn::Frame in the program.

#include "tensor.h"

#include <cstdint>
#include <memory>

namespace gsn {

struct Frame {
    Matrix cells;                      // shape = [C, width*height], values in [0, 1]: the displayed means
    int width = 0;                     // image width in pixels
    int height = 0;                    // image height in pixels
    std::int64_t step = 0;             // chain step this frame shows (0 = the start images)
    std::uint64_t modelGeneration = 0; // which parameter snapshot made it (0 = the first, +1 per switch)
    std::uint64_t seed = 0;            // the chains' seed
    Matrix samples;                    // shape = [C, width*height] or empty: the fed-back state (on request)
    Matrix top;                        // shape = [C, n_top] or empty: the top hidden layer (on request)

    int chainCount() const { return static_cast<int>(cells.rows()); }
    // True when the shapes agree (cells has width*height columns, sizes positive).
    bool valid() const { return width > 0 && height > 0 && cells.cols() == std::int64_t(width) * height; }
};

using FramePtr = std::shared_ptr<const Frame>;

} // namespace gsn
