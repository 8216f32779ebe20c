#pragma once
// One picture of C chains at one step: what a chain worker hands to views, recorders and sheet exports.
// Plain C++ (no Qt). Immutable once made: pass it across threads as FramePtr (shared_ptr<const Frame>).

#include "tensor.h"

#include <cstdint>
#include <memory>

namespace gsn {

// How the columns of a frame's rows are arranged: a width x height image (row-major pixels, values in
// [0, 1]) or a point in R^d (d coordinates, any finite value).
struct FrameLayout {
    enum class Kind { Image, Points };
    Kind kind = Kind::Image;
    int width = 0;      // Image: width in pixels (0 for points)
    int height = 0;     // Image: height in pixels (0 for points)
    int dimension = 0;  // Points: d (0 for images)

    static FrameLayout image(int width, int height) { return {Kind::Image, width, height, 0}; }
    static FrameLayout points(int dimension) { return {Kind::Points, 0, 0, dimension}; }

    bool isImage() const { return kind == Kind::Image; }
    bool isPoints() const { return kind == Kind::Points; }
    // Values per chain: width * height for an image, d for points.
    std::int64_t values() const { return isImage() ? std::int64_t(width) * height : dimension; }
    // True when the sizes are positive (width and height for an image, d for points).
    bool valid() const { return isImage() ? width > 0 && height > 0 : dimension > 0; }
    bool operator==(const FrameLayout&) const = default;
};

struct Frame {
    Matrix cells;                      // shape = [C, layout.values()]: the displayed means (images: values in [0, 1])
    FrameLayout layout;                // image width x height, or d-dimensional points
    std::int64_t step = 0;             // chain step this frame shows (0 = the start state)
    std::uint64_t modelGeneration = 0; // which parameter snapshot made it (0 = the first, +1 per switch)
    std::uint64_t seed = 0;            // the chains' seed
    Matrix samples;                    // shape = [C, layout.values()] or empty: the fed-back state (on request)
    Matrix top;                        // shape = [C, n_top] or empty: the top hidden layer (on request)

    int chainCount() const { return static_cast<int>(cells.rows()); }
    // True when the layout is valid and cells has layout.values() columns.
    bool valid() const { return layout.valid() && cells.cols() == layout.values(); }
};

using FramePtr = std::shared_ptr<const Frame>;

} // namespace gsn
