#include "clampmask.h"

#include "error.h"
#include "random.h"
#include "randomstreams.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gsn {

namespace {

// Stream id of the Philox stream behind MaskPreset::Random; distinct from chain indices so a mask
// seed equal to a chain seed does not reuse the chain's noise.
constexpr std::uint64_t kRandomMaskStream = 0x6d61736bull << 32; // "mask"

void checkSize(int width, int height)
{
    if (width <= 0 || height <= 0 || static_cast<long long>(width) * height > (1LL << 28))
        fail("clamp mask", "size", "expected positive width and height, got " + std::to_string(width) + "x" +
                                       std::to_string(height));
}

} // namespace

ClampMask::ClampMask(int w, int h) : width(w), height(h)
{
    checkSize(w, h);
    clamped.assign(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), 0);
}

int ClampMask::clampedCount() const
{
    return static_cast<int>(std::count_if(clamped.begin(), clamped.end(), [](std::uint8_t v) { return v != 0; }));
}

std::vector<int> ClampMask::clampedIndices() const
{
    std::vector<int> out;
    for (std::size_t i = 0; i < clamped.size(); ++i)
        if (clamped[i])
            out.push_back(static_cast<int>(i));
    return out;
}

ClampMask ClampMask::inverted() const
{
    ClampMask out = *this;
    for (auto& v : out.clamped)
        v = v ? 0 : 1;
    return out;
}

ClampMask makeMask(MaskPreset preset, int width, int height, const MaskPresetOptions& options)
{
    ClampMask mask(width, height);
    auto set = [&](int x, int y) { mask.clamped[static_cast<std::size_t>(y * width + x)] = 1; };
    switch (preset) {
    case MaskPreset::LeftHalf:
    case MaskPreset::RightHalf:
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                if ((x < width / 2) == (preset == MaskPreset::LeftHalf))
                    set(x, y);
        break;
    case MaskPreset::TopHalf:
    case MaskPreset::BottomHalf:
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                if ((y < height / 2) == (preset == MaskPreset::TopHalf))
                    set(x, y);
        break;
    case MaskPreset::CentreSquare: {
        const int side = std::min(width, height) / 2;
        const int x0 = (width - side) / 2;
        const int y0 = (height - side) / 2;
        for (int y = y0; y < y0 + side; ++y)
            for (int x = x0; x < x0 + side; ++x)
                set(x, y);
        break;
    }
    case MaskPreset::Border: {
        const int t = options.borderThickness;
        if (t < 1)
            fail("clamp mask", "border thickness", "expected >= 1, got " + std::to_string(t));
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                if (std::min({x, y, width - 1 - x, height - 1 - y}) < t)
                    set(x, y);
        break;
    }
    case MaskPreset::Random: {
        const double f = options.fraction;
        if (!(f >= 0.0 && f <= 1.0))
            fail("clamp mask", "random fraction", "expected a value in [0, 1], got " + std::to_string(f));
        const int n = mask.size();
        const int k = static_cast<int>(std::lround(f * n));
        // Partial Fisher-Yates: the first k entries of a uniformly random permutation, so the count
        // is exact and every k-subset is equally likely.
        std::vector<int> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        Philox rng(options.seed, streams::kRandomMaskStream, 0);
        for (int i = 0; i < k; ++i) {
            // 64 random bits modulo (n - i): bias below 2^-35 for any image size we accept.
            const std::uint64_t r = (static_cast<std::uint64_t>(rng.next32()) << 32) | rng.next32();
            const int j = i + static_cast<int>(r % static_cast<std::uint64_t>(n - i));
            std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
            mask.clamped[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = 1;
        }
        break;
    }
    }
    return mask;
}

bool parseMaskPreset(const std::string& name, MaskPreset* preset)
{
    static const std::pair<const char*, MaskPreset> names[] = {
        {"left", MaskPreset::LeftHalf},      {"right", MaskPreset::RightHalf},   {"top", MaskPreset::TopHalf},
        {"bottom", MaskPreset::BottomHalf},  {"centre", MaskPreset::CentreSquare}, {"center", MaskPreset::CentreSquare},
        {"border", MaskPreset::Border},      {"random", MaskPreset::Random},
    };
    for (const auto& [n, p] : names) {
        if (name == n) {
            *preset = p;
            return true;
        }
    }
    return false;
}

std::string maskPresetName(MaskPreset preset)
{
    switch (preset) {
    case MaskPreset::LeftHalf: return "left";
    case MaskPreset::RightHalf: return "right";
    case MaskPreset::TopHalf: return "top";
    case MaskPreset::BottomHalf: return "bottom";
    case MaskPreset::CentreSquare: return "centre";
    case MaskPreset::Border: return "border";
    case MaskPreset::Random: return "random";
    }
    return "?";
}

ClampMask maskFromGrey(const std::uint8_t* grey, int width, int height, std::ptrdiff_t stride)
{
    checkSize(width, height);
    if (!grey)
        fail("clamp mask", "pixels", "expected an image buffer, got none");
    if (stride < width)
        fail("clamp mask", "stride", "expected >= width " + std::to_string(width) + ", got " + std::to_string(stride));
    ClampMask mask(width, height);
    for (int y = 0; y < height; ++y) {
        const std::uint8_t* row = grey + static_cast<std::ptrdiff_t>(y) * stride;
        for (int x = 0; x < width; ++x)
            mask.clamped[static_cast<std::size_t>(y * width + x)] = row[x] != 0 ? 1 : 0;
    }
    return mask;
}

std::vector<std::uint8_t> maskToGrey(const ClampMask& mask)
{
    std::vector<std::uint8_t> out(mask.clamped.size());
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = mask.clamped[i] ? 255 : 0;
    return out;
}

} // namespace gsn
