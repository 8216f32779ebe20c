#include "dataset.h"

#include "error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace gsn {

namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

uint64_t fnv(uint64_t h, const unsigned char* p, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= kFnvPrime;
    }
    return h;
}

uint64_t fnvInt64(uint64_t h, int64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; ++i)
        b[i] = static_cast<unsigned char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
    return fnv(h, b, 8);
}

std::string formatValue(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

} // namespace

Dataset Dataset::slice(int begin, int end, const std::string& suffix) const
{
    if (begin < 0 || end < begin || end > count())
        fail(name, "slice", "expected 0 <= begin <= end <= " + std::to_string(count()) + ", got [" +
                                std::to_string(begin) + ", " + std::to_string(end) + ")");
    Dataset out;
    out.name = name + suffix;
    out.source = source;
    out.width = width;
    out.height = height;
    out.pixels = pixels.middleRows(begin, end - begin);
    if (!labels.empty())
        out.labels.assign(labels.begin() + begin, labels.begin() + end);
    out.labelCount = labelCount;
    out.hash = contentHash(out);
    return out;
}

std::string contentHash(const Dataset& data)
{
    uint64_t h = kFnvOffset;
    h = fnvInt64(h, data.pixels.rows());
    h = fnvInt64(h, data.width);
    h = fnvInt64(h, data.height);
    // Row-major storage: the rows are contiguous, so this is one pass over the pixel bytes.
    h = fnv(h, reinterpret_cast<const unsigned char*>(data.pixels.data()), size_t(data.pixels.size()) * sizeof(float));
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::pair<float, float> pixelRange(const Dataset& data)
{
    if (data.pixels.size() == 0)
        return {0.0f, 0.0f};
    return {data.pixels.minCoeff(), data.pixels.maxCoeff()};
}

float pixelScaleDivisor(const std::string& where, const std::string& field, const float* values, size_t count,
                       PixelScale scale)
{
    float lo = 0.0f;
    float hi = 0.0f;
    for (size_t i = 0; i < count; ++i) {
        const float v = values[i];
        if (!std::isfinite(v))
            fail(where, field, "expected finite pixel values, got " + std::string(std::isnan(v) ? "NaN" : "infinity") +
                                   " at element " + std::to_string(i));
        if (i == 0 || v < lo)
            lo = i == 0 ? v : std::min(lo, v);
        if (i == 0 || v > hi)
            hi = i == 0 ? v : std::max(hi, v);
    }
    if (scale == PixelScale::Bytes) {
        if (lo < 0.0f || hi > 255.0f)
            fail(where, field, "expected byte values in [0, 255], got [" + formatValue(lo) + ", " + formatValue(hi) + "]");
        return 255.0f;
    }
    if (lo >= 0.0f && hi <= 1.0f)
        return 1.0f;
    if (lo >= 0.0f && hi <= 255.0f)
        return 255.0f;
    fail(where, field, "expected pixel values in [0, 1] or [0, 255], got [" + formatValue(lo) + ", " +
                           formatValue(hi) + "]");
}

} // namespace gsn
