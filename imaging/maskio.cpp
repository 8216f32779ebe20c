#include "maskio.h"

#include "error.h"
#include "imagedecode.h"

#include <QFileInfo>
#include <QImageReader>
#include <QSaveFile>

#include <algorithm>

namespace gsn {

QImage readMaskImage(const QString& path)
{
    return decodeImageFile(path, "mask", "a PNG image (1-bit or 8-bit)");
}

ClampMask maskFromImage(const QImage& image, int width, int height, bool scale, const QString& where)
{
    if (width < 1 || height < 1)
        fail(where.toStdString(), "mask size", "expected a positive model size");
    if (image.isNull())
        fail(where.toStdString(), "mask", "expected an image, got none");
    if (!maskImageFits(image, width, height) && !scale)
        fail(where.toStdString(), "mask size",
             "expected " + std::to_string(width) + "x" + std::to_string(height) + " like the model, got " +
                 std::to_string(image.width()) + "x" + std::to_string(image.height()) + " (scale it to fit?)");
    // Colour channels only: alpha does not decide, so an opaque black pixel is free.
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    ClampMask mask(width, height);
    for (int y = 0; y < height; ++y) {
        // Nearest neighbour at pixel centres: identity when the sizes agree.
        const int sy = std::min(rgb.height() - 1, static_cast<int>((y + 0.5) * rgb.height() / height));
        const auto* line = reinterpret_cast<const QRgb*>(rgb.constScanLine(sy));
        for (int x = 0; x < width; ++x) {
            const int sx = std::min(rgb.width() - 1, static_cast<int>((x + 0.5) * rgb.width() / width));
            mask.clamped[static_cast<std::size_t>(y * width + x)] = (line[sx] & 0x00ffffffu) != 0 ? 1 : 0;
        }
    }
    return mask;
}

ClampMask loadMask(const QString& path, int width, int height, bool scale)
{
    return maskFromImage(readMaskImage(path), width, height, scale, path);
}

QImage maskToImage(const ClampMask& mask, MaskBits bits)
{
    if (bits == MaskBits::One) {
        QImage image(mask.width, mask.height, QImage::Format_Mono);
        image.setColorTable({qRgb(0, 0, 0), qRgb(255, 255, 255)});
        image.fill(0);
        for (int y = 0; y < mask.height; ++y)
            for (int x = 0; x < mask.width; ++x)
                if (mask.isClamped(x, y))
                    image.setPixel(x, y, 1);
        return image;
    }
    QImage image(mask.width, mask.height, QImage::Format_Grayscale8);
    for (int y = 0; y < mask.height; ++y) {
        uchar* line = image.scanLine(y);
        for (int x = 0; x < mask.width; ++x)
            line[x] = mask.isClamped(x, y) ? 255 : 0;
    }
    return image;
}

void saveMask(const ClampMask& mask, const QString& path, MaskBits bits)
{
    const std::string where = path.toStdString();
    if (mask.size() < 1)
        fail(where, "mask", "expected a mask with pixels, got an empty one");
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        fail(where, "mask", "cannot write: " + file.errorString().toStdString());
    if (!maskToImage(mask, bits).save(&file, "PNG"))
        fail(where, "mask", "cannot encode PNG: " + file.errorString().toStdString());
    if (!file.commit())
        fail(where, "mask", "cannot write: " + file.errorString().toStdString());
}

QString maskProblem(const ClampMask& mask)
{
    if (mask.size() == 0)
        return QStringLiteral("the mask has no pixels");
    if (mask.clampedCount() == 0)
        return QStringLiteral("nothing is clamped: the mask holds no pixel fixed, so the chains would sample freely "
                              "(draw or pick a mask)");
    if (mask.freeCount() == 0)
        return QStringLiteral("every pixel is clamped: nothing is left to fill in (free some pixels)");
    return {};
}

} // namespace gsn
