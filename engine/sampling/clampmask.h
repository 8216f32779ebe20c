#pragma once
// Clamp masks for inpainting chains (SPEC 3): which pixels of an image are held fixed.
//
// A mask is a width x height grid of flags, row-major like the images (pixel i = y * width + x).
// Presets produce exact, documented pixel sets; reading PNG files is the UI's job (Qt), which hands
// the decoded 8-bit grey buffer to maskFromGrey().

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gsn {

struct ClampMask {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> clamped;   // shape = [height * width], 1 = clamped (held fixed), 0 = free

    // An all-free mask of the given size.
    ClampMask() = default;
    ClampMask(int w, int h);

    int size() const { return width * height; }
    bool isClamped(int x, int y) const { return clamped[static_cast<std::size_t>(y * width + x)] != 0; }
    int clampedCount() const;
    int freeCount() const { return size() - clampedCount(); }
    // Indices (y * width + x) of the clamped pixels in increasing order.
    std::vector<int> clampedIndices() const;
    // The complementary mask (clamped <-> free).
    ClampMask inverted() const;

    bool operator==(const ClampMask&) const = default;
};

enum class MaskPreset {
    LeftHalf,      // columns x < width / 2
    RightHalf,     // columns x >= width / 2 (exact complement of LeftHalf)
    TopHalf,       // rows y < height / 2
    BottomHalf,    // rows y >= height / 2 (exact complement of TopHalf)
    CentreSquare,  // a square of side min(width, height) / 2 starting at ((width - side) / 2, (height - side) / 2)
    Border,        // pixels whose distance to the nearest edge is < thickness
    Random,        // exactly round(fraction * width * height) pixels, chosen uniformly (Philox seeded)
};

struct MaskPresetOptions {
    int borderThickness = 4;     // Border: width of the clamped frame in pixels (>= 1)
    double fraction = 0.5;       // Random: share of clamped pixels, in [0, 1]
    std::uint64_t seed = 1;      // Random: seed of the Philox stream that chooses the pixels
};

// Builds a preset mask of the given size. Throws gsn::Error for a non-positive size or a bad option.
ClampMask makeMask(MaskPreset preset, int width, int height, const MaskPresetOptions& options = {});

// Preset by name: "left", "right", "top", "bottom", "centre" (or "center"), "border", "random".
// Returns false for an unknown name.
bool parseMaskPreset(const std::string& name, MaskPreset* preset);
std::string maskPresetName(MaskPreset preset);

// A mask from an 8-bit grey buffer (any non-zero byte = clamped). `stride` is the number of bytes
// between rows (>= width). Throws gsn::Error for a null buffer or bad sizes.
ClampMask maskFromGrey(const std::uint8_t* grey, int width, int height, std::ptrdiff_t stride);

// The mask as an 8-bit grey image, 255 = clamped, 0 = free; shape = [height * width].
std::vector<std::uint8_t> maskToGrey(const ClampMask& mask);

} // namespace gsn
