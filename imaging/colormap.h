#pragma once
// Colour maps for grey-level images: value in [0, 1] -> 8-bit RGB. The same 256-entry tables are
// uploaded to the GPU by the chain view and used on the CPU by exports, so both agree exactly.
// Plain C++ (no Qt).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace gsn {

enum class ColorMap { Grey, InvertedGrey, Viridis, Inferno };

using ColorTable = std::array<std::array<std::uint8_t, 3>, 256>; // [level][r, g, b]

// The 256-entry table of a map; level = round(clamp(value, 0, 1) * 255).
const ColorTable& colorTable(ColorMap map);

// Grey level a value is drawn with: round(clamp(v, 0, 1) * 255); NaN maps to 0.
std::uint8_t greyLevel(float value);

// Display name ("Grey", "Inverted grey", "Viridis", "Inferno") and stable key ("grey", "grey-inverted", ...).
std::string colorMapName(ColorMap map);
std::string colorMapKey(ColorMap map);
// Parses a key; returns false (and leaves *map alone) for an unknown key.
bool colorMapFromKey(const std::string& key, ColorMap* map);
std::vector<ColorMap> allColorMaps();

} // namespace gsn
