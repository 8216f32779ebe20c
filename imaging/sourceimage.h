#pragma once
// The source image of an inpainting run: the picture whose clamped pixels the chains hold fixed.
// It comes from a dataset (by index, or the next example of a class), from a PNG/JPEG file (converted
// to grey, centre-cropped to the model's aspect and scaled to its size, optionally inverted), or from
// the current sample of a running chain. Qt Gui only (no widgets): `gsn inpaint` and the studio share
// it; the picking dialog is ui/sourceimagedialog.h.

#include "dataset.h"

#include <QImage>
#include <QString>

#include <vector>

namespace gsn {

// A source image: shape = [height * width], values in [0, 1], plus where it came from (for provenance).
struct SourceImage {
    std::vector<float> pixels;
    int width = 0;
    int height = 0;
    QString origin;            // e.g. "mnist-test #17 (class 7)", "photo.png (cropped, scaled, inverted)"
    bool valid() const { return width > 0 && height > 0 && pixels.size() == std::size_t(width) * height; }
};

// How a file image becomes a source image.
struct SourceConvert {
    bool invert = false;       // 1 - grey (dark strokes on white paper -> MNIST-like white on black)
};

// True when the image has colour (some pixel with R, G, B not all equal).
bool imageHasColour(const QImage& image);

// Converts any image to the model's size: luminance grey (0.299 R + 0.587 G + 0.114 B), the largest
// centred crop with the target's aspect ratio, smooth scaling to width x height, optional inversion.
// Throws gsn::Error for a null image or a non-positive size.
SourceImage convertToSource(const QImage& image, int width, int height, const SourceConvert& convert,
                            const QString& origin);

// Reads an image file exactly as it is: it must already be width x height and grey, else gsn::Error
// with the reason ("expected 28x28 like the model, got 640x480", "expected a grey image, got colour")
// and the hint to convert it (studio: Open image; CLI: --fit). Not an image -> gsn::Error too.
SourceImage readExactSource(const QString& path, int width, int height);

// Reads and converts an image file (readable image required, any size or colour).
SourceImage readConvertedSource(const QString& path, int width, int height, const SourceConvert& convert);

// Example `index` of a dataset as a source image. Throws gsn::Error for a bad index or size.
SourceImage sourceFromDataset(const Dataset& data, int index);

// The index of the first example of class `label` after `after` (wrapping), or -1 when none.
int nextOfClass(const Dataset& data, int label, int after);

} // namespace gsn
