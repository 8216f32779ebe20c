#include "idx.h"

#include "dataset.h"
#include "error.h"
#include "sizecheck.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <utility>

namespace gsn {

namespace {

// The rule for a gzip'd IDX file (docs/robustness.md): the header's claim (4 + 4 x rank + the product of
// the sizes, in bytes) must
//   1. be at most kMaxPayload (a hard cap, raw files too),
//   2. equal the gzip trailer's ISIZE (the uncompressed size mod 2^32),
//   3. be at most kMaxDeflateRatio x the compressed file size: deflate cannot expand data by more than
//      about 1032:1, so a claim beyond that is corrupt whatever the trailer says;
// and decompression stops at the claim: the values buffer grows with the bytes actually decompressed
// (kGzipChunk at a time), so a stream that ends early or is corrupt never costs the full claim.
constexpr int64_t kMaxDeflateRatio = 1032;
// No IDX array we can use is larger than this (MNIST train is 47 MB; as float32 pixels a dataset takes 4x
// its IDX size in memory); the cap keeps a corrupt header from asking for terabytes even when the file is huge.
constexpr int64_t kMaxPayload = int64_t(1) << 32;
constexpr int64_t kGzipChunk = int64_t(64) << 20;

const char* typeName(int type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
    }
}

std::string hex2(int v)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", v & 0xFF);
    return buf;
}

// Reads bytes from a raw file or a gzip stream through one interface.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Reads up to n bytes; returns how many were read (fewer only at the end or on error).
    virtual int64_t read(uint8_t* out, int64_t n) = 0;
    // Why the last read came up short, for error messages ("" when it simply reached the end).
    virtual std::string problem() const { return {}; }
};

class RawSource : public ByteSource {
public:
    explicit RawSource(FILE* f) : m_file(f) {}
    ~RawSource() override { std::fclose(m_file); }
    int64_t read(uint8_t* out, int64_t n) override { return int64_t(std::fread(out, 1, size_t(n), m_file)); }

private:
    FILE* m_file;
};

class GzipSource : public ByteSource {
public:
    GzipSource(gzFile f, std::string path) : m_file(f), m_path(std::move(path)) { gzbuffer(m_file, 1 << 18); }
    ~GzipSource() override { gzclose(m_file); }
    int64_t read(uint8_t* out, int64_t n) override
    {
        int64_t total = 0;
        while (total < n) {
            const unsigned chunk = unsigned(std::min<int64_t>(n - total, 1 << 30));
            const int got = gzread(m_file, out + total, chunk);
            if (got <= 0)
                break;
            total += got;
        }
        return total;
    }
    std::string problem() const override
    {
        int code = Z_OK;
        const char* msg = gzerror(m_file, &code);
        if (code == Z_OK || !msg)
            return {};
        // zlib prefixes its message with the path, which our messages already start with.
        std::string text = msg;
        if (text.rfind(m_path + ": ", 0) == 0)
            text.erase(0, m_path.size() + 2);
        return text;
    }

private:
    gzFile m_file;
    std::string m_path;
};

// Reads exactly n bytes or fails: a corrupt gzip stream is reported as such, anything else as
// a truncated file.
void readExactly(ByteSource& src, uint8_t* out, int64_t n, const std::string& path, const std::string& field,
                 const std::string& expected)
{
    const int64_t got = src.read(out, n);
    if (got == n)
        return;
    const std::string why = src.problem();
    if (!why.empty() && why != "unexpected end of file")
        fail(path, "gzip stream", "expected valid compressed data, got: " + why);
    fail(path, field, expected + ", got " + std::to_string(got) + " bytes (truncated)");
}

uint32_t bigEndian32(const uint8_t* p)
{
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

uint32_t littleEndian32(const uint8_t* p)
{
    return (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | uint32_t(p[0]);
}

} // namespace

IdxArray readIdx(const std::string& path)
{
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status))
        fail(path, "file", "expected an existing IDX file, but it does not exist");
    if (!std::filesystem::is_regular_file(status))
        fail(path, "file", "expected a regular IDX file, got a directory or special file");
    const int64_t fileSize = int64_t(std::filesystem::file_size(path, ec));
    if (ec)
        fail(path, "file", "cannot read its size: " + ec.message());

    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        fail(path, "file", "cannot open for reading");
    uint8_t lead[2] = {0, 0};
    const size_t leadBytes = std::fread(lead, 1, 2, f);
    const bool gzip = leadBytes == 2 && lead[0] == 0x1F && lead[1] == 0x8B;

    // The gzip trailer's last 4 bytes hold the uncompressed size mod 2^32: the one size we can
    // check the header against before decompressing anything.
    uint32_t gzipSize = 0;
    std::unique_ptr<ByteSource> src;
    if (gzip) {
        if (fileSize < 18) {
            std::fclose(f);
            fail(path, "gzip stream", "expected at least 18 bytes, got " + std::to_string(fileSize) + " (truncated)");
        }
        uint8_t trailer[4];
        if (std::fseek(f, -4, SEEK_END) != 0 || std::fread(trailer, 1, 4, f) != 4) {
            std::fclose(f);
            fail(path, "gzip trailer", "cannot read the uncompressed size");
        }
        std::fclose(f);
        gzipSize = littleEndian32(trailer);
        gzFile gz = gzopen(path.c_str(), "rb");
        if (!gz)
            fail(path, "file", "cannot open for reading");
        src = std::make_unique<GzipSource>(gz, path);
    } else {
        std::rewind(f);
        src = std::make_unique<RawSource>(f);
    }

    uint8_t magic[4];
    readExactly(*src, magic, 4, path, "magic", "expected 4 bytes (00 00 <type> <rank>)");
    if (magic[0] != 0 || magic[1] != 0)
        fail(path, "magic", "expected an IDX file starting with 0x00 0x00, got " + hex2(magic[0]) + " " +
                                hex2(magic[1]));
    if (magic[2] != 0x08)
        fail(path, "magic (type byte)", "expected 0x08 (unsigned byte), got " + hex2(magic[2]) + " (" +
                                            typeName(magic[2]) + ")");
    const int rank = magic[3];
    if (rank < 1 || rank > 4)
        fail(path, "magic (rank byte)", "expected 1 to 4 dimensions, got " + std::to_string(rank));

    uint8_t dimBytes[16];
    readExactly(*src, dimBytes, 4 * rank, path, "dimensions",
                "expected " + std::to_string(rank) + " sizes of 4 bytes");

    IdxArray out;
    int64_t payload = 1;
    std::string shapeText;
    for (int d = 0; d < rank; ++d) {
        const int64_t n = bigEndian32(dimBytes + 4 * d);
        if (n == 0)
            fail(path, "dimension " + std::to_string(d), "expected a size of at least 1, got 0");
        out.shape.push_back(n);
        shapeText += (d ? " x " : "") + std::to_string(n);
    }
    payload = int64_t(checkedProduct(out.shape, uint64_t(kMaxPayload), path, "dimensions", "bytes of values"));
    const int64_t headerBytes = 4 + 4 * int64_t(rank);
    const int64_t total = headerBytes + payload;

    if (gzip) {
        if (uint32_t(uint64_t(total) & 0xFFFFFFFFu) != gzipSize)
            fail(path, "dimensions", "header sizes " + shapeText + " imply " + std::to_string(total) +
                                         " bytes uncompressed, but the gzip trailer says " +
                                         std::to_string(gzipSize) + " (file truncated or corrupt)");
        if (fileSize <= kMaxPayload / kMaxDeflateRatio && payload > kMaxDeflateRatio * fileSize)
            fail(path, "dimensions", "header sizes " + shapeText + " need " + std::to_string(payload) +
                                         " bytes, more than a " + std::to_string(fileSize) +
                                         "-byte gzip file can hold");
    } else if (total != fileSize) {
        fail(path, "dimensions", "header sizes " + shapeText + " imply a file of " + std::to_string(total) +
                                     " bytes, got " + std::to_string(fileSize) +
                                     (fileSize < total ? " (truncated)" : " (trailing bytes)"));
    }

    const std::string expected = "expected " + std::to_string(payload) + " bytes of values (" + shapeText + ")";
    if (!gzip) {
        // The file size was checked against the claim: allocate it at once.
        out.values.reserve(size_t(payload));
        adviseHugePages(out.values.data(), size_t(payload));
        out.values.resize(size_t(payload));
        readExactly(*src, out.values.data(), payload, path, "values", expected);
    } else {
        int64_t done = 0;
        while (done < payload) {
            const int64_t n = std::min(kGzipChunk, payload - done);
            out.values.resize(size_t(done + n));
            const int64_t got = src->read(out.values.data() + done, n);
            if (got != n) {
                const std::string why = src->problem();
                if (!why.empty() && why != "unexpected end of file")
                    fail(path, "gzip stream", "expected valid compressed data, got: " + why);
                fail(path, "values", expected + ", got " + std::to_string(done + got) + " bytes (truncated)");
            }
            done += n;
        }

        uint8_t extra;
        if (src->read(&extra, 1) != 0)
            fail(path, "values", "expected the data to end after " + std::to_string(payload) +
                                     " bytes (" + shapeText + "), but the stream continues");
        if (!src->problem().empty())
            fail(path, "gzip stream", "expected valid compressed data, got: " + src->problem());
    }
    return out;
}

} // namespace gsn
