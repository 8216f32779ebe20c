#pragma once
// Datasets as value types, and the loaders that make them from real files.

#include "tensor.h"

#include <string>
#include <vector>

namespace gsn {

// An image dataset. Immutable once loaded; cheap to pass as std::shared_ptr<const Dataset>.
struct Dataset {
    std::string name;         // e.g. "mnist-train", "mnist-test", "fashion-train", "lfw-faces"
    std::string source;       // the file(s) it was read from
    int width = 0;            // image width in pixels
    int height = 0;           // image height in pixels
    Matrix pixels;            // shape = [N, width*height], row-major images, values in [0, 1]
    std::vector<int> labels;  // empty, or N class labels in [0, labelCount)
    int labelCount = 0;       // number of distinct classes (0 when unlabelled)
    std::string hash;         // content hash: 16 hex digits (FNV-1a 64 over size fields and pixel bytes)

    int count() const { return static_cast<int>(pixels.rows()); }
    int dimension() const { return width * height; }
    // Rows [begin, end) as a new dataset (name gets the suffix, hash recomputed).
    Dataset slice(int begin, int end, const std::string& suffix) const;
};

// FNV-1a 64 content hash of a dataset's size fields and pixels, as 16 hex digits.
std::string contentHash(const Dataset& data);

} // namespace gsn
