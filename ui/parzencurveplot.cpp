#include "parzencurveplot.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace gsn {

ParzenCurvePlot::ParzenCurvePlot(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("parzenCurvePlot"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void ParzenCurvePlot::setCurve(std::vector<std::pair<double, double>> curve, double chosen)
{
    m_curve = std::move(curve);
    m_chosen = chosen;
    update();
}

void ParzenCurvePlot::clear()
{
    m_curve.clear();
    m_chosen = 0.0;
    update();
}

void ParzenCurvePlot::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().base());
    const QFontMetrics fm = p.fontMetrics();
    const int left = fm.horizontalAdvance(QStringLiteral("-0000")) + 10;
    const int bottom = 2 * fm.height() + 6;
    const QRectF area(left, fm.height() / 2 + 4, width() - left - 12, height() - bottom - fm.height() / 2 - 4);
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(area);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRectF(area.left(), height() - fm.height() - 2, area.width(), fm.height()), Qt::AlignCenter,
               tr("sigma (log scale)"));
    if (m_curve.empty() || area.width() < 10 || area.height() < 10) {
        p.drawText(area, Qt::AlignCenter, tr("no evaluation yet"));
        return;
    }

    // Ranges: x = log10(sigma) over the grid (padded when it is a single width), y over the finite values.
    double xlo = std::log10(m_curve.front().first), xhi = xlo;
    double ylo = INFINITY, yhi = -INFINITY;
    for (const auto& [s, v] : m_curve) {
        xlo = std::min(xlo, std::log10(s));
        xhi = std::max(xhi, std::log10(s));
        if (std::isfinite(v)) {
            ylo = std::min(ylo, v);
            yhi = std::max(yhi, v);
        }
    }
    if (xhi - xlo < 1e-9) {
        xlo -= 0.5;
        xhi += 0.5;
    }
    if (!std::isfinite(ylo)) {
        ylo = -1;
        yhi = 1;
    }
    if (yhi - ylo < 1e-9) {
        ylo -= 1;
        yhi += 1;
    }
    const double pad = 0.08 * (yhi - ylo);
    ylo -= pad;
    yhi += pad;
    const auto px = [&](double sigma) { return area.left() + (std::log10(sigma) - xlo) / (xhi - xlo) * area.width(); };
    const auto py = [&](double v) { return area.bottom() - (v - ylo) / (yhi - ylo) * area.height(); };

    // Axis labels: sigma at the ends and the chosen one; y at the ends and zero when in range.
    p.setPen(palette().color(QPalette::Text));
    for (double s : {m_curve.front().first, m_curve.back().first}) {
        const QString t = QString::number(s, 'g', 3);
        p.drawText(QPointF(px(s) - fm.horizontalAdvance(t) / 2.0, area.bottom() + fm.ascent() + 3), t);
    }
    for (double v : {ylo + pad, yhi - pad}) {
        const QString t = QString::number(v, 'f', 0);
        p.drawText(QPointF(area.left() - fm.horizontalAdvance(t) - 4, py(v) + fm.ascent() / 2.0 - 1), t);
    }
    if (ylo < 0 && yhi > 0) {
        p.setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DotLine));
        p.drawLine(QPointF(area.left(), py(0)), QPointF(area.right(), py(0)));
    }

    // The chosen sigma: a vertical dashed line, its value under the axis.
    if (m_chosen > 0) {
        const double x = px(m_chosen);
        p.setPen(QPen(QColor(200, 40, 40), 1.5, Qt::DashLine));
        p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
        const QString t = QStringLiteral("σ = %1").arg(m_chosen, 0, 'g', 4);
        p.setPen(QColor(200, 40, 40));
        // Beside the line (right of it, or left near the right edge), clear of the dashes.
        const double w = fm.horizontalAdvance(t);
        const double tx = x + 6 + w <= area.right() ? x + 6 : std::max(area.left(), x - 6 - w);
        p.drawText(QPointF(tx, area.top() + fm.ascent() + 2), t);
    }

    QPainterPath path;
    bool started = false;
    for (const auto& [s, v] : m_curve) {
        if (!std::isfinite(v))
            continue;
        const QPointF pt(px(s), py(v));
        if (!started)
            path.moveTo(pt);
        else
            path.lineTo(pt);
        started = true;
    }
    p.setPen(QPen(QColor(30, 90, 180), 2));
    p.drawPath(path);
    for (const auto& [s, v] : m_curve) {
        if (!std::isfinite(v))
            continue;
        const bool chosen = std::abs(s - m_chosen) <= 1e-9 * m_chosen;
        p.setBrush(chosen ? QColor(200, 40, 40) : QColor(30, 90, 180));
        p.setPen(Qt::NoPen);
        p.drawEllipse(QPointF(px(s), py(v)), chosen ? 4.5 : 3.0, chosen ? 4.5 : 3.0);
    }
}

} // namespace gsn
