#pragma once
// Images as base64 PNG text, for provenance entries of sheets ("Mask", "Source-Image" text chunks).

#include <QImage>
#include <QString>

namespace gsn {

// A PNG of the image as base64 text (for provenance entries), and back (null image on bad text).
QString imageToBase64Png(const QImage& image);
QImage imageFromBase64Png(const QString& text);

} // namespace gsn
