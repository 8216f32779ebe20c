#include "dataset.h"

#include "error.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace gsn {

namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

uint64_t mix(uint64_t h, uint64_t word)
{
    return (h ^ word) * kFnvPrime;
}

// splitmix64's finalizer: spreads every input bit over the whole output.
uint64_t finish(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
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
    uint64_t lane[4] = {kFnvOffset, kFnvOffset, kFnvOffset, kFnvOffset};
    const uint64_t sizes[3] = {uint64_t(data.pixels.rows()), uint64_t(int64_t(data.width)), uint64_t(int64_t(data.height))};
    uint64_t k = 0;
    for (const uint64_t w : sizes)
        lane[k % 4] = mix(lane[k % 4], w), ++k;
    // Row-major storage: the rows are contiguous, so this is one pass over the pixel bytes.
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.pixels.data());
    const size_t total = size_t(data.pixels.size()) * sizeof(float);
    const size_t words = total / 8;
    size_t i = 0;
    // Bring the word index to a multiple of 4 so the main loop can keep lanes in fixed slots.
    for (; i < words && k % 4 != 0; ++i, ++k) {
        uint64_t w;
        std::memcpy(&w, bytes + 8 * i, 8);
        lane[k % 4] = mix(lane[k % 4], w);
    }
    for (; i + 4 <= words; i += 4, k += 4) {
        uint64_t w[4];
        std::memcpy(w, bytes + 8 * i, 32);
        lane[0] = mix(lane[0], w[0]);
        lane[1] = mix(lane[1], w[1]);
        lane[2] = mix(lane[2], w[2]);
        lane[3] = mix(lane[3], w[3]);
    }
    for (; i < words; ++i, ++k) {
        uint64_t w;
        std::memcpy(&w, bytes + 8 * i, 8);
        lane[k % 4] = mix(lane[k % 4], w);
    }
    if (total % 8 != 0) {
        uint64_t w = 0;
        std::memcpy(&w, bytes + 8 * words, total % 8);
        lane[k % 4] = mix(lane[k % 4], w);
    }
    uint64_t h = kFnvOffset;
    for (const uint64_t l : lane)
        h = mix(h, l);
    h = finish(h);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

void adviseHugePages(const void* data, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr uintptr_t kPage = 4096;
    if (!data || bytes < (size_t(4) << 20))
        return;
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kPage - 1) & ~(kPage - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kPage - 1);
    if (end > begin)
        ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE); // a hint: failure is harmless
#else
    (void)data;
    (void)bytes;
#endif
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
