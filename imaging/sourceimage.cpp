#include "sourceimage.h"

#include "error.h"
#include "greyimage.h"
#include "imagedecode.h"

#include <QFileInfo>
#include <QImageReader>

#include <algorithm>
#include <cmath>

namespace gsn {

namespace {

QImage readImageFile(const QString& path)
{
    return decodeImageFile(path, "image", "a PNG or JPEG image");
}

std::string sizeText(int w, int h)
{
    return std::to_string(w) + "x" + std::to_string(h);
}

} // namespace

bool imageHasColour(const QImage& image)
{
    if (image.isGrayscale())
        return false;
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < rgb.height(); ++y) {
        const auto* line = reinterpret_cast<const QRgb*>(rgb.constScanLine(y));
        for (int x = 0; x < rgb.width(); ++x)
            if (qRed(line[x]) != qGreen(line[x]) || qGreen(line[x]) != qBlue(line[x]))
                return true;
    }
    return false;
}

SourceImage convertToSource(const QImage& image, int width, int height, const SourceConvert& convert,
                            const QString& origin)
{
    if (image.isNull())
        fail(origin.toStdString(), "image", "expected an image, got none");
    if (width < 1 || height < 1)
        fail(origin.toStdString(), "image size", "expected a positive model size");
    // Largest centred crop with the target's aspect ratio, so nothing is stretched.
    const double target = double(width) / height;
    int cw = image.width(), ch = image.height();
    if (double(cw) / ch > target)
        cw = std::max(1, static_cast<int>(std::lround(ch * target)));
    else
        ch = std::max(1, static_cast<int>(std::lround(cw / target)));
    const QImage cropped = image.copy((image.width() - cw) / 2, (image.height() - ch) / 2, cw, ch)
                               .convertToFormat(QImage::Format_RGB32)
                               .scaled(width, height, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    SourceImage out;
    out.width = width;
    out.height = height;
    out.pixels.resize(static_cast<std::size_t>(width) * height);
    for (int y = 0; y < height; ++y) {
        const auto* line = reinterpret_cast<const QRgb*>(cropped.constScanLine(y));
        for (int x = 0; x < width; ++x) {
            const QRgb p = line[x];
            // Round to a grey level first, so a converted image holds exactly what a grey PNG would.
            const int level = static_cast<int>(std::lround(0.299 * qRed(p) + 0.587 * qGreen(p) + 0.114 * qBlue(p)));
            const float v = std::clamp(level, 0, 255) / 255.0f;
            out.pixels[static_cast<std::size_t>(y * width + x)] = convert.invert ? 1.0f - v : v;
        }
    }
    QStringList notes;
    if (cw != image.width() || ch != image.height())
        notes << "cropped";
    if (cw != width || ch != height)
        notes << "scaled";
    if (imageHasColour(image))
        notes << "grey";
    if (convert.invert)
        notes << "inverted";
    out.origin = origin + (notes.isEmpty() ? QString() : " (" + notes.join(", ") + ")");
    return out;
}

SourceImage readExactSource(const QString& path, int width, int height)
{
    const QImage image = readImageFile(path);
    const std::string where = path.toStdString();
    if (image.width() != width || image.height() != height)
        fail(where, "image size", "expected " + sizeText(width, height) + " like the model, got " +
                                      sizeText(image.width(), image.height()) +
                                      " (crop and scale it: --fit, or Open image in the studio)");
    if (imageHasColour(image))
        fail(where, "image", "expected a grey image, got colour (convert it: --fit, or Open image in the studio)");
    return convertToSource(image, width, height, {}, QFileInfo(path).fileName());
}

SourceImage readConvertedSource(const QString& path, int width, int height, const SourceConvert& convert)
{
    return convertToSource(readImageFile(path), width, height, convert, QFileInfo(path).fileName());
}

SourceImage sourceFromDataset(const Dataset& data, int index)
{
    if (index < 0 || index >= data.count())
        fail(data.name, "index", "expected an example in [0, " + std::to_string(data.count()) + "), got " +
                                     std::to_string(index));
    SourceImage out;
    out.width = data.width;
    out.height = data.height;
    const auto row = data.pixels.row(index);
    out.pixels.assign(row.data(), row.data() + data.dimension());
    out.origin = QString::fromStdString(data.name) + " #" + QString::number(index);
    if (!data.labels.empty())
        out.origin += " (class " + QString::number(data.labels[static_cast<std::size_t>(index)]) + ")";
    return out;
}

int nextOfClass(const Dataset& data, int label, int after)
{
    const int n = static_cast<int>(data.labels.size());
    for (int k = 1; k <= n; ++k) {
        const int i = ((after + k) % n + n) % n;
        if (data.labels[static_cast<std::size_t>(i)] == label)
            return i;
    }
    return -1;
}

} // namespace gsn
