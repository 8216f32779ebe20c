#pragma once
// Datasets as value types, and the loaders that make them from real files.

#include "tensor.h"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace gsn {

// An image dataset. Immutable once loaded; cheap to pass as std::shared_ptr<const Dataset>.
struct Dataset {
    std::string name;         // e.g. "mnist-train", "mnist-test", "fashion-train", "faces", or a file name
    std::string source;       // the file(s) it was read from
    int width = 0;            // image width in pixels
    int height = 0;           // image height in pixels
    Matrix pixels;            // shape = [N, width*height], row-major images, values in [0, 1]
    std::vector<int> labels;  // empty, or N class labels in [0, labelCount)
    int labelCount = 0;       // number of distinct classes (0 when unlabelled)
    std::string hash;         // content hash: 16 hex digits (see contentHash)

    int count() const { return static_cast<int>(pixels.rows()); }
    int dimension() const { return width * height; }
    // Rows [begin, end) as a new dataset (name gets the suffix, hash recomputed).
    Dataset slice(int begin, int end, const std::string& suffix) const;
};

// Content hash of a dataset's size fields and pixels, as 16 hex digits. Identifies data, is not
// cryptographic. Definition: the 64-bit words count, width, height, then the pixels' float32 bytes
// read as little-endian 64-bit words (the last one zero-padded); word k goes to lane k % 4, each
// lane starting at the FNV-1a offset basis and doing h = (h ^ word) * FNV prime; the lanes are
// then folded the same way into one value and finished with the splitmix64 mixer. Word-wise lanes
// make it about 30x faster than byte-wise FNV-1a (MNIST train: ~20 ms instead of ~0.5 s).
std::string contentHash(const Dataset& data);

// Asks the kernel to back a large, not yet touched buffer with transparent huge pages (Linux
// madvise MADV_HUGEPAGE; a no-op elsewhere or for buffers under 4 MB). First-touch page faults
// dominate loading otherwise: on a VM, filling 188 MB of 4 KB pages cost 0.7 s, with 2 MB pages 0.13 s.
void adviseHugePages(const void* data, size_t bytes);

// Smallest and largest pixel value (0, 0 for an empty dataset).
std::pair<float, float> pixelRange(const Dataset& data);

// How raw pixel values map to [0, 1].
enum class PixelScale {
    Bytes,    // 0..255 integers: divide by 255 (255 -> exactly 1)
    Detect,   // floats: kept if all lie in [0, 1], divided by 255 if all lie in [0, 255] (8-bit
              // images saved as doubles, as olivettifaces.mat does), otherwise an error
};

// Checks raw values (NaN, infinities, range) and returns the divisor that maps them to [0, 1]
// (1 or 255; dividing keeps 255 -> exactly 1). `where` is the file, `field` the variable; throws gsn::Error naming both.
// shape of values = [count], any order.
float pixelScaleDivisor(const std::string& where, const std::string& field, const float* values, size_t count,
                       PixelScale scale);

} // namespace gsn
