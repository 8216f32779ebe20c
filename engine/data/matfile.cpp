#include "matfile.h"

#include "error.h"
#include "sizecheck.h"

#include <matio.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

namespace gsn {

namespace {

// libmatio keeps global state (its log function) and is not documented as thread-safe: every
// use goes through this lock, and its messages are captured here instead of going to stderr.
std::mutex g_matioLock;
std::string g_matioMessage;

// Keeps the last message on one line (HDF5 reports multi-line error stacks through libmatio).
void captureMatioLog(int, char* message)
{
    g_matioMessage.clear();
    for (const char* p = message; p && *p && g_matioMessage.size() < 240; ++p) {
        const bool space = *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t';
        if (space && (g_matioMessage.empty() || g_matioMessage.back() == ' '))
            continue;
        g_matioMessage.push_back(space ? ' ' : *p);
    }
    while (!g_matioMessage.empty() && g_matioMessage.back() == ' ')
        g_matioMessage.pop_back();
}

// Deflate (and HDF5's deflate filter) cannot expand data by more than about 1032:1.
constexpr int64_t kMaxDeflateRatio = 1032;
// v5 element types that matter for walking the file.
constexpr uint32_t kMiMatrix = 14;
constexpr uint32_t kMiCompressed = 15;

struct MatHandle {
    mat_t* mat = nullptr;
    ~MatHandle()
    {
        if (mat)
            Mat_Close(mat);
    }
};

struct VarHandle {
    matvar_t* var = nullptr;
    ~VarHandle()
    {
        if (var)
            Mat_VarFree(var);
    }
};

std::string matioDetail()
{
    return g_matioMessage.empty() ? std::string() : " (" + g_matioMessage + ")";
}

uint32_t readU32(const unsigned char* p, bool swap)
{
    return swap ? (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3])
                : (uint32_t(p[3]) << 24) | (uint32_t(p[2]) << 16) | (uint32_t(p[1]) << 8) | uint32_t(p[0]);
}

// MATLAB classes whose variables hold variables: libmatio's Mat_VarReadInfo allocates a pointer per
// element (and per field of each element) from the dimensions before it reads them.
constexpr uint32_t kMxCell = 1, kMxStruct = 2, kMxObject = 3;

// The container check on the first sub-elements of a miMATRIX (array flags, dimensions, name, field name
// length, field names), given as (type, data) pairs in order: a cell, struct or object variable of
// `bytes` bytes holds at most bytes / 8 elements (each nested variable has at least an 8-byte tag), and a
// struct at most that many elements x fields (found by fuzz_mat: a 760-byte file whose cell claimed
// dimensions that made libmatio allocate 75 GB; tests/fuzz/regressions/mat/cell-dims-75gb.mat).
void checkContainerCounts(const std::string& path, int index, const std::vector<std::pair<uint32_t, std::vector<unsigned char>>>& parts,
                          int64_t bytes, bool swap, FILE* f)
{
    if (parts.size() < 2 || parts[0].second.size() < 4)
        return;
    const uint32_t cls = readU32(parts[0].second.data(), swap) & 0xFFu;
    if (cls != kMxCell && cls != kMxStruct && cls != kMxObject)
        return;
    std::vector<uint64_t> dims;
    for (std::size_t i = 0; i + 4 <= parts[1].second.size(); i += 4)
        dims.push_back(readU32(parts[1].second.data() + i, swap));
    const uint64_t cap = uint64_t(std::max<int64_t>(0, bytes)) / 8;
    const std::optional<uint64_t> elements = productAtMost(dims, cap);
    auto refuse = [&](const std::string& what) {
        if (f)
            std::fclose(f);
        fail(path, "variable " + std::to_string(index), what + " (corrupt file)");
    };
    if (!elements)
        refuse("expected a " + std::string(cls == kMxCell ? "cell" : "struct") + " array of at most " + std::to_string(cap) +
               " elements in its " + std::to_string(bytes) + " bytes, its dimensions claim more");
    // struct and object: part 3 is the field name length, part 4 the names (libmatio allocates fields x elements)
    if (cls != kMxCell && parts.size() >= 5 && parts[3].second.size() >= 4) {
        const uint64_t nameLength = readU32(parts[3].second.data(), swap);
        const uint64_t fields = nameLength > 0 ? parts[4].second.size() / nameLength : 0;
        if (fields > 0 && *elements > 0 && fields > cap / *elements)
            refuse("expected at most " + std::to_string(cap) + " struct fields x elements in its " + std::to_string(bytes) +
                   " bytes, it claims " + std::to_string(fields) + " fields of " + std::to_string(*elements) + " elements");
    }
}

// The sub-elements of an uncompressed miMATRIX element (array flags, dimensions, name, data...) that
// starts at byte `begin` of `bytes` bytes: each must fit inside the element. libmatio allocates the
// name and the dimensions from these sizes before it checks them against the file (found by fuzz_mat:
// a 1 GB name length in a 500-byte file made it allocate and clear 1 GB).
void checkV5MatrixElement(const std::string& path, FILE* f, int index, int64_t begin, int64_t bytes, bool swap)
{
    int64_t pos = 0;
    std::vector<std::pair<uint32_t, std::vector<unsigned char>>> parts; // the first few, for the container check
    while (pos + 8 <= bytes) {
        unsigned char tag[8];
        if (std::fseek(f, long(begin + pos), SEEK_SET) != 0 || std::fread(tag, 1, 8, f) != 8)
            break; // the caller checked the element fits in the file
        const uint32_t type = readU32(tag, swap);
        if ((type >> 16) != 0) { // small data element: up to 4 bytes of data in the tag itself
            if (parts.size() < 5)
                parts.push_back({type & 0xFFFFu, std::vector<unsigned char>(tag + 4, tag + 4 + std::min<uint32_t>(4, type >> 16))});
            pos += 8;
            continue;
        }
        const int64_t size = readU32(tag + 4, swap);
        if (size > bytes - pos - 8) {
            std::fclose(f);
            fail(path, "variable " + std::to_string(index),
                 "expected its part at byte " + std::to_string(begin + pos) + " to fit in the variable's " +
                     std::to_string(bytes) + " bytes, it claims " + std::to_string(size) + " (corrupt file)");
        }
        if (parts.size() < 5) {
            std::vector<unsigned char> data(static_cast<std::size_t>(std::min<int64_t>(size, 4096)));
            if (!data.empty() && std::fread(data.data(), 1, data.size(), f) != data.size())
                data.clear();
            parts.push_back({type, std::move(data)});
        }
        pos += 8 + ((size + 7) / 8) * 8;
    }
    checkContainerCounts(path, index, parts, bytes, swap, f);
}

// The same check inside an miCOMPRESSED element of `bytes` compressed bytes at `begin`: the first
// kInflatedHead bytes of its stream are inflated (enough for the tags libmatio allocates from: array
// flags, dimensions, name); the miMATRIX it holds may claim at most kMaxDeflateRatio x `bytes`, and
// each sub-element seen must fit inside it (found by fuzz_mat: tests/fuzz/regressions/mat/
// compressed-name-length.mat, a name length of 16 MB in a 300-byte file).
void checkV5CompressedElement(const std::string& path, FILE* f, int index, int64_t begin, int64_t bytes, bool swap)
{
    constexpr std::size_t kCompressedHead = 64 * 1024, kInflatedHead = 4096;
    std::vector<unsigned char> in(static_cast<std::size_t>(std::min<int64_t>(bytes, kCompressedHead)));
    if (in.empty() || std::fseek(f, long(begin), SEEK_SET) != 0 || std::fread(in.data(), 1, in.size(), f) != in.size())
        return; // libmatio reports what is missing
    std::vector<unsigned char> out(kInflatedHead);
    z_stream z{};
    if (inflateInit(&z) != Z_OK)
        return;
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_SYNC_FLUSH);
    const std::size_t have = out.size() - z.avail_out;
    const std::string zlibMessage = z.msg ? z.msg : "error " + std::to_string(rc);
    inflateEnd(&z);
    auto refuse = [&](const std::string& what) {
        std::fclose(f);
        fail(path, "variable " + std::to_string(index), what + " (corrupt compressed variable)");
    };
    // A stream that is broken inside the bytes read is refused here: libmatio inflates the part before the
    // break and allocates from the tags it finds there (found by fuzz_mat: tests/fuzz/regressions/mat/
    // broken-stream-5gb-dims.mat, a 308-byte file whose damaged stream made it allocate 5.3 GB of dimensions).
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        refuse("expected a zlib stream, zlib says: " + quoteValue(zlibMessage) + " within its first " +
               std::to_string(in.size()) + " bytes");
    if (have < 8)
        return; // too short to hold a tag: libmatio says what is missing
    const uint32_t type = readU32(out.data(), swap);
    if (type != kMiMatrix)
        return;
    const int64_t matrixBytes = readU32(out.data() + 4, swap);
    if (matrixBytes > bytes * kMaxDeflateRatio)
        refuse("expected at most " + std::to_string(bytes * kMaxDeflateRatio) + " bytes inflated from " +
               std::to_string(bytes) + " compressed, it claims " + std::to_string(matrixBytes));
    int64_t pos = 0;
    std::vector<std::pair<uint32_t, std::vector<unsigned char>>> parts;
    while (8 + pos + 8 <= int64_t(have) && pos + 8 <= matrixBytes) {
        const unsigned char* tag = out.data() + 8 + pos;
        const uint32_t sub = readU32(tag, swap);
        if ((sub >> 16) != 0) {
            if (parts.size() < 5)
                parts.push_back({sub & 0xFFFFu, std::vector<unsigned char>(tag + 4, tag + 4 + std::min<uint32_t>(4, sub >> 16))});
            pos += 8;
            continue;
        }
        const int64_t size = readU32(tag + 4, swap);
        if (size > matrixBytes - pos - 8)
            refuse("expected its part at inflated byte " + std::to_string(pos) + " to fit in the variable's " +
                   std::to_string(matrixBytes) + " bytes, it claims " + std::to_string(size));
        if (parts.size() < 5) {
            const int64_t from = 8 + pos + 8;
            const int64_t n = std::max<int64_t>(0, std::min<int64_t>(size, int64_t(have) - from));
            parts.push_back({sub, std::vector<unsigned char>(out.data() + from, out.data() + from + n)});
        }
        pos += 8 + ((size + 7) / 8) * 8;
    }
    checkContainerCounts(path, index, parts, matrixBytes, swap, f);
}

// Walks the top-level data elements of a v5 file: each must fit inside the file. This turns a
// truncated download into a clear message before libmatio tries to read (and allocate) anything.
void checkV5Elements(const std::string& path, int64_t fileSize)
{
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        fail(path, "file", "cannot open for reading");
    unsigned char header[128];
    if (std::fread(header, 1, 128, f) != 128) {
        std::fclose(f);
        fail(path, "header", "expected a 128-byte MAT-file header, the file is truncated");
    }
    const bool swap = header[126] == 'M' && header[127] == 'I';
    int64_t pos = 128;
    int index = 0;
    while (pos < fileSize) {
        unsigned char tag[8];
        if (std::fseek(f, long(pos), SEEK_SET) != 0 || std::fread(tag, 1, 8, f) != 8) {
            std::fclose(f);
            fail(path, "variable " + std::to_string(index), "expected an 8-byte element tag at byte " +
                                                                std::to_string(pos) + ", the file is truncated");
        }
        const uint32_t type = readU32(tag, swap);
        int64_t next;
        if ((type >> 16) != 0) { // small data element: type and size share the first 4 bytes
            next = pos + 8;
        } else {
            const int64_t bytes = readU32(tag + 4, swap);
            next = pos + 8 + bytes;
            if (next > fileSize) {
                std::fclose(f);
                fail(path, "variable " + std::to_string(index), "expected " + std::to_string(bytes) +
                                                                    " bytes of data after byte " + std::to_string(pos + 8) +
                                                                    ", the file ends after " + std::to_string(fileSize) +
                                                                    " (truncated)");
            }
            if (type == kMiMatrix)
                checkV5MatrixElement(path, f, index, pos + 8, bytes, swap);
            if (type == kMiCompressed)
                checkV5CompressedElement(path, f, index, pos + 8, bytes, swap);
            if (type != kMiCompressed)
                next = pos + 8 + ((bytes + 7) / 8) * 8;
        }
        pos = next;
        ++index;
    }
    std::fclose(f);
}

bool isNumeric(matio_classes c)
{
    switch (c) {
    case MAT_C_DOUBLE: case MAT_C_SINGLE: case MAT_C_INT8: case MAT_C_UINT8: case MAT_C_INT16:
    case MAT_C_UINT16: case MAT_C_INT32: case MAT_C_UINT32: case MAT_C_INT64: case MAT_C_UINT64:
        return true;
    default:
        return false;
    }
}

// Calls f(const T* data) with the variable's data typed by its MATLAB class.
template <typename F>
void withTypedData(const matvar_t* v, F&& f)
{
    switch (v->class_type) {
    case MAT_C_DOUBLE: f(static_cast<const double*>(v->data)); break;
    case MAT_C_SINGLE: f(static_cast<const float*>(v->data)); break;
    case MAT_C_INT8: f(static_cast<const int8_t*>(v->data)); break;
    case MAT_C_UINT8: f(static_cast<const uint8_t*>(v->data)); break;
    case MAT_C_INT16: f(static_cast<const int16_t*>(v->data)); break;
    case MAT_C_UINT16: f(static_cast<const uint16_t*>(v->data)); break;
    case MAT_C_INT32: f(static_cast<const int32_t*>(v->data)); break;
    case MAT_C_UINT32: f(static_cast<const uint32_t*>(v->data)); break;
    case MAT_C_INT64: f(static_cast<const int64_t*>(v->data)); break;
    case MAT_C_UINT64: f(static_cast<const uint64_t*>(v->data)); break;
    default: break;
    }
}

std::string dimsText(const matvar_t* v)
{
    return dimensionsText(std::vector<size_t>(v->dims, v->dims + std::max(v->rank, 0)));
}

std::string formatValue(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// Element count of a variable from its header, checked for overflow and against what a file of
// fileSize bytes can hold (1 byte per element stored plainly, 1032x that when deflated).
int64_t checkedCount(const std::string& path, const matvar_t* info, int64_t fileSize, bool mayBeCompressed)
{
    const uint64_t ratio = mayBeCompressed ? uint64_t(kMaxDeflateRatio) : 1;
    const uint64_t cap = uint64_t(fileSize) > std::numeric_limits<uint64_t>::max() / ratio
                             ? std::numeric_limits<uint64_t>::max()
                             : uint64_t(fileSize) * ratio;
    const std::optional<uint64_t> n =
        productAtMost(std::vector<uint64_t>(info->dims, info->dims + std::max(info->rank, 0)), std::min<uint64_t>(cap, INT64_MAX));
    if (!n)
        fail(path, "variable " + quoteValue(info->name ? info->name : "?"),
             "size " + dimsText(info) + " is more than a " + std::to_string(fileSize) + "-byte file can hold (corrupt header)");
    return int64_t(*n);
}

// Reads a whole (small) numeric variable as doubles, column-major; empty when absent.
std::vector<double> readSmallVariable(const std::string& path, mat_t* mat, const char* name, int64_t fileSize,
                                      bool mayBeCompressed, std::vector<size_t>& dims)
{
    VarHandle info{Mat_VarReadInfo(mat, name)};
    if (!info.var)
        return {};
    if (!isNumeric(info.var->class_type) || info.var->isComplex)
        fail(path, std::string("variable '") + name + "'", "expected a real numeric array");
    const int64_t n = checkedCount(path, info.var, fileSize, mayBeCompressed);
    VarHandle var{Mat_VarRead(mat, name)};
    if (!var.var || !var.var->data)
        fail(path, std::string("variable '") + name + "'", "cannot read its data" + matioDetail());
    std::vector<double> out(static_cast<size_t>(n));
    withTypedData(var.var, [&](const auto* p) {
        for (int64_t i = 0; i < n; ++i)
            out[size_t(i)] = double(p[i]);
    });
    dims.assign(var.var->dims, var.var->dims + var.var->rank);
    return out;
}

// The images of one variable, with the layout of that kind of file.
struct Layout {
    int width = 0;
    int height = 0;
    int64_t count = 0;
    // Linear index in the variable of image n's pixel (row r, column c):
    // n * strideImage + r * strideRow + c * strideColumn.
    int64_t strideImage = 0;
    int64_t strideRow = 0;
    int64_t strideColumn = 0;
};

} // namespace

Dataset loadMatDataset(const std::string& path, const std::string& selection)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        fail(path, "file", "expected an existing .mat file, but it does not exist or is not a regular file");
    const int64_t fileSize = int64_t(std::filesystem::file_size(path, ec));
    if (ec)
        fail(path, "file", "cannot read its size: " + ec.message());

    std::lock_guard<std::mutex> lock(g_matioLock);
    static std::once_flag logOnce;
    std::call_once(logOnce, [] { Mat_LogInitFunc("gsn", captureMatioLog); });
    g_matioMessage.clear();

    // Versions 5 and 7.3 carry the endian indicator "IM" (or "MI") at bytes 126-127. Anything else is refused
    // here: libmatio would try it as a version 4 file and allocate the name length its first bytes claim
    // (found by fuzz_mat: 1.6 GB and 14 s for a 744-byte file).
    {
        unsigned char header[128];
        FILE* f = std::fopen(path.c_str(), "rb");
        const bool read = f && std::fread(header, 1, 128, f) == 128;
        if (f)
            std::fclose(f);
        if (!read || !((header[126] == 'I' && header[127] == 'M') || (header[126] == 'M' && header[127] == 'I')))
            fail(path, "header", "expected a MATLAB .mat file (version 5 or 7.3): no \"IM\" endian indicator at byte 126");
    }
    MatHandle file{Mat_Open(path.c_str(), MAT_ACC_RDONLY)};
    if (!file.mat)
        fail(path, "header", "expected a MATLAB .mat file (version 5 or 7.3)" + matioDetail());
    const mat_ft version = Mat_GetVersion(file.mat);
    if (version == MAT_FT_MAT5)
        checkV5Elements(path, fileSize);
    const bool mayBeCompressed = version != MAT_FT_MAT4;

    const char* name = nullptr;
    VarHandle info;
    for (const char* candidate : {"images", "faces", "ff"}) {
        info.var = Mat_VarReadInfo(file.mat, candidate);
        if (info.var) {
            name = candidate;
            break;
        }
    }
    if (!name) {
        size_t n = 0;
        char** names = Mat_GetDir(file.mat, &n);
        std::string found;
        for (size_t i = 0; names && i < n && i < 10; ++i)
            found += (found.empty() ? "" : ", ") + quoteValue(names[i] ? names[i] : "?");
        if (n > 10)
            found += ", ... (" + std::to_string(n) + " variables)";
        fail(path, "variables", "expected 'images' (TFD), 'faces' (Olivetti) or 'ff' (Frey), found " +
                                    (found.empty() ? std::string("no readable variable (truncated or corrupt file?)")
                                                   : found));
    }
    const std::string field = std::string("variable '") + name + "'";
    const matvar_t* v = info.var;
    if (!isNumeric(v->class_type) || v->isComplex)
        fail(path, field, "expected a real numeric array of pixels, got another MATLAB class");
    checkedCount(path, v, fileSize, mayBeCompressed);

    Layout layout;
    const std::string kind = std::strcmp(name, "images") == 0 ? "TFD" : std::strcmp(name, "faces") == 0 ? "Olivetti" : "Frey";
    if (kind == "TFD") {
        if (v->rank != 3)
            fail(path, field, "expected N x H x W (TFD: N x 48 x 48), got " + dimsText(v));
        const int64_t n = int64_t(v->dims[0]);
        const int64_t h = int64_t(v->dims[1]);
        layout.count = n;
        layout.height = int(std::min<size_t>(v->dims[1], 1 << 20));
        layout.width = int(std::min<size_t>(v->dims[2], 1 << 20));
        layout.strideImage = 1;
        layout.strideRow = n;
        layout.strideColumn = n * h;
    } else if (kind == "Olivetti") {
        const int64_t d = v->rank == 2 ? int64_t(v->dims[0]) : 0;
        const int64_t side = int64_t(std::llround(std::sqrt(double(d))));
        if (v->rank != 2 || d < 1 || side * side != d)
            fail(path, field, "expected D x N with D a square number of pixels (Olivetti: 4096 x 400), got " +
                                  dimsText(v));
        layout.count = int64_t(v->dims[1]);
        layout.width = layout.height = int(side);
        layout.strideImage = d;
        layout.strideRow = 1;
        layout.strideColumn = side;
    } else {
        if (v->rank != 2 || v->dims[0] != 560)
            fail(path, field, "expected 560 x N (Frey: 20 x 28 images, 560 x 1965), got " + dimsText(v));
        layout.count = int64_t(v->dims[1]);
        layout.width = 20;
        layout.height = 28;
        layout.strideImage = 560;
        layout.strideRow = 20;
        layout.strideColumn = 1;
    }
    if (layout.count < 1 || layout.width < 1 || layout.height < 1 ||
        layout.count > int64_t(std::numeric_limits<int>::max()))
        fail(path, field, "expected at least one image of at least 1 x 1 pixels, got " + dimsText(v));

    // Which images: all, or one TFD fold split.
    std::vector<int64_t> rows;
    std::string suffix;
    if (selection.empty()) {
        rows.resize(size_t(layout.count));
        for (int64_t i = 0; i < layout.count; ++i)
            rows[size_t(i)] = i;
    } else {
        if (kind != "TFD")
            fail(path, "selection '" + selection + "'", "expected no selection: only TFD files (variable 'images') have folds");
        std::string split = selection;
        int fold = 1;
        if (!split.empty() && split.back() >= '1' && split.back() <= '5') {
            fold = split.back() - '0';
            split.pop_back();
        }
        const int code = split == "unlabeled" ? 0 : split == "train" ? 1 : split == "valid" ? 2 : split == "test" ? 3 : -1;
        if (code < 0)
            fail(path, "selection '" + selection + "'", "expected train, valid, test or unlabeled, optionally with a fold 1..5 (e.g. test3)");
        std::vector<size_t> foldDims;
        const std::vector<double> folds = readSmallVariable(path, file.mat, "folds", fileSize, mayBeCompressed, foldDims);
        if (folds.empty())
            fail(path, "variable 'folds'", "expected an N x 5 fold table to select '" + selection + "', found none");
        if (foldDims.size() != 2 || int64_t(foldDims[0]) != layout.count || foldDims[1] < size_t(fold))
            fail(path, "variable 'folds'", "expected " + std::to_string(layout.count) + " x 5, got " +
                                               std::to_string(foldDims.empty() ? 0 : foldDims[0]) + " x " +
                                               std::to_string(foldDims.size() < 2 ? 0 : foldDims[1]));
        for (int64_t i = 0; i < layout.count; ++i)
            if (folds[size_t(i + layout.count * (fold - 1))] == code)
                rows.push_back(i);
        if (rows.empty())
            fail(path, "variable 'folds'", "expected some images in fold " + std::to_string(fold) + " " + split + ", found none");
        suffix = ":" + selection;
    }

    // Labels from TFD's labs_ex, when every selected image has one.
    std::vector<int> labels;
    int labelCount = 0;
    if (kind == "TFD") {
        std::vector<size_t> labDims;
        const std::vector<double> labs = readSmallVariable(path, file.mat, "labs_ex", fileSize, mayBeCompressed, labDims);
        if (!labs.empty() && int64_t(labs.size()) == layout.count) {
            bool all = true;
            for (const int64_t i : rows)
                all = all && labs[size_t(i)] >= 1 && labs[size_t(i)] <= 1000 && std::floor(labs[size_t(i)]) == labs[size_t(i)];
            if (all) {
                for (const int64_t i : rows) {
                    labels.push_back(int(labs[size_t(i)]) - 1);
                    labelCount = std::max(labelCount, labels.back() + 1);
                }
            }
        }
    }

    VarHandle var{Mat_VarRead(file.mat, name)};
    if (!var.var || !var.var->data)
        fail(path, field, "cannot read its data (truncated or corrupt)" + matioDetail());
    // Guard against the data not matching the header we checked (libmatio reads it again).
    if (var.var->rank != v->rank || !std::equal(v->dims, v->dims + v->rank, var.var->dims) ||
        var.var->class_type != v->class_type)
        fail(path, field, "its data do not match its header (corrupt)");
    const int64_t total = checkedCount(path, var.var, fileSize, mayBeCompressed);

    Dataset out;
    out.name = std::filesystem::path(path).filename().string() + suffix;
    out.source = path;
    out.width = layout.width;
    out.height = layout.height;
    out.pixels.resize(int64_t(rows.size()), int64_t(layout.width) * layout.height);
    adviseHugePages(out.pixels.data(), size_t(out.pixels.size()) * sizeof(float));
    withTypedData(var.var, [&](const auto* p) {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(p)>>;
        // Range and finiteness over the whole variable, then the divisor (see PixelScale).
        double lo = 0, hi = 0;
        for (int64_t i = 0; i < total; ++i) {
            const double x = double(p[i]);
            if constexpr (std::is_floating_point_v<T>) {
                if (!std::isfinite(x))
                    fail(path, field, "expected finite pixel values, got " + std::string(std::isnan(x) ? "NaN" : "infinity") +
                                          " at element " + std::to_string(i));
            }
            lo = i == 0 ? x : std::min(lo, x);
            hi = i == 0 ? x : std::max(hi, x);
        }
        const double divisor = std::is_integral_v<T> || hi > 1.0 ? 255.0 : 1.0;
        if (lo < 0.0 || hi > 255.0)
            fail(path, field, std::string("expected pixel values in ") + (std::is_integral_v<T> ? "[0, 255]" : "[0, 1] or [0, 255]") +
                                  ", got [" + formatValue(lo) + ", " + formatValue(hi) + "]");
        const float div = float(divisor);
        for (size_t k = 0; k < rows.size(); ++k) {
            float* dst = out.pixels.row(int64_t(k)).data();
            const T* image = p + rows[k] * layout.strideImage;
            for (int r = 0; r < layout.height; ++r)
                for (int c = 0; c < layout.width; ++c)
                    dst[r * layout.width + c] = float(image[r * layout.strideRow + c * layout.strideColumn]) / div;
        }
    });
    out.labels = std::move(labels);
    out.labelCount = labelCount;
    out.hash = contentHash(out);
    return out;
}

} // namespace gsn
