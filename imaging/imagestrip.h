#pragma once
// A strip of image rows with a label at the left of each row and a line of text under it: the
// interpolation strip of the Class mixing window and of `gsn interpolate` (rows x, h1, h2 of decoded
// images, their figures under each row; docs/mixing.md "Interpolation in x, h1 and h2").

#include "tensor.h"

#include <QImage>
#include <QString>

#include <vector>

namespace gsn {

struct ImageStripRow {
    QString label;   // at the left ("x", "h1", ...)
    Matrix images;   // shape = [N, width * height], values in [0, 1], drawn left to right
    QString caption; // under the images (may be empty)
};

// The strip: every image drawn at `scale` x its size (nearest neighbour, grey levels as greyImage),
// one row per entry, a title line on top (may be empty). White background, black text.
QImage renderImageStrip(const std::vector<ImageStripRow>& rows, int width, int height, int scale, const QString& title);

} // namespace gsn
