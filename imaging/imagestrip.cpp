#include "imagestrip.h"

#include "greyimage.h"

#include <QFont>
#include <QFontMetrics>
#include <QPainter>

#include <algorithm>

namespace gsn {

QImage renderImageStrip(const std::vector<ImageStripRow>& rows, int width, int height, int scale, const QString& title)
{
    constexpr int kLabel = 36, kGap = 2, kMargin = 6, kText = 16;
    scale = std::max(1, scale);
    const int cell = width * scale, cellHeight = height * scale;
    Eigen::Index columns = 0;
    bool captions = false;
    for (const ImageStripRow& r : rows) {
        columns = std::max(columns, r.images.rows());
        captions = captions || !r.caption.isEmpty();
    }
    const int titleHeight = title.isEmpty() ? 0 : kText + 4;
    const int rowHeight = cellHeight + (captions ? kText + 2 : 0) + kMargin;
    const int imageWidth = kMargin + kLabel + static_cast<int>(columns) * (cell + kGap) + kMargin;
    const int imageHeight = kMargin + titleHeight + static_cast<int>(rows.size()) * rowHeight;
    QImage strip(std::max(imageWidth, 200), std::max(imageHeight, 40), QImage::Format_RGB32);
    strip.fill(Qt::white);
    QPainter painter(&strip);
    QFont font = painter.font();
    font.setPixelSize(12);
    painter.setFont(font);
    painter.setPen(Qt::black);
    int y = kMargin;
    if (!title.isEmpty()) {
        painter.drawText(QRect(kMargin, y, strip.width() - 2 * kMargin, kText), Qt::AlignLeft | Qt::AlignVCenter, title);
        y += titleHeight;
    }
    for (const ImageStripRow& r : rows) {
        QFont bold = font;
        bold.setBold(true);
        painter.setFont(bold);
        painter.drawText(QRect(kMargin, y, kLabel - 4, cellHeight), Qt::AlignRight | Qt::AlignVCenter, r.label);
        painter.setFont(font);
        for (Eigen::Index c = 0; c < r.images.rows(); ++c) {
            if (r.images.cols() != static_cast<Eigen::Index>(width) * height)
                break;
            const QImage grey = greyImage(r.images.row(c).data(), width, height);
            painter.drawImage(QRect(kMargin + kLabel + static_cast<int>(c) * (cell + kGap), y, cell, cellHeight), grey);
        }
        if (!r.caption.isEmpty())
            painter.drawText(QRect(kMargin + kLabel, y + cellHeight + 1, strip.width() - kLabel - 2 * kMargin, kText),
                             Qt::AlignLeft | Qt::AlignVCenter, QFontMetrics(font).elidedText(r.caption, Qt::ElideRight,
                                                                                              strip.width() - kLabel - 2 * kMargin));
        y += rowHeight;
    }
    return strip;
}

} // namespace gsn
