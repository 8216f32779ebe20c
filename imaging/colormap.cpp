#include "colormap.h"

#include <algorithm>
#include <cmath>

namespace gsn {

namespace {

// Degree-6 polynomial fits of matplotlib's perceptually uniform maps (Matt Zucker's public fits,
// shadertoy WlfXRN): c0 + t*(c1 + t*(c2 + ...)), per channel; within 5 of 255 levels of matplotlib's
// tables at the ends and closer in between, and smooth, which is what a display map needs.
using Poly = std::array<std::array<double, 3>, 7>;

constexpr Poly kViridis = {{
    {0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
    {0.1050930431085774, 1.404613529898575, 1.384590162594685},
    {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
    {-4.634230498983486, -5.799100973351585, -19.33244095627987},
    {6.228269936347081, 14.17993336680509, 56.69055260068105},
    {4.776384997670288, -13.74514537774601, -65.35303263337234},
    {-5.435455855934631, 4.645852612178535, 26.3124352495832},
}};

constexpr Poly kInferno = {{
    {0.0002189403691192265, 0.001651004631001012, -0.01948089843709184},
    {0.1065134194856116, 0.5639564367884091, 3.932712388889277},
    {11.60249308247187, -3.972853965665698, -15.9423941062914},
    {-41.70399613139459, 17.43639888205313, 44.35414519872813},
    {77.162935699427, -33.40235894210092, -81.80730925738993},
    {-71.31942824499214, 32.62606426397723, 73.20951985803202},
    {25.13112622477341, -12.24266895238567, -23.07032500287172},
}};

std::uint8_t toByte(double v)
{
    return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
}

ColorTable polyTable(const Poly& p)
{
    ColorTable table{};
    for (int i = 0; i < 256; ++i) {
        const double t = i / 255.0;
        for (int c = 0; c < 3; ++c) {
            double v = p[6][c];
            for (int k = 5; k >= 0; --k)
                v = v * t + p[k][c];
            table[i][c] = toByte(v);
        }
    }
    return table;
}

ColorTable greyTable(bool inverted)
{
    ColorTable table{};
    for (int i = 0; i < 256; ++i) {
        const auto g = static_cast<std::uint8_t>(inverted ? 255 - i : i);
        table[i] = {g, g, g};
    }
    return table;
}

} // namespace

const ColorTable& colorTable(ColorMap map)
{
    static const ColorTable grey = greyTable(false);
    static const ColorTable inverted = greyTable(true);
    static const ColorTable viridis = polyTable(kViridis);
    static const ColorTable inferno = polyTable(kInferno);
    switch (map) {
    case ColorMap::Grey: return grey;
    case ColorMap::InvertedGrey: return inverted;
    case ColorMap::Viridis: return viridis;
    case ColorMap::Inferno: return inferno;
    }
    return grey;
}

std::uint8_t greyLevel(float value)
{
    if (!(value > 0.0f)) // also catches NaN
        return 0;
    if (value >= 1.0f)
        return 255;
    return static_cast<std::uint8_t>(std::lround(value * 255.0f));
}

std::string colorMapName(ColorMap map)
{
    switch (map) {
    case ColorMap::Grey: return "Grey";
    case ColorMap::InvertedGrey: return "Inverted grey";
    case ColorMap::Viridis: return "Viridis";
    case ColorMap::Inferno: return "Inferno";
    }
    return "Grey";
}

std::string colorMapKey(ColorMap map)
{
    switch (map) {
    case ColorMap::Grey: return "grey";
    case ColorMap::InvertedGrey: return "grey-inverted";
    case ColorMap::Viridis: return "viridis";
    case ColorMap::Inferno: return "inferno";
    }
    return "grey";
}

bool colorMapFromKey(const std::string& key, ColorMap* map)
{
    for (ColorMap m : allColorMaps()) {
        if (colorMapKey(m) == key) {
            *map = m;
            return true;
        }
    }
    return false;
}

std::vector<ColorMap> allColorMaps()
{
    return {ColorMap::Grey, ColorMap::InvertedGrey, ColorMap::Viridis, ColorMap::Inferno};
}

} // namespace gsn
