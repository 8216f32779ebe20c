#include "plotaxes.h"

#include <QFontMetrics>
#include <QPalette>

#include <algorithm>
#include <cmath>

namespace gsn {

std::vector<double> niceTicks(double lo, double hi, int target)
{
    std::vector<double> ticks;
    if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo || target < 1)
        return ticks;
    const double raw = (hi - lo) / target;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    double step = power;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        step = m * power;
        if (step >= raw)
            break;
    }
    const double first = std::ceil(lo / step - 1e-9) * step;
    for (double v = first; v <= hi + step * 1e-9 && ticks.size() < 100; v += step)
        ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    return ticks;
}

QString tickLabel(double value, double step)
{
    const int decimals = step > 0 && step < 1 ? int(std::ceil(-std::log10(step) - 1e-9)) : 0;
    return QString::number(value, 'f', std::clamp(decimals, 0, 6));
}

PlotMargins plotMargins(const QFontMetrics& fm, const QString& widestYLabel, bool topLine)
{
    PlotMargins m;
    m.left = fm.height() + 4 + fm.horizontalAdvance(widestYLabel) + 6;
    m.top = (topLine ? fm.height() + 4 : fm.height() / 2.0 + 2);
    m.right = 12;
    m.bottom = 2.0 * fm.height() + 8;
    return m;
}

void drawAxes(QPainter& p, const QRectF& area, const AxisSpec& x, const AxisSpec& y, const QPalette& palette)
{
    const QFontMetrics fm = p.fontMetrics();
    p.save();
    p.setBrush(Qt::NoBrush);
    p.setPen(palette.color(QPalette::Mid));
    p.drawRect(area);
    const auto px = [&](double v) { return area.left() + (v - x.lo) / (x.hi - x.lo) * area.width(); };
    const auto py = [&](double v) { return area.bottom() - (v - y.lo) / (y.hi - y.lo) * area.height(); };
    const auto label = [](const AxisSpec& axis, double v, double step) {
        if (!axis.logScale)
            return tickLabel(v, step);
        return QString::number(std::pow(10.0, v), 'g', 3);
    };

    const std::vector<double> xt = x.ticks.empty() ? niceTicks(x.lo, x.hi, 5) : x.ticks;
    const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1.0;
    double lastRight = -1e9;
    for (double v : xt) {
        if (v < x.lo - 1e-9 * std::abs(x.hi - x.lo) || v > x.hi + 1e-9 * std::abs(x.hi - x.lo))
            continue;
        const double sx = px(v);
        p.setPen(palette.color(QPalette::Mid));
        p.drawLine(QPointF(sx, area.bottom()), QPointF(sx, area.bottom() + 4));
        const QString t = label(x, v, xstep);
        const double w = fm.horizontalAdvance(t);
        const double left = std::clamp(sx - w / 2.0, area.left() - 8.0, area.right() + 8.0 - w);
        if (left < lastRight + 6)
            continue; // would overlap the previous label
        p.setPen(palette.color(QPalette::Text));
        p.drawText(QPointF(left, area.bottom() + 4 + fm.ascent()), t);
        lastRight = left + w;
    }
    const std::vector<double> yt = y.ticks.empty() ? niceTicks(y.lo, y.hi, std::max(2, int(area.height() / (2.5 * fm.height())))) : y.ticks;
    const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1.0;
    for (double v : yt) {
        if (v < y.lo || v > y.hi)
            continue;
        const double sy = py(v);
        p.setPen(palette.color(QPalette::Mid));
        p.drawLine(QPointF(area.left() - 4, sy), QPointF(area.left(), sy));
        const QString t = label(y, v, ystep);
        p.setPen(palette.color(QPalette::Text));
        p.drawText(QPointF(area.left() - 6 - fm.horizontalAdvance(t), sy + fm.ascent() / 2.0 - 1), t);
    }
    p.setPen(palette.color(QPalette::Text));
    if (!x.title.isEmpty())
        p.drawText(QRectF(area.left(), area.bottom() + 6 + fm.height(), area.width(), fm.height()), Qt::AlignCenter,
                   x.title);
    if (!y.title.isEmpty()) {
        p.translate(2, area.center().y());
        p.rotate(-90);
        p.drawText(QRectF(-area.height() / 2.0, 0, area.height(), fm.height()), Qt::AlignCenter, y.title);
    }
    p.restore();
}

} // namespace gsn
