#include "losscurve.h"

#include "plotaxes.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace gsn {

namespace {

// Batches kept for drawing: older points are thinned (every other one dropped) beyond this.
constexpr std::size_t kMaxBatchPoints = 4000;

} // namespace

LossCurve::LossCurve(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("lossCurve"));
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void LossCurve::addBatch(double x, double loss)
{
    if (!std::isfinite(loss))
        return;
    m_batches.emplace_back(x, loss);
    if (m_batches.size() > kMaxBatchPoints) {
        // Halve the resolution so a long run costs constant memory and paint time.
        std::vector<QPointF> thinned;
        thinned.reserve(m_batches.size() / 2 + 1);
        for (std::size_t i = 0; i < m_batches.size(); i += 2)
            thinned.push_back(m_batches[i]);
        m_batches.swap(thinned);
    }
    update();
}

void LossCurve::addEpoch(double x, double loss)
{
    if (!std::isfinite(loss))
        return;
    m_epochs.emplace_back(x, loss);
    update();
}

void LossCurve::clear()
{
    m_batches.clear();
    m_epochs.clear();
    update();
}

void LossCurve::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm(font());
    const PlotMargins m = plotMargins(fm, QStringLiteral("0.0000"), false);
    const QRectF plot = QRectF(rect()).adjusted(m.left, m.top, -m.right, -m.bottom);
    AxisSpec xAxis{0, 1, tr("epoch")};
    AxisSpec yAxis{0, 1, tr("loss (nats)")};
    if (m_batches.empty() && m_epochs.empty()) {
        // No data, no made-up range: the frame and the titles only.
        p.setPen(palette().color(QPalette::Mid));
        p.drawRect(plot);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QRectF(plot.left(), plot.bottom() + 6 + fm.height(), plot.width(), fm.height()), Qt::AlignCenter,
                   xAxis.title);
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(plot, Qt::AlignCenter, tr("Loss per batch and per epoch\nappears here while training"));
        return;
    }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (const auto* series : {&m_batches, &m_epochs})
        for (const QPointF& pt : *series) {
            x0 = std::min(x0, pt.x());
            x1 = std::max(x1, pt.x());
            y0 = std::min(y0, pt.y());
            y1 = std::max(y1, pt.y());
        }
    x0 = std::floor(x0); // whole epochs at both ends
    x1 = std::max(x0 + 1.0, std::ceil(x1));
    if (y1 - y0 < 1e-9) {
        y0 -= 0.5 * std::max(1e-3, std::abs(y0));
        y1 += 0.5 * std::max(1e-3, std::abs(y1));
    }
    const double pad = 0.05 * (y1 - y0);
    y0 -= pad;
    y1 += pad;
    auto map = [&](QPointF pt) {
        return QPointF(plot.left() + (pt.x() - x0) / (x1 - x0) * plot.width(),
                       plot.bottom() - (pt.y() - y0) / (y1 - y0) * plot.height());
    };
    xAxis.lo = x0;
    xAxis.hi = x1;
    yAxis.lo = y0;
    yAxis.hi = y1;
    drawAxes(p, plot, xAxis, yAxis, palette());

    p.save();
    p.setClipRect(plot);
    if (m_batches.size() > 1) {
        QPainterPath path(map(m_batches.front()));
        for (std::size_t i = 1; i < m_batches.size(); ++i)
            path.lineTo(map(m_batches[i]));
        p.setPen(QPen(QColor(70, 130, 200, 170), 1.0));
        p.drawPath(path);
    }
    if (!m_epochs.empty()) {
        p.setPen(QPen(QColor(220, 90, 30), 2.0));
        for (std::size_t i = 1; i < m_epochs.size(); ++i)
            p.drawLine(map(m_epochs[i - 1]), map(m_epochs[i]));
        p.setBrush(QColor(220, 90, 30));
        for (const QPointF& pt : m_epochs)
            p.drawEllipse(map(pt), 3.0, 3.0);
    }
    p.restore();
    // Legend.
    p.setPen(QColor(70, 130, 200));
    p.drawText(plot.adjusted(6, 4, -6, -4), Qt::AlignTop | Qt::AlignRight, tr("batch"));
    p.setPen(QColor(220, 90, 30));
    p.drawText(plot.adjusted(6, 4 + fm.height(), -6, -4), Qt::AlignTop | Qt::AlignRight, tr("epoch mean"));
}

} // namespace gsn
