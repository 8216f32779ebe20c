#include "parzencurveplot.h"

#include "plotaxes.h"

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
    // The top line holds the chosen sigma's value, above the data: the curve peaks at the chosen sigma
    // (it is the argmax), so a label inside the area would sit on the curve.
    const PlotMargins m = plotMargins(fm, QStringLiteral("-0000"), true);
    const QRectF area = QRectF(rect()).adjusted(m.left, m.top, -m.right, -m.bottom);
    AxisSpec xAxis{0, 1, tr("sigma (log scale)")};
    xAxis.logScale = true;
    AxisSpec yAxis{0, 1, tr("validation log-lik. (nats)")};
    if (m_curve.empty() || area.width() < 10 || area.height() < 10) {
        p.setPen(palette().color(QPalette::Mid));
        p.drawRect(area);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QRectF(area.left(), area.bottom() + 6 + fm.height(), area.width(), fm.height()), Qt::AlignCenter,
                   xAxis.title);
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

    // x ticks: the grid's ends and its decades; y: nice ticks.
    xAxis.lo = xlo;
    xAxis.hi = xhi;
    xAxis.ticks = {xlo, xhi};
    for (double d = std::floor(xlo); d <= std::ceil(xhi); d += 1.0)
        for (double mantissa : {1.0, 2.0, 5.0}) {
            const double t = d + std::log10(mantissa);
            if (t > xlo + 0.05 && t < xhi - 0.05)
                xAxis.ticks.push_back(t);
        }
    std::sort(xAxis.ticks.begin(), xAxis.ticks.end());
    yAxis.lo = ylo;
    yAxis.hi = yhi;
    drawAxes(p, area, xAxis, yAxis, palette());
    if (ylo < 0 && yhi > 0) {
        p.setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DotLine));
        p.drawLine(QPointF(area.left(), py(0)), QPointF(area.right(), py(0)));
    }

    // The chosen sigma: a vertical dashed line, its value above the area.
    if (m_chosen > 0) {
        const double x = px(m_chosen);
        p.setPen(QPen(QColor(200, 40, 40), 1.5, Qt::DashLine));
        p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
        const QString t = QStringLiteral("chosen σ = %1").arg(m_chosen, 0, 'g', 4);
        p.setPen(QColor(200, 40, 40));
        const double w = fm.horizontalAdvance(t);
        const double tx = std::clamp(x - w / 2.0, area.left(), std::max(area.left(), area.right() - w));
        p.drawText(QPointF(tx, area.top() - 4 - fm.descent()), t);
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
