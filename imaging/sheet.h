#pragma once
// Sample sheets: a grid of chain images picked from a recorded sequence of frames (the GSN paper's
// figure layout: one row per chain, one column per shown step).
//
// Cells are taken in chain-major order (chain 0 at every shown step, then chain 1, ...) and fill the
// grid in reading order. With the defaults (rows = 0, columns = 0) that is one row per chain and one
// column per shown step. Pixel values are exact: grey level = round(255 * value) (colormap.h), so a
// PNG of the sheet holds precisely what the chains produced.

#include "colormap.h"
#include "tensor.h"

#include <QImage>
#include <QRect>

#include <cstdint>
#include <vector>

namespace gsn {

// One recorded step of C chains, as the sheet reads it (a view: `cells` must outlive the call).
struct SheetFrame {
    std::int64_t step = 0;          // chain step of this frame (0 = the start images)
    int width = 0;                  // image width in pixels
    int height = 0;                 // image height in pixels
    const Matrix* cells = nullptr;  // shape = [C, width*height], values in [0, 1]
};

// Views of any range of frame pointers with ->step, ->layout (an image), ->cells (e.g. FramePtr);
// null pointers are skipped.
template <class Range>
std::vector<SheetFrame> sheetFramesOf(const Range& frames)
{
    std::vector<SheetFrame> out;
    for (const auto& f : frames)
        if (f)
            out.push_back({static_cast<std::int64_t>(f->step), f->layout.width, f->layout.height, &f->cells});
    return out;
}

struct SheetOptions {
    std::vector<int> chains;        // chains to show, in this order; empty = all
    std::int64_t firstStep = 0;     // first step shown
    int every = 1;                  // show steps firstStep, firstStep + every, ... that were recorded
    int maxSteps = 0;               // at most this many steps per chain; 0 = all recorded
    int rows = 0;                   // grid rows; 0 = enough for every cell
    int columns = 0;                // grid columns; 0 = the number of shown steps
    int padding = 2;                // pixels between cells and around the sheet (in output pixels)
    int scale = 1;                  // each image pixel becomes scale x scale output pixels (1..64)
    float padValue = 0.5f;          // value (through the colour map) of the padding, in [0, 1]
    ColorMap colorMap = ColorMap::Grey;
};

// Where one chain image landed on the sheet.
struct SheetCell {
    int chain = 0;
    std::int64_t step = 0;
    QRect rect;                     // in sheet pixels
};

struct Sheet {
    QImage image;                   // Format_Grayscale8 for grey maps, Format_RGB32 otherwise
    std::vector<SheetCell> cells;   // reading order
    int rows = 0;
    int columns = 0;
    std::vector<std::int64_t> steps; // the shown steps, ascending
    std::vector<int> chains;         // the shown chains, in row order
};

// Lays out and draws the sheet. Throws gsn::Error when nothing matches (no frames, no recorded step
// >= firstStep on the every-grid), frames disagree in size, a chain index is out of range, or an
// option is out of range. A step recorded twice is shown once (the first recording).
Sheet renderSheet(const std::vector<SheetFrame>& frames, const SheetOptions& options);

// Parses a chain list such as "0-9", "0,3,5-7" or "all" (empty = all). Throws gsn::Error on bad text.
std::vector<int> parseChainList(const std::string& text, int chainCount);

} // namespace gsn
