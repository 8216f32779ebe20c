#pragma once
// Conversions from engine pixel rows to QImage.

#include <QImage>

namespace gsn {

// One image row (shape = [height*width], row-major, values in [0, 1]) as an 8-bit grey QImage;
// level = round(clamp(v, 0, 1) * 255), the same rounding the chain view and exports use.
QImage greyImage(const float* pixels, int width, int height);

} // namespace gsn
