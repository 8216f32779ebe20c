#include "sheet.h"

#include "error.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace gsn {

namespace {

constexpr const char* kWhere = "sample sheet";

} // namespace

Sheet renderSheet(const std::vector<SheetFrame>& frames, const SheetOptions& options)
{
    if (options.every < 1)
        fail(kWhere, "every", "expected >= 1, got " + std::to_string(options.every));
    if (options.scale < 1 || options.scale > 64)
        fail(kWhere, "scale", "expected 1..64, got " + std::to_string(options.scale));
    if (options.padding < 0 || options.padding > 256)
        fail(kWhere, "padding", "expected 0..256, got " + std::to_string(options.padding));
    if (options.rows < 0 || options.columns < 0 || options.maxSteps < 0)
        fail(kWhere, "rows/columns", "expected >= 0 (0 = automatic)");
    if (!(options.padValue >= 0.0f && options.padValue <= 1.0f))
        fail(kWhere, "padding value", "expected a value in [0, 1]");
    if (frames.empty())
        fail(kWhere, "frames", "expected recorded frames, got none");

    // Pick the shown steps: recorded, >= firstStep, on the every-grid; first recording of a step wins.
    std::map<std::int64_t, const SheetFrame*> byStep;
    const SheetFrame& first = frames.front();
    for (const SheetFrame& f : frames) {
        if (!f.cells || f.width <= 0 || f.height <= 0 || f.cells->cols() != static_cast<Eigen::Index>(f.width) * f.height)
            fail(kWhere, "frame at step " + std::to_string(f.step), "expected width*height columns");
        if (f.width != first.width || f.height != first.height || f.cells->rows() != first.cells->rows())
            fail(kWhere, "frame at step " + std::to_string(f.step),
                 "expected the size of the first frame (" + std::to_string(first.cells->rows()) + " chains of " +
                     std::to_string(first.width) + "x" + std::to_string(first.height) + ")");
        if (f.step >= options.firstStep && (f.step - options.firstStep) % options.every == 0)
            byStep.emplace(f.step, &f);
    }
    if (byStep.empty())
        fail(kWhere, "steps", "expected a recorded step " + std::to_string(options.firstStep) + " + k*" +
                                  std::to_string(options.every) + ", got none");
    std::vector<const SheetFrame*> shown;
    Sheet sheet;
    for (const auto& [step, f] : byStep) {
        if (options.maxSteps > 0 && static_cast<int>(shown.size()) == options.maxSteps)
            break;
        shown.push_back(f);
        sheet.steps.push_back(step);
    }

    const int chainCount = static_cast<int>(first.cells->rows());
    sheet.chains = options.chains;
    if (sheet.chains.empty())
        for (int c = 0; c < chainCount; ++c)
            sheet.chains.push_back(c);
    for (int c : sheet.chains)
        if (c < 0 || c >= chainCount)
            fail(kWhere, "chains", "expected chain indices in [0, " + std::to_string(chainCount) + "), got " +
                                       std::to_string(c));

    const long long cellCount = static_cast<long long>(sheet.chains.size()) * static_cast<long long>(shown.size());
    long long columns = options.columns > 0 ? options.columns : static_cast<long long>(shown.size());
    long long rows = options.rows > 0 ? options.rows : (cellCount + columns - 1) / columns;
    if (options.rows > 0 && options.columns == 0)
        columns = (cellCount + rows - 1) / rows;
    const long long cellW = static_cast<long long>(first.width) * options.scale;
    const long long cellH = static_cast<long long>(first.height) * options.scale;
    const long long pad = options.padding;
    const long long imageW = columns * cellW + (columns + 1) * pad;
    const long long imageH = rows * cellH + (rows + 1) * pad;
    // QImage and PNG readers choke far below this; a clear message instead of an allocation failure.
    if (imageW > 32767 || imageH > 32767 || imageW * imageH > 400LL * 1000 * 1000)
        fail(kWhere, "size", "expected at most 32767 x 32767 pixels, got " + std::to_string(imageW) + " x " +
                                 std::to_string(imageH) + " (fewer rows, columns or a smaller scale)");
    sheet.rows = static_cast<int>(rows);
    sheet.columns = static_cast<int>(columns);

    const bool grey = options.colorMap == ColorMap::Grey || options.colorMap == ColorMap::InvertedGrey;
    const ColorTable& table = colorTable(options.colorMap);
    QImage image(static_cast<int>(imageW), static_cast<int>(imageH),
                 grey ? QImage::Format_Grayscale8 : QImage::Format_RGB32);
    if (image.isNull())
        fail(kWhere, "size", "could not allocate " + std::to_string(imageW) + " x " + std::to_string(imageH) + " pixels");
    const auto& padColour = table[greyLevel(options.padValue)];
    // fill(uint) writes the raw pixel value: the grey byte itself, or the RGB32 word.
    image.fill(grey ? static_cast<uint>(padColour[0]) : static_cast<uint>(qRgb(padColour[0], padColour[1], padColour[2])));

    const int w = first.width;
    const int h = first.height;
    const int s = options.scale;
    const long long usable = std::min(cellCount, rows * columns);
    for (long long k = 0; k < usable; ++k) {
        const int chain = sheet.chains[static_cast<std::size_t>(k / static_cast<long long>(shown.size()))];
        const SheetFrame& f = *shown[static_cast<std::size_t>(k % static_cast<long long>(shown.size()))];
        const int x0 = static_cast<int>(pad + (k % columns) * (cellW + pad));
        const int y0 = static_cast<int>(pad + (k / columns) * (cellH + pad));
        sheet.cells.push_back({chain, f.step, QRect(x0, y0, w * s, h * s)});
        const float* px = f.cells->row(chain).data();
        for (int y = 0; y < h; ++y) {
            for (int sy = 0; sy < s; ++sy) {
                uchar* line = image.scanLine(y0 + y * s + sy);
                for (int x = 0; x < w; ++x) {
                    const std::uint8_t level = greyLevel(px[y * w + x]);
                    if (grey) {
                        std::fill_n(line + x0 + x * s, s, table[level][0]);
                    } else {
                        const auto& c = table[level];
                        auto* out = reinterpret_cast<QRgb*>(line) + x0 + x * s;
                        std::fill_n(out, s, qRgb(c[0], c[1], c[2]));
                    }
                }
            }
        }
    }
    sheet.image = image;
    return sheet;
}

std::vector<int> parseChainList(const std::string& text, int chainCount)
{
    std::vector<int> out;
    if (text.empty() || text == "all") {
        for (int c = 0; c < chainCount; ++c)
            out.push_back(c);
        return out;
    }
    std::stringstream parts(text);
    std::string part;
    auto number = [&](const std::string& s) {
        std::size_t used = 0;
        int v = -1;
        try {
            v = std::stoi(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != s.size() || s.empty() || v < 0 || v >= chainCount)
            fail(kWhere, "chains", "expected chain numbers in [0, " + std::to_string(chainCount) + ") like 0-9,12, got '" +
                                       text + "'");
        return v;
    };
    while (std::getline(parts, part, ',')) {
        const auto dash = part.find('-');
        if (dash == std::string::npos) {
            out.push_back(number(part));
        } else {
            const int a = number(part.substr(0, dash));
            const int b = number(part.substr(dash + 1));
            if (b < a)
                fail(kWhere, "chains", "expected an increasing range, got '" + part + "'");
            for (int c = a; c <= b; ++c)
                out.push_back(c);
        }
    }
    if (out.empty())
        fail(kWhere, "chains", "expected at least one chain, got '" + text + "'");
    return out;
}

} // namespace gsn
