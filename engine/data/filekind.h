#pragma once
// What a file is, told from its first bytes, for messages when a file is opened as the wrong thing
// ("this is a PNG image, not a checkpoint"): the user sees what they opened before the low-level reason
// the parser gave. Only signatures that cannot be mistaken are recognised.

#include <string>
#include <string_view>

namespace gsn {

enum class FileKind {
    Unknown,
    Empty,
    Safetensors, // 8-byte little-endian header length, then '{'
    Png,
    Jpeg,
    Gif,
    Bmp,
    Idx,         // MNIST-style IDX (00 00 type dims)
    Npy,
    Mat,         // MATLAB 5 / 7.3 .mat
    Gzip,
    Zip,
    Pdf,
    Text,        // printable UTF-8 / ASCII only (in the bytes looked at)
};

// The kind of a file whose first bytes are `head` (at most kFileKindHead bytes are looked at).
constexpr std::size_t kFileKindHead = 512;
FileKind sniffFileKind(std::string_view head);
// Reads the first kFileKindHead bytes of `path` (Unknown when it cannot be read).
FileKind sniffFile(const std::string& path);
// "a PNG image", "a text file", "an IDX dataset file", ... (empty for Unknown and Safetensors).
std::string fileKindPhrase(FileKind kind);

} // namespace gsn
