#pragma once
// Reader for IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed.
//
// Layout: magic 0x00 0x00 <type> <rank>, then <rank> big-endian uint32 sizes, then the values
// (row-major, big-endian). Only unsigned bytes (type 0x08) are accepted: every image and label
// file of MNIST and Fashion-MNIST uses them.

#include <cstdint>
#include <string>
#include <vector>

namespace gsn {

// An IDX array of unsigned bytes.
struct IdxArray {
    std::vector<int64_t> shape;  // e.g. [60000, 28, 28] for images, [60000] for labels
    std::vector<uint8_t> values; // shape product bytes, row-major
};

// Reads an IDX file. Gzip is detected from the content (1f 8b), not from the name.
// The sizes in the header are checked (overflow, and against the file size; for gzip against the
// trailer's uncompressed size) before anything is allocated. Throws gsn::Error naming the file
// and the field on a wrong magic, a truncated or over-long file, or a corrupt gzip stream.
IdxArray readIdx(const std::string& path);

} // namespace gsn
