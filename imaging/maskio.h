#pragma once
// Clamp masks as PNG files (SPEC 3 inpainting): 1-bit or 8-bit grey, any non-zero pixel = clamped.
//
// Reading is split so the UI can ask before scaling: readMaskImage() decodes (or says clearly that the
// file is not an image), maskFromImage() converts at the image's own size or, when asked, scales it to
// the model's size (nearest neighbour, so a mask stays a mask). Writing is atomic (QSaveFile).

#include "clampmask.h"

#include <QImage>
#include <QString>

namespace gsn {

// Decodes a mask file. Throws gsn::Error (path, "mask", "expected a PNG/JPEG/... image ...") when the
// file is missing, unreadable or not an image.
QImage readMaskImage(const QString& path);

// True when the image already has the given size.
inline bool maskImageFits(const QImage& image, int width, int height)
{
    return image.width() == width && image.height() == height;
}

// The mask of an image: a pixel is clamped when any of its colour channels is non-zero (so 1-bit,
// 8-bit grey and colour masks all read as drawn). When the size differs from width x height: with
// scale = false throws gsn::Error ("mask size", "expected WxH, got wxh (scale it?)"); with scale = true
// resamples by nearest neighbour (pixel centres). `where` names the source in messages.
ClampMask maskFromImage(const QImage& image, int width, int height, bool scale, const QString& where = "mask");

// Reads a mask file at width x height (readMaskImage + maskFromImage).
ClampMask loadMask(const QString& path, int width, int height, bool scale = false);

// The mask as an image: 1-bit (Format_Mono, 0 = free, 1 = clamped drawn white) or 8-bit grey
// (0 = free, 255 = clamped).
enum class MaskBits { One, Eight };
QImage maskToImage(const ClampMask& mask, MaskBits bits = MaskBits::Eight);

// Saves the mask as PNG, atomically. Throws gsn::Error (path, "mask", the system's reason) on failure.
void saveMask(const ClampMask& mask, const QString& path, MaskBits bits = MaskBits::Eight);

// The clear message for a mask that cannot inpaint anything, or empty when it can:
// nothing clamped ("nothing is clamped: ...") or nothing free ("every pixel is clamped: ...").
QString maskProblem(const ClampMask& mask);

} // namespace gsn
