#include "npy.h"

#include "error.h"
#include "sizecheck.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <fcntl.h>
#include <unistd.h>

namespace gsn {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
// Headers are a few hundred bytes; a huge claimed length is corruption, not a header.
constexpr uint32_t kMaxHeaderBytes = 1 << 20;

// Closes a FILE* on every path out of a function.
struct FileCloser {
    FILE* f;
    ~FileCloser()
    {
        if (f)
            std::fclose(f);
    }
};

std::string trim(const std::string& s)
{
    const size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos)
        return {};
    const size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// Finds the raw text of a dict value: 'key': <value> up to the matching end (a quoted string, a
// tuple in parentheses, or a bare word). Returns false when the key is absent or malformed. `wasQuoted`
// (when given) tells a Python string ('False') from a bare literal (False).
bool dictValue(const std::string& header, const std::string& key, std::string& value, bool* wasQuoted = nullptr)
{
    size_t pos = std::string::npos;
    for (const char quote : {'\'', '"'}) {
        const std::string needle = std::string(1, quote) + key + std::string(1, quote);
        pos = header.find(needle);
        if (pos != std::string::npos) {
            pos += needle.size();
            break;
        }
    }
    if (pos == std::string::npos)
        return false;
    pos = header.find_first_not_of(" ", pos);
    if (pos == std::string::npos || header[pos] != ':')
        return false;
    pos = header.find_first_not_of(" ", pos + 1);
    if (pos == std::string::npos)
        return false;
    const char c = header[pos];
    size_t end;
    if (wasQuoted)
        *wasQuoted = c == '\'' || c == '"';
    if (c == '\'' || c == '"') {
        end = header.find(c, pos + 1);
        if (end == std::string::npos)
            return false;
        value = header.substr(pos + 1, end - pos - 1);
        return true;
    }
    if (c == '(') {
        end = header.find(')', pos);
        if (end == std::string::npos)
            return false;
        value = header.substr(pos, end - pos + 1);
        return true;
    }
    end = header.find_first_of(",}", pos);
    if (end == std::string::npos)
        return false;
    value = trim(header.substr(pos, end - pos));
    return true;
}

// Parses "(200, 25, 25)", "(7,)" or "()" into sizes; false on anything else.
bool parseShape(const std::string& text, std::vector<int64_t>& shape)
{
    if (text.size() < 2 || text.front() != '(' || text.back() != ')')
        return false;
    const std::string inner = text.substr(1, text.size() - 2);
    size_t pos = 0;
    while (pos < inner.size()) {
        pos = inner.find_first_not_of(" ", pos);
        if (pos == std::string::npos)
            break;
        size_t end = pos;
        while (end < inner.size() && inner[end] >= '0' && inner[end] <= '9')
            ++end;
        if (end == pos || end - pos > 12) // at most 12 digits: no overflow in int64
            return false;
        shape.push_back(std::stoll(inner.substr(pos, end - pos)));
        pos = inner.find_first_not_of(" ", end);
        if (pos == std::string::npos)
            break;
        if (inner[pos] != ',')
            return false;
        ++pos;
    }
    return true;
}

// "(200, 25, 25)", as the header writes it.
std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

// A shape for a message: as shapeText, cut after 8 dimensions (a message never echoes kilobytes).
std::string shownShape(const std::vector<int64_t>& shape)
{
    if (shape.size() <= 8)
        return shapeText(shape);
    std::string head = shapeText({shape.begin(), shape.begin() + 8});
    head.pop_back(); // the closing parenthesis
    return head + ", ... (" + std::to_string(shape.size()) + " dimensions))";
}

} // namespace

NpyArray readNpy(const std::string& path, bool allowNonFinite)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        fail(path, "file", "expected an existing .npy file, but it does not exist or is not a regular file");
    const int64_t fileSize = int64_t(std::filesystem::file_size(path, ec));
    if (ec)
        fail(path, "file", "cannot read its size: " + ec.message());
    FileCloser file{std::fopen(path.c_str(), "rb")};
    if (!file.f)
        fail(path, "file", "cannot open for reading");

    unsigned char pre[10];
    const size_t got = std::fread(pre, 1, sizeof pre, file.f);
    if (got < kMagicBytes || std::memcmp(pre, kMagic, kMagicBytes) != 0)
        fail(path, "magic", "expected \"\\x93NUMPY\" (a NumPy .npy file)");
    if (got < 8)
        fail(path, "version", "expected 2 version bytes, the file is truncated");
    const int major = pre[6];
    if (major < 1 || major > 3)
        fail(path, "version", "expected 1.0, 2.0 or 3.0, got " + std::to_string(major) + "." + std::to_string(pre[7]));
    uint32_t headerLen;
    int64_t prefix;
    if (major == 1) {
        if (got < 10)
            fail(path, "header length", "expected 2 bytes, the file is truncated");
        headerLen = uint32_t(pre[8]) | (uint32_t(pre[9]) << 8);
        prefix = 10;
    } else {
        unsigned char more[2];
        if (got < 10 || std::fread(more, 1, 2, file.f) != 2)
            fail(path, "header length", "expected 4 bytes, the file is truncated");
        headerLen = uint32_t(pre[8]) | (uint32_t(pre[9]) << 8) | (uint32_t(more[0]) << 16) | (uint32_t(more[1]) << 24);
        prefix = 12;
    }
    if (headerLen > kMaxHeaderBytes || prefix + int64_t(headerLen) > fileSize)
        fail(path, "header length", "expected a header inside the file (" + std::to_string(fileSize) +
                                        " bytes), got " + std::to_string(headerLen) + " bytes (truncated or corrupt)");
    std::string header(headerLen, '\0');
    if (std::fread(header.data(), 1, headerLen, file.f) != headerLen)
        fail(path, "header", "expected " + std::to_string(headerLen) + " bytes, the file is truncated");
    if (header.find('{') == std::string::npos || header.find('}') == std::string::npos)
        fail(path, "header", "expected a dict {'descr': ..., 'fortran_order': ..., 'shape': ...}");

    NpyArray out;
    std::string fortran, shapeValue;
    if (!dictValue(header, "descr", out.dtype))
        fail(path, "header descr", "expected a dtype string such as '<f8'");
    // fortran_order must be the Python literal False or True: the string 'False' is what a broken writer
    // produces, and Python itself would read it as true (a non-empty string), so it is refused, not guessed.
    bool fortranQuoted = false;
    if (!dictValue(header, "fortran_order", fortran, &fortranQuoted) || fortranQuoted ||
        (fortran != "False" && fortran != "True"))
        fail(path, "header fortran_order",
             "expected the literal False or True, got " +
                 (fortranQuoted ? "the string " + quoteValue(fortran)
                                : fortran.empty() ? std::string("nothing") : quoteValue(fortran)));
    if (!dictValue(header, "shape", shapeValue) || !parseShape(shapeValue, out.shape))
        fail(path, "header shape", "expected a tuple of sizes such as (200, 25, 25), got " +
                                       (shapeValue.empty() ? std::string("nothing") : quoteValue(shapeValue)));

    int itemBytes = 0;
    const std::string& d = out.dtype;
    if (d == "<f8" || d == "=f8")
        itemBytes = 8;
    else if (d == "<f4" || d == "=f4")
        itemBytes = 4;
    else if (d == "|u1" || d == "<u1" || d == "=u1")
        itemBytes = 1;
    else
        fail(path, "dtype", "expected little-endian float64 '<f8', float32 '<f4' or uint8 '|u1', got " + quoteValue(d));
    if (fortran != "False")
        fail(path, "fortran_order", "expected False (C order), got True");

    // Check the claimed size against the bytes that are actually there before allocating (checked
    // arithmetic: the product of the sizes may overflow int64).
    const int64_t available = fileSize - prefix - int64_t(headerLen);
    const std::optional<uint64_t> elements = productAtMost(out.shape, uint64_t(available) / uint64_t(itemBytes));
    if (!elements)
        fail(path, "shape", "expected at most " + std::to_string(available) + " bytes of data, shape " +
                                shownShape(out.shape) + " of " + quoteValue(d) + " needs more (truncated or corrupt)");
    const int64_t count = int64_t(*elements);
    const int64_t needed = count * itemBytes;
    if (needed != available)
        fail(path, "shape", "shape " + shownShape(out.shape) + " of " + quoteValue(d) + " needs " + std::to_string(needed) +
                                " bytes of data, the file has " + std::to_string(available) +
                                (available < needed ? " (truncated)" : " (trailing bytes)"));

    std::vector<unsigned char> raw(static_cast<size_t>(needed));
    if (std::fread(raw.data(), 1, raw.size(), file.f) != raw.size())
        fail(path, "data", "expected " + std::to_string(needed) + " bytes, the read came up short");
    out.values.resize(size_t(count));
    // x86 and ARM Linux are little-endian, so '<' data can be copied as is.
    if (itemBytes == 8) {
        for (int64_t i = 0; i < count; ++i) {
            double v;
            std::memcpy(&v, raw.data() + 8 * i, 8);
            // A finite double beyond float32's range would silently become infinity (UB in C++).
            if (std::isfinite(v) && std::fabs(v) > double(std::numeric_limits<float>::max())) {
                if (!allowNonFinite)
                {
                    char text[32];
                    std::snprintf(text, sizeof text, "%g", v);
                    fail(path, "data", "expected values in float32's range (|x| <= 3.4028235e38), got " +
                                           std::string(text) + " at element " + std::to_string(i));
                }
                v = v > 0 ? HUGE_VAL : -HUGE_VAL;
            }
            out.values[size_t(i)] = float(v);
        }
    } else if (itemBytes == 4) {
        if (needed > 0) // an empty array has no buffer: memcpy must not see its null pointer
            std::memcpy(out.values.data(), raw.data(), size_t(needed));
    } else {
        for (int64_t i = 0; i < count; ++i)
            out.values[size_t(i)] = float(raw[size_t(i)]);
    }
    if (itemBytes != 1 && !allowNonFinite) {
        for (int64_t i = 0; i < count; ++i)
            if (!std::isfinite(out.values[size_t(i)]))
                fail(path, "data", "expected finite values, got " +
                                       std::string(std::isnan(out.values[size_t(i)]) ? "NaN" : "infinity") +
                                       " at element " + std::to_string(i));
    }
    return out;
}

void writeNpy(const std::string& path, const float* data, std::vector<int64_t> shape)
{
    int64_t count = 1;
    for (const int64_t n : shape) {
        if (n < 0)
            fail(path, "shape", "expected non-negative sizes, got " + shapeText(shape));
        count *= n;
    }
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText(shape) + ", }";
    // Version 1.0: magic (6) + version (2) + length (2) + header, padded to a multiple of 64
    // with spaces and ending in a newline, as numpy writes it.
    const size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');
    if (header.size() > 65535)
        fail(path, "shape", "expected fewer dimensions (header too long for .npy version 1.0)");

    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        fail(path, "file", "cannot create " + tmp + ": " + std::strerror(errno));
    const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(header.size() & 0xFF),
                                   static_cast<unsigned char>(header.size() >> 8)};
    bool ok = std::fwrite(pre, 1, sizeof pre, f) == sizeof pre &&
              std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
              (count == 0 || std::fwrite(data, sizeof(float), size_t(count), f) == size_t(count));
    ok = std::fflush(f) == 0 && ok;
    ok = ::fsync(fileno(f)) == 0 && ok;
    ok = std::fclose(f) == 0 && ok;
    if (!ok) {
        std::remove(tmp.c_str());
        fail(path, "file", std::string("cannot write: ") + std::strerror(errno));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        fail(path, "file", "cannot rename " + tmp + " into place: " + why);
    }
}

} // namespace gsn
