#include "mixpanel.h"

#include "colormap.h"
#include "error.h"

#include <QFont>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace gsn {

QImage renderMixPanel(const Target& target, const std::array<double, 4>& box, const std::vector<float>& points,
                      const QStringList& title, int size)
{
    if (target.dimension() != 2)
        fail("mix panel", "target", "expected a 2D target, got dimension " + std::to_string(target.dimension()));
    const int band = 16 * std::max<int>(1, static_cast<int>(title.size())) + 8;
    QImage image(size, size + band, QImage::Format_RGB32);
    image.fill(Qt::white);

    // Heatmap: log-density at every pixel centre, exp(log p - max) so the densest pixel is full scale.
    const double dx = (box[1] - box[0]) / size, dy = (box[3] - box[2]) / size;
    Matrix centres(static_cast<Eigen::Index>(size) * size, 2);
    for (int r = 0; r < size; ++r)
        for (int c = 0; c < size; ++c) {
            centres(r * size + c, 0) = static_cast<float>(box[0] + (c + 0.5) * dx);
            centres(r * size + c, 1) = static_cast<float>(box[3] - (r + 0.5) * dy);  // row 0 at the top
        }
    const Vector logp = target.logDensity(centres);
    float top = -std::numeric_limits<float>::infinity();
    for (Eigen::Index i = 0; i < logp.size(); ++i)
        if (std::isfinite(logp(i)))
            top = std::max(top, logp(i));
    const ColorTable& table = colorTable(ColorMap::Inferno);
    for (int r = 0; r < size; ++r) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(band + r));
        for (int c = 0; c < size; ++c) {
            const float l = logp(r * size + c);
            const float v = std::isfinite(l) && std::isfinite(top) ? std::exp(l - top) : 0.0f;
            const auto& rgb = table[greyLevel(v)];
            line[c] = qRgb(rgb[0], rgb[1], rgb[2]);
        }
    }

    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(120, 220, 255, 170));
    const std::size_t n = points.size() / 2;
    for (std::size_t i = 0; i < n; ++i) {
        const double px = (points[2 * i] - box[0]) / dx, py = (box[3] - points[2 * i + 1]) / dy;
        if (px >= 0 && px < size && py >= 0 && py < size)
            painter.drawEllipse(QPointF(px, band + py), 1.6, 1.6);
    }
    painter.setPen(Qt::black);
    QFont font = painter.font();
    font.setPixelSize(12);
    painter.setFont(font);
    for (int i = 0; i < title.size(); ++i)
        painter.drawText(QRectF(4, 4 + 16 * i, size - 8, 16), Qt::AlignLeft | Qt::AlignVCenter, title[i]);
    return image;
}

QImage joinPanels(const std::vector<QImage>& panels)
{
    const int gap = 8;
    int width = gap, height = 0;
    for (const QImage& p : panels) {
        width += p.width() + gap;
        height = std::max(height, p.height());
    }
    QImage out(width, height + 2 * gap, QImage::Format_RGB32);
    out.fill(Qt::white);
    QPainter painter(&out);
    int x = gap;
    for (const QImage& p : panels) {
        painter.drawImage(x, gap, p);
        x += p.width() + gap;
    }
    return out;
}

} // namespace gsn
