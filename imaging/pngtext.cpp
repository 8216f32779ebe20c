#include "pngtext.h"

#include <QBuffer>
#include <QByteArray>

namespace gsn {

QString imageToBase64Png(const QImage& image)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return QString::fromLatin1(bytes.toBase64());
}

QImage imageFromBase64Png(const QString& text)
{
    QImage image;
    image.loadFromData(QByteArray::fromBase64(text.toLatin1()), "PNG");
    return image;
}

} // namespace gsn
