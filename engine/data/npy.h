#pragma once
// NumPy .npy files: a reader for numeric arrays and an atomic float32 writer.
//
// Format: "\x93NUMPY", version (1.0 / 2.0 / 3.0), header length (uint16 for 1.0, uint32 after),
// a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
// spaces and a newline, then the values in C order.

#include <cstdint>
#include <string>
#include <vector>

namespace gsn {

// A numeric array read from a .npy file, converted to float.
struct NpyArray {
    std::vector<int64_t> shape; // e.g. [200, 25, 25]; empty for a 0-d scalar
    std::string dtype;          // the file's descr: "<f8", "<f4" or "|u1"
    std::vector<float> values;  // shape product values, C (row-major) order
};

// Reads a .npy file holding little-endian float64, float32 or uint8 values in C order.
// The shape is checked (overflow, and against the file size) before anything is allocated.
// Throws gsn::Error naming the file and field for: a wrong magic or version, a malformed header,
// another dtype (e.g. '<i8', '>f8', objects), fortran_order True, a truncated or over-long file,
// and (unless allowNonFinite) NaN or infinite float values.
NpyArray readNpy(const std::string& path, bool allowNonFinite = false);

// Writes a float32 C-order array as a .npy (version 1.0) file, atomically: the data go to
// "<path>.tmp", are flushed and synced, then renamed over path. shape = the array's dimensions,
// their product = the number of floats at data. Throws gsn::Error when the file cannot be written.
void writeNpy(const std::string& path, const float* data, std::vector<int64_t> shape);

} // namespace gsn
