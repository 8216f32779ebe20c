#pragma once
// The safetensors container (https://github.com/huggingface/safetensors) for float32 matrices, shared by
// model checkpoints (checkpoint.h) and classifiers (classifier.h):
//
//   [8 bytes]  N, the header length, unsigned 64-bit little-endian
//   [N bytes]  JSON header: { "<tensor>": {"dtype": "F32", "shape": [rows, cols], "data_offsets": [begin, end)},
//                             ..., "__metadata__": { "<key>": "<string>", ... } }
//   [rest]     the data section: raw little-endian float32 tensors, row-major, offsets relative to its start
//
// Writing is atomic (temp file, fsync, rename). Reading checks every header field against the file's
// size before anything is allocated; every failure is a gsn::Error "<path>: <field>: expected ...".

#include "error.h"
#include "tensor.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace gsn {

// Largest JSON header accepted (the safetensors reference implementation uses the same cap).
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100ull * 1024 * 1024;
// Most dimensions accepted in a tensor's shape (the project writes 2; a shape of thousands of ones is corrupt).
inline constexpr std::size_t kMaxSafetensorsRank = 8;

// A tensor to write: its name and the matrix holding its values.
struct NamedTensor {
    std::string name;
    const Matrix* value;
};

// Writes `tensors` (in this order; the data section 8-byte aligned) and `metadata` (an object whose
// values are strings) to `path` atomically. Refuses (gsn::Error, nothing written) a tensor with a value
// that is not finite.
void writeSafetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const nlohmann::json& metadata);

// Writes `bytes` to `path` through a temp file in the same folder (tempFileFor(path, getpid())): write with
// every result checked, fsync, close, rename. A crash or a full disk leaves the previous file untouched; a
// failed write says which file, why (a full disk or file-size limit in words) and that the previous version
// is intact. Temp files of `path` left by killed processes are removed first, so kills never pile them up.
// Test hook: GSN_TEST_SAVE_PAUSE_MS=N sleeps N ms halfway through writing the temp file (see the .cpp).
void writeFileAtomically(const std::string& path, const std::string& bytes);

// "<path>.tmp.<pid>": where writeFileAtomically stages `path` in process `pid`.
std::string tempFileFor(const std::string& path, long pid);

// A safetensors file being read. The constructor checks the header length and the JSON, and that
// __metadata__ is an object of strings; parseTensors() then checks the tensor table. The two steps are
// separate so a reader can check its metadata first (its errors say more about a foreign file).
class SafetensorsFile {
public:
    // `whatItIs` completes the message for a missing __metadata__, e.g. "a gsn-studio checkpoint".
    SafetensorsFile(const std::string& path, const std::string& whatItIs);

    const std::string& path() const { return m_path; }
    // __metadata__ as stored: every value a string.
    const nlohmann::json& metadata() const { return m_metadata; }
    // __metadata__ with each value that holds JSON decoded (other strings kept as they are).
    nlohmann::json decodedMetadata() const;
    // The string under `key`; gsn::Error "<path>: __metadata__.<key>: expected the key to be present".
    std::string metaString(const std::string& key) const;
    // The integer written as a string under `key`, in [min, max]; gsn::Error naming the key otherwise.
    template <typename T>
    T metaInteger(const std::string& key, T min, T max = std::numeric_limits<T>::max()) const;

    // Checks every tensor entry: dtype F32, a shape that fits in the file, data_offsets matching the
    // shape, tensors contiguous and not overlapping, covering the data section exactly.
    void parseTensors();
    std::vector<std::string> tensorNames() const;
    // Bytes in the data section (after parseTensors: exactly what the tensors cover).
    std::uint64_t dataBytes() const { return m_dataSize; }
    bool contains(const std::string& name) const;
    // The stored shape of tensor `name` (after parseTensors: it fits in the file); gsn::Error when absent.
    std::vector<std::uint64_t> shape(const std::string& name) const;
    // Reads tensor `name`, which must have shape [rows, cols] (`owner` says what expects that shape,
    // e.g. "the gsn2 model"), and checks its values are finite.
    void read(const std::string& name, Matrix& out, long long rows, long long cols, const std::string& owner);

private:
    struct Entry {
        std::string name;
        std::vector<std::uint64_t> shape;
        std::uint64_t begin = 0;
        std::uint64_t end = 0;
    };
    Entry parseEntry(const std::string& name, const nlohmann::json& entry) const;

    std::string m_path;
    std::ifstream m_in;
    nlohmann::json m_header;
    nlohmann::json m_metadata;
    std::uint64_t m_dataStart = 0;
    std::uint64_t m_dataSize = 0;
    std::vector<Entry> m_entries;
};

template <typename T>
T SafetensorsFile::metaInteger(const std::string& key, T min, T max) const
{
    const std::string text = metaString(key);
    T v{};
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max) {
        const std::string range = max == std::numeric_limits<T>::max()
                                      ? ">= " + std::to_string(min)
                                      : "in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
        throw Error(errorMessage(m_path, "__metadata__." + key,
                                 "expected an integer " + range + " as a string, got " + quoteValue(text)));
    }
    return v;
}

// "[rows, cols]"
std::string shapeText(long long rows, long long cols);

} // namespace gsn
