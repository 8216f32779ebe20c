#include "filekind.h"

#include <cstdint>
#include <cstring>
#include <fstream>

namespace gsn {

namespace {

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// Printable ASCII, tabs and line breaks, and bytes of (possibly cut-off) UTF-8 sequences; no NUL.
bool looksLikeText(std::string_view head)
{
    for (unsigned char c : head) {
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f'))
            return false;
        if (c == 0x7f)
            return false;
    }
    return true;
}

} // namespace

FileKind sniffFileKind(std::string_view head)
{
    if (head.size() > kFileKindHead)
        head = head.substr(0, kFileKindHead);
    if (head.empty())
        return FileKind::Empty;
    if (startsWith(head, "\x89PNG\r\n\x1a\n"))
        return FileKind::Png;
    if (startsWith(head, "\xff\xd8\xff"))
        return FileKind::Jpeg;
    if (startsWith(head, "GIF87a") || startsWith(head, "GIF89a"))
        return FileKind::Gif;
    if (startsWith(head, "\x93NUMPY"))
        return FileKind::Npy;
    if (startsWith(head, "MATLAB 5.0 MAT-file") || startsWith(head, "MATLAB 7.3 MAT-file"))
        return FileKind::Mat;
    if (startsWith(head, "\x1f\x8b"))
        return FileKind::Gzip;
    if (startsWith(head, "PK\x03\x04"))
        return FileKind::Zip;
    if (startsWith(head, "%PDF-"))
        return FileKind::Pdf;
    if (head.size() >= 9 && head[8] == '{') {
        std::uint64_t length = 0;
        for (int i = 7; i >= 0; --i)
            length = (length << 8) | static_cast<unsigned char>(head[std::size_t(i)]);
        if (length >= 2 && length <= 100'000'000)
            return FileKind::Safetensors;
    }
    // IDX: two zero bytes, a type code (0x08 ubyte ... 0x0E double) and 1-4 dimensions.
    if (head.size() >= 4 && head[0] == 0 && head[1] == 0) {
        const auto type = static_cast<unsigned char>(head[2]);
        const auto dims = static_cast<unsigned char>(head[3]);
        if ((type == 0x08 || type == 0x09 || (type >= 0x0B && type <= 0x0E)) && dims >= 1 && dims <= 4)
            return FileKind::Idx;
    }
    if (startsWith(head, "BM") && head.size() >= 14)
        return FileKind::Bmp;
    if (looksLikeText(head))
        return FileKind::Text;
    return FileKind::Unknown;
}

FileKind sniffFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return FileKind::Unknown;
    char buffer[kFileKindHead];
    in.read(buffer, sizeof buffer);
    return sniffFileKind(std::string_view(buffer, static_cast<std::size_t>(in.gcount())));
}

std::string fileKindPhrase(FileKind kind)
{
    switch (kind) {
    case FileKind::Unknown:
    case FileKind::Safetensors: return {};
    case FileKind::Empty: return "an empty file";
    case FileKind::Png: return "a PNG image";
    case FileKind::Jpeg: return "a JPEG image";
    case FileKind::Gif: return "a GIF image";
    case FileKind::Bmp: return "a BMP image";
    case FileKind::Idx: return "an IDX dataset file (MNIST format)";
    case FileKind::Npy: return "a NumPy .npy array";
    case FileKind::Mat: return "a MATLAB .mat file";
    case FileKind::Gzip: return "a gzip-compressed file";
    case FileKind::Zip: return "a zip archive";
    case FileKind::Pdf: return "a PDF document";
    case FileKind::Text: return "a text file";
    }
    return {};
}

} // namespace gsn
