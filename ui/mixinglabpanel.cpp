#include "mixinglabpanel.h"

#include "colormap.h"
#include "error.h"
#include "plotaxes.h"

#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QPainterPath>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTimer>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace gsn {

namespace {

// Contour levels, as fractions of the largest density over the target's view box.
constexpr std::array<double, 4> kContourLevels = {0.05, 0.25, 0.5, 0.75};
constexpr int kMaxDensityPixels = 640;
constexpr double kMarginalStrip = 34;            // pixels of the marginal histograms' strips           // per axis: the image is scaled up beyond that
const QColor kMovedColor(80, 220, 255);           // a step that changed the state: filled circle
const QColor kStayedColor(255, 255, 255);         // a step that kept it (a rejected proposal): cross
constexpr std::size_t kDenseChains = 2000;         // above: the chains' states are splatted as pixels

double logTopOver(const Target& target, const std::array<double, 4>& box, int n)
{
    Matrix centres(static_cast<Eigen::Index>(n) * n, 2);
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
            centres(r * n + c, 0) = static_cast<float>(box[0] + (c + 0.5) * (box[1] - box[0]) / n);
            centres(r * n + c, 1) = static_cast<float>(box[2] + (r + 0.5) * (box[3] - box[2]) / n);
        }
    const Vector logp = target.logDensity(centres);
    double top = -std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i < logp.size(); ++i)
        if (std::isfinite(logp(i)))
            top = std::max(top, static_cast<double>(logp(i)));
    return top;
}

// Marching squares over the pixel-centre grid `v` (w x h, row 0 at the top) at `level`: segments in
// data coordinates.
void contourSegments(const std::vector<float>& v, int w, int h, float level, const std::array<double, 4>& box,
                     std::vector<QLineF>& out)
{
    const double dx = (box[1] - box[0]) / w, dy = (box[3] - box[2]) / h;
    const auto X = [&](double c) { return box[0] + (c + 0.5) * dx; };
    const auto Y = [&](double r) { return box[3] - (r + 0.5) * dy; };
    const auto at = [&](int r, int c) { return v[static_cast<std::size_t>(r) * w + c]; };
    for (int r = 0; r + 1 < h; ++r)
        for (int c = 0; c + 1 < w; ++c) {
            const float a = at(r, c), b = at(r, c + 1), d = at(r + 1, c), e = at(r + 1, c + 1);
            // corners: a top-left, b top-right, e bottom-right, d bottom-left
            const int index = (a > level ? 8 : 0) | (b > level ? 4 : 0) | (e > level ? 2 : 0) | (d > level ? 1 : 0);
            if (index == 0 || index == 15)
                continue;
            const auto lerp = [level](float p, float q) { return q == p ? 0.5 : (level - p) / double(q - p); };
            const QPointF top(X(c + lerp(a, b)), Y(r));
            const QPointF right(X(c + 1), Y(r + lerp(b, e)));
            const QPointF bottom(X(c + lerp(d, e)), Y(r + 1));
            const QPointF left(X(c), Y(r + lerp(a, d)));
            switch (index) {
            case 1: case 14: out.emplace_back(left, bottom); break;
            case 2: case 13: out.emplace_back(bottom, right); break;
            case 3: case 12: out.emplace_back(left, right); break;
            case 4: case 11: out.emplace_back(top, right); break;
            case 6: case 9: out.emplace_back(top, bottom); break;
            case 7: case 8: out.emplace_back(left, top); break;
            case 5: out.emplace_back(left, top); out.emplace_back(bottom, right); break;
            case 10: out.emplace_back(top, right); out.emplace_back(left, bottom); break;
            default: break;
            }
        }
}

MixingLabPanel::DensityImage computeDensity(const Target& target, const std::array<double, 4>& box, int w, int h,
                                            double logTop, const JobControl& job)
{
    MixingLabPanel::DensityImage out;
    out.box = box;
    out.logTop = std::isfinite(logTop) ? logTop : logTopOver(target, target.viewBox(), 200);
    Matrix centres(static_cast<Eigen::Index>(w) * h, 2);
    const double dx = (box[1] - box[0]) / w, dy = (box[3] - box[2]) / h;
    for (int r = 0; r < h; ++r)
        for (int c = 0; c < w; ++c) {
            centres(r * w + c, 0) = static_cast<float>(box[0] + (c + 0.5) * dx);
            centres(r * w + c, 1) = static_cast<float>(box[3] - (r + 0.5) * dy);
        }
    if (job.cancelled())
        return out;
    const Vector logp = target.logDensity(centres);
    std::vector<float> v(static_cast<std::size_t>(w) * h, 0.0f);
    for (std::size_t i = 0; i < v.size(); ++i) {
        const double l = logp(static_cast<Eigen::Index>(i));
        v[i] = std::isfinite(l) && std::isfinite(out.logTop) ? static_cast<float>(std::exp(l - out.logTop)) : 0.0f;
    }
    QImage image(w, h, QImage::Format_RGB32);
    const ColorTable& table = colorTable(ColorMap::Inferno);
    for (int r = 0; r < h; ++r) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
        for (int c = 0; c < w; ++c) {
            // square root: the tails of far modes stay visible next to a sharp peak
            const auto& rgb = table[greyLevel(std::sqrt(std::min(1.0f, v[static_cast<std::size_t>(r) * w + c])))];
            line[c] = qRgb(rgb[0], rgb[1], rgb[2]);
        }
    }
    for (double level : kContourLevels)
        contourSegments(v, w, h, static_cast<float>(level), box, out.contours);
    out.image = std::move(image);
    return out;
}

struct LegendItem {
    enum Kind { Moved, Stayed, Trail, Contour, Histogram, Field, Marginal } kind;
    QString text;
    QColor color;
    int count = 1; // Trail: how many chains' colours the symbol shows
};

double symbolWidth(const LegendItem& item)
{
    return item.kind == LegendItem::Trail ? 4.0 * item.count + 4 : 12.0;
}

std::vector<LegendItem> legendItems(int trails, const QString& heatmap = {}, bool field = false, bool marginals = false,
                                    QColor panelColor = {})
{
    std::vector<LegendItem> items = {{LegendItem::Moved, QObject::tr("moved (accepted)"), kMovedColor},
                                     {LegendItem::Stayed, QObject::tr("stayed (rejected)"), kStayedColor}};
    if (trails > 0)
        items.push_back({LegendItem::Trail, trails == 1 ? QObject::tr("path of chain 1") : QObject::tr("paths of chains 1-%1").arg(trails),
                         MixingLabPanel::trailColor(0), trails});
    items.push_back({LegendItem::Contour, QObject::tr("density 5/25/50/75 %"), QColor(255, 255, 255, 150)});
    if (!heatmap.isEmpty())
        items.push_back({LegendItem::Histogram, heatmap, QColor(230, 100, 40)});
    if (marginals)
        items.push_back({LegendItem::Marginal, QObject::tr("marginals: chains, truth"), panelColor});
    if (field)
        items.push_back({LegendItem::Field, QObject::tr("DAE x\u0303 \u2192 r(x\u0303)"), QColor(60, 160, 60)});
    return items;
}

// Legend lines of `items` wrapped to `width` (item indices per line).
std::vector<std::vector<int>> legendLines(const std::vector<LegendItem>& items, const QFontMetrics& fm, double width)
{
    std::vector<std::vector<int>> lines(1);
    double x = 0;
    for (int i = 0; i < static_cast<int>(items.size()); ++i) {
        const double w = symbolWidth(items[static_cast<std::size_t>(i)]) + 4 + fm.horizontalAdvance(items[static_cast<std::size_t>(i)].text) + 10;
        if (x > 0 && x + w > width) {
            lines.emplace_back();
            x = 0;
        }
        lines.back().push_back(i);
        x += w;
    }
    return lines;
}

void drawCross(QPainter& p, const QPointF& c, double r)
{
    p.drawLine(QPointF(c.x() - r, c.y() - r), QPointF(c.x() + r, c.y() + r));
    p.drawLine(QPointF(c.x() - r, c.y() + r), QPointF(c.x() + r, c.y() - r));
}

} // namespace

MixingLabPanel::MixingLabPanel(QWidget* parent) : QWidget(parent)
{
    setMinimumSize(220, 220);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setMouseTracking(false);
    setToolTip(tr("Wheel: zoom about the cursor. Drag: pan. Double-click: fit the target."));
    m_densityTimer = new QTimer(this);
    m_densityTimer->setSingleShot(true);
    m_densityTimer->setInterval(80);
    connect(m_densityTimer, &QTimer::timeout, this, &MixingLabPanel::startDensityJob);
}

QColor MixingLabPanel::trailColor(int i)
{
    static const QColor colors[] = {QColor(140, 255, 60), QColor(255, 80, 220), QColor(70, 140, 255),
                                    QColor(255, 160, 110), QColor(255, 255, 120), QColor(160, 100, 255)};
    return colors[static_cast<std::size_t>(i) % std::size(colors)];
}

QColor MixingLabPanel::panelColor(int i)
{
    static const QColor colors[] = {QColor(31, 119, 180), QColor(214, 39, 40), QColor(44, 160, 44), QColor(148, 103, 189)};
    return colors[static_cast<std::size_t>(i) % std::size(colors)];
}

void MixingLabPanel::setSnapshot(MixingLabSnapshotPtr snapshot, int index)
{
    m_placeholder.clear();
    m_snapshot = std::move(snapshot);
    m_index = index;
    if (m_snapshot && m_snapshot->target != m_target) {
        m_target = m_snapshot->target;
        m_logTop = std::numeric_limits<double>::quiet_NaN();
        m_density = {};
        m_box = m_target->viewBox();
        startDensityJob();
    }
    updateHistogramImage();
    update();
}

void MixingLabPanel::setHeatmap(Heatmap heatmap)
{
    m_heatmap = heatmap;
    updateHistogramImage();
    update();
}

void MixingLabPanel::setShowField(bool show)
{
    m_showField = show;
    update();
}

void MixingLabPanel::setShowMarginals(bool show)
{
    m_showMarginals = show;
    update();
    requestDensity(); // the plot area changed
}

void MixingLabPanel::drawMarginals(QPainter& p, const QRectF& area, const std::array<double, 4>& sb) const
{
    const LabPanelSnapshot* panel = panelSnapshot();
    if (!panel || !m_snapshot || !m_snapshot->cellTruth)
        return;
    const int g = m_snapshot->gridCells;
    const std::vector<double>& truth = *m_snapshot->cellTruth;
    if (panel->histogram.size() != static_cast<std::size_t>(g) * g + 1 || truth.size() != panel->histogram.size())
        return;
    std::vector<double> qx(static_cast<std::size_t>(g), 0.0), qy(qx), tx(qx), ty(qx);
    double qTotal = 0, tTotal = 0;
    for (int iy = 0; iy < g; ++iy)
        for (int ix = 0; ix < g; ++ix) {
            const std::size_t i = static_cast<std::size_t>(iy) * g + ix;
            const double q = static_cast<double>(panel->histogram[i]);
            qx[static_cast<std::size_t>(ix)] += q;
            qy[static_cast<std::size_t>(iy)] += q;
            tx[static_cast<std::size_t>(ix)] += truth[i];
            ty[static_cast<std::size_t>(iy)] += truth[i];
            qTotal += q;
            tTotal += truth[i];
        }
    const double qScale = qTotal > 0 ? 1.0 / qTotal : 0.0, tScale = tTotal > 0 ? 1.0 / tTotal : 0.0;
    double top = 0;
    for (int k = 0; k < g; ++k)
        top = std::max({top, qx[static_cast<std::size_t>(k)] * qScale, qy[static_cast<std::size_t>(k)] * qScale,
                        tx[static_cast<std::size_t>(k)] * tScale, ty[static_cast<std::size_t>(k)] * tScale});
    if (!(top > 0))
        return;
    const std::array<double, 4>& b = m_snapshot->box;
    const double cw = (b[1] - b[0]) / g, ch = (b[3] - b[2]) / g;
    const auto sx = [&](double x) { return area.left() + (x - sb[0]) / (sb[1] - sb[0]) * area.width(); };
    const auto sy = [&](double y) { return area.bottom() - (y - sb[2]) / (sb[3] - sb[2]) * area.height(); };
    const QColor bars = MixingLabPanel::panelColor(m_index);
    const QPen truthPen(palette().color(QPalette::Text), 1.2);

    // x1: along the top, bars grow upward
    const QRectF top1(area.left(), area.top() - kMarginalStrip + 3, area.width(), kMarginalStrip - 5);
    p.save();
    p.setClipRect(top1);
    p.setPen(Qt::NoPen);
    p.setBrush(bars.lighter(130));
    for (int k = 0; k < g; ++k) {
        const double h = qx[static_cast<std::size_t>(k)] * qScale / top * top1.height();
        p.drawRect(QRectF(QPointF(sx(b[0] + k * cw), top1.bottom() - h), QPointF(sx(b[0] + (k + 1) * cw), top1.bottom())));
    }
    QPolygonF line;
    for (int k = 0; k < g; ++k)
        line << QPointF(sx(b[0] + (k + 0.5) * cw), top1.bottom() - tx[static_cast<std::size_t>(k)] * tScale / top * top1.height());
    p.setPen(truthPen);
    p.setBrush(Qt::NoBrush);
    p.drawPolyline(line);
    p.restore();
    // x2: along the right, bars grow rightward
    const QRectF right2(area.right() + 3, area.top(), kMarginalStrip - 5, area.height());
    p.save();
    p.setClipRect(right2);
    p.setPen(Qt::NoPen);
    p.setBrush(bars.lighter(130));
    for (int k = 0; k < g; ++k) {
        const double w = qy[static_cast<std::size_t>(k)] * qScale / top * right2.width();
        p.drawRect(QRectF(QPointF(right2.left(), sy(b[2] + (k + 1) * ch)), QPointF(right2.left() + w, sy(b[2] + k * ch))));
    }
    line.clear();
    for (int k = 0; k < g; ++k)
        line << QPointF(right2.left() + ty[static_cast<std::size_t>(k)] * tScale / top * right2.width(), sy(b[2] + (k + 0.5) * ch));
    p.setPen(truthPen);
    p.setBrush(Qt::NoBrush);
    p.drawPolyline(line);
    p.restore();
    p.setPen(palette().color(QPalette::Mid));
    p.drawLine(top1.bottomLeft(), top1.bottomRight());
    p.drawLine(right2.topLeft(), right2.bottomLeft());
}

void MixingLabPanel::updateHistogramImage()
{
    const LabPanelSnapshot* panel = panelSnapshot();
    if (m_heatmap == Heatmap::Density || !panel || !m_snapshot) {
        m_histogram = QImage();
        return;
    }
    const int g = m_snapshot->gridCells;
    if (m_heatmap == Heatmap::Implied) {
        // exp(l - max l) with the square-root Inferno scale of the true density; no DAE: no image.
        if (g < 1 || panel->implied.size() != static_cast<std::size_t>(g) * g) {
            m_histogram = QImage();
            return;
        }
        float top = -std::numeric_limits<float>::infinity();
        for (float l : panel->implied)
            if (std::isfinite(l))
                top = std::max(top, l);
        QImage image(g, g, QImage::Format_RGB32);
        const ColorTable& table = colorTable(ColorMap::Inferno);
        for (int iy = 0; iy < g; ++iy) {
            auto* line = reinterpret_cast<QRgb*>(image.scanLine(g - 1 - iy));
            for (int ix = 0; ix < g; ++ix) {
                const float l = panel->implied[static_cast<std::size_t>(iy) * g + ix];
                const double v = std::isfinite(l) ? std::exp(double(l) - double(top)) : 0.0;
                const auto& rgb = table[greyLevel(static_cast<float>(std::sqrt(v)))];
                line[ix] = qRgb(rgb[0], rgb[1], rgb[2]);
            }
        }
        m_histogram = std::move(image);
        return;
    }
    if (g < 1 || panel->histogram.size() != static_cast<std::size_t>(g) * g + 1) {
        m_histogram = QImage();
        return;
    }
    std::int64_t top = 0;
    for (std::size_t i = 0; i + 1 < panel->histogram.size(); ++i)
        top = std::max(top, panel->histogram[i]);
    QImage image(g, g, QImage::Format_RGB32);
    const ColorTable& table = colorTable(ColorMap::Inferno);
    for (int iy = 0; iy < g; ++iy) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(g - 1 - iy));
        for (int ix = 0; ix < g; ++ix) {
            const double v = top > 0 ? static_cast<double>(panel->histogram[static_cast<std::size_t>(iy) * g + ix]) / top : 0.0;
            const auto& rgb = table[greyLevel(static_cast<float>(std::sqrt(v)))]; // square root, as the density
            line[ix] = qRgb(rgb[0], rgb[1], rgb[2]);
        }
    }
    m_histogram = std::move(image);
}

void MixingLabPanel::setPlaceholder(const QString& text)
{
    m_placeholder = text;
    update();
}

const LabPanelSnapshot* MixingLabPanel::panelSnapshot() const
{
    if (!m_snapshot || m_index < 0 || m_index >= static_cast<int>(m_snapshot->panels.size()))
        return nullptr;
    return &m_snapshot->panels[static_cast<std::size_t>(m_index)];
}

void MixingLabPanel::setViewBox(const std::array<double, 4>& box)
{
    if (!(box[1] > box[0]) || !(box[3] > box[2]) || !std::isfinite(box[1] - box[0]) || !std::isfinite(box[3] - box[2]))
        return;
    m_box = box;
    update();
    requestDensity();
}

void MixingLabPanel::fitToTarget()
{
    if (m_target)
        setViewBox(m_target->viewBox());
}

void MixingLabPanel::zoomAt(const QPointF& at, double factor)
{
    const QRectF area = plotArea(size());
    const std::array<double, 4> sb = shownBox(area);
    const double fx = std::clamp((at.x() - area.left()) / area.width(), 0.0, 1.0);
    const double fy = std::clamp((area.bottom() - at.y()) / area.height(), 0.0, 1.0);
    const double cx = sb[0] + fx * (sb[1] - sb[0]), cy = sb[2] + fy * (sb[3] - sb[2]);
    const double w = (sb[1] - sb[0]) / factor, h = (sb[3] - sb[2]) / factor;
    if (w < 1e-4 || w > 1e5)
        return;
    setViewBox({cx - fx * w, cx + (1 - fx) * w, cy - fy * h, cy + (1 - fy) * h});
}

QRectF MixingLabPanel::plotArea(const QSize& size) const
{
    const QFontMetrics fm = fontMetrics();
    const PlotMargins m = plotMargins(fm, QStringLiteral("-10.0"), true);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    const QFontMetrics sfm(small);
    const double width = size.width() - m.left - m.right;
    const auto lines = legendLines(legendItems(4, QObject::tr("heatmap: the DAE's density"), true, true), sfm, width);
    const double legend = static_cast<double>(lines.size()) * (sfm.height() + 2) + 2;
    const double strip = m_showMarginals ? kMarginalStrip : 0.0;
    return QRectF(m.left, m.top + legend + strip, std::max(10.0, width - strip),
                  std::max(10.0, size.height() - m.top - legend - strip - m.bottom));
}

std::array<double, 4> MixingLabPanel::shownBox(const QRectF& area) const
{
    std::array<double, 4> b = m_box;
    const double w = b[1] - b[0], h = b[3] - b[2];
    const double aspect = area.width() / area.height();
    if (w / h < aspect) {
        const double nw = h * aspect, cx = 0.5 * (b[0] + b[1]);
        b[0] = cx - nw / 2;
        b[1] = cx + nw / 2;
    } else {
        const double nh = w / aspect, cy = 0.5 * (b[2] + b[3]);
        b[2] = cy - nh / 2;
        b[3] = cy + nh / 2;
    }
    return b;
}

void MixingLabPanel::requestDensity()
{
    m_densityTimer->start();
}

void MixingLabPanel::startDensityJob()
{
    if (!m_target)
        return;
    const QRectF area = plotArea(size());
    const std::array<double, 4> box = shownBox(area);
    const int w = std::clamp(static_cast<int>(area.width()), 16, kMaxDensityPixels);
    const int h = std::clamp(static_cast<int>(area.height()), 16, kMaxDensityPixels);
    m_densityJob.start(
        [target = m_target, box, w, h, logTop = m_logTop](const JobControl& job) {
            return computeDensity(*target, box, w, h, logTop, job);
        },
        [this, target = m_target](DensityImage image) {
            if (target != m_target || image.image.isNull())
                return;
            m_density = std::move(image);
            m_logTop = m_density.logTop;
            update();
            emit densityReady();
        },
        [this](const QString& error) { setPlaceholder(tr("Cannot draw the density: %1").arg(error)); });
}

void MixingLabPanel::render(QPainter& p, const QSize& size) const
{
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(QRect(QPoint(0, 0), size), palette().color(QPalette::Window));
    const QFontMetrics fm = p.fontMetrics();
    const QRectF area = plotArea(size);
    const std::array<double, 4> sb = shownBox(area);
    const auto sx = [&](double x) { return area.left() + (x - sb[0]) / (sb[1] - sb[0]) * area.width(); };
    const auto sy = [&](double y) { return area.bottom() - (y - sb[2]) / (sb[3] - sb[2]) * area.height(); };
    const LabPanelSnapshot* panel = panelSnapshot();

    // Title: panel number in its metrics colour, the sampler, the step.
    p.setPen(palette().color(QPalette::Text));
    QString title = tr("%1  %2").arg(m_index + 1).arg(panel ? QString::fromStdString(panel->label) : tr("(no chains)"));
    if (panel) {
        title += tr("  ·  step %1").arg(panel->steps);
        if (std::isfinite(panel->report.acceptanceRate))
            title += tr("  ·  accept %1").arg(panel->report.acceptanceRate, 0, 'f', 2);
        else if (!panel->report.swapRates.empty() && panel->steps > 0) {
            double mean = 0;
            for (double r : panel->report.swapRates)
                mean += r;
            mean /= static_cast<double>(panel->report.swapRates.size());
            if (std::isfinite(mean))
                title += tr("  ·  swaps %1").arg(mean, 0, 'f', 2);
        }
    }
    p.fillRect(QRectF(4, 4, 10, fm.ascent() - 2), panelColor(m_index));
    p.drawText(QPointF(18, 2 + fm.ascent()), fm.elidedText(title, Qt::ElideRight, size.width() - 22));

    // Legend under the title.
    {
        QFont small = p.font();
        small.setPointSizeF(small.pointSizeF() * 0.85);
        p.setFont(small);
        const QFontMetrics sfm(small);
        const int trails = panel ? static_cast<int>(panel->trails.size()) : 4;
        const std::vector<LegendItem> items =
            legendItems(trails,
                        m_heatmap == Heatmap::Histogram                       ? tr("heatmap: chains")
                        : m_heatmap == Heatmap::Implied && !m_histogram.isNull() ? tr("heatmap: the DAE's density")
                                                                                  : QString(),
                        m_showField && panel && !panel->arrows.empty(), m_showMarginals, panelColor(m_index).lighter(130));
        const auto lines = legendLines(legendItems(4, tr("heatmap: the DAE's density"), true, true), sfm,
                                       area.width() + (m_showMarginals ? kMarginalStrip : 0.0));
        // lay out the actual items with the same wrapping width
        const auto actual = legendLines(items, sfm, area.width() + (m_showMarginals ? kMarginalStrip : 0.0));
        double y = area.top() - (m_showMarginals ? kMarginalStrip : 0.0) -
                   static_cast<double>(lines.size()) * (sfm.height() + 2) - 2;
        for (const auto& line : actual) {
            double x = area.left();
            for (int i : line) {
                const LegendItem& item = items[static_cast<std::size_t>(i)];
                const QPointF c(x + 6, y + sfm.height() / 2.0);
                switch (item.kind) {
                case LegendItem::Moved:
                    p.setPen(QPen(Qt::black, 0.8));
                    p.setBrush(item.color);
                    p.drawEllipse(c, 3.2, 3.2);
                    break;
                case LegendItem::Stayed:
                    p.setPen(QPen(Qt::black, 2.4));
                    drawCross(p, c, 3.2);
                    p.setPen(QPen(QColor(150, 150, 150), 1.2));
                    drawCross(p, c, 3.2);
                    break;
                case LegendItem::Trail:
                    for (int k = 0; k < item.count; ++k) {
                        p.setPen(QPen(MixingLabPanel::trailColor(k).darker(110), 2.4));
                        p.drawLine(QPointF(x + 4.0 * k, c.y() + 3), QPointF(x + 4.0 * k + 3, c.y() - 3));
                    }
                    break;
                case LegendItem::Marginal:
                    p.fillRect(QRectF(x + 1, y + 5, 3, sfm.height() - 7), item.color);
                    p.fillRect(QRectF(x + 5, y + 2, 3, sfm.height() - 4), item.color);
                    p.fillRect(QRectF(x + 9, y + 6, 3, sfm.height() - 8), item.color);
                    break;
                case LegendItem::Histogram:
                    p.fillRect(QRectF(x, y + 2, 12, sfm.height() - 4), item.color);
                    break;
                case LegendItem::Field:
                    p.setPen(QPen(item.color, 1.4));
                    p.drawLine(QPointF(x, c.y()), QPointF(x + 12, c.y()));
                    p.drawLine(QPointF(x + 12, c.y()), QPointF(x + 8, c.y() - 3));
                    p.drawLine(QPointF(x + 12, c.y()), QPointF(x + 8, c.y() + 3));
                    break;
                case LegendItem::Contour:
                    p.setPen(QPen(QColor(90, 90, 90), 1.0));
                    p.drawArc(QRectF(x, y + 2, 12, sfm.height() - 3), 0, 180 * 16);
                    break;
                }
                p.setPen(palette().color(QPalette::Text));
                const double symbol = symbolWidth(item) + 4;
                p.drawText(QPointF(x + symbol, y + sfm.ascent()), item.text);
                x += symbol + sfm.horizontalAdvance(item.text) + 10;
            }
            y += sfm.height() + 2;
        }
        p.setFont(font());
    }

    // The plot: density, contours, points, trails (clipped to the area).
    p.save();
    p.setClipRect(area);
    p.fillRect(area, Qt::black);
    if (m_heatmap != Heatmap::Density && !m_histogram.isNull() && m_snapshot) {
        const std::array<double, 4>& b = m_snapshot->box;
        p.drawImage(QRectF(QPointF(sx(b[0]), sy(b[3])), QPointF(sx(b[1]), sy(b[2]))), m_histogram);
    }
    if (!m_density.image.isNull()) {
        const std::array<double, 4>& b = m_density.box;
        const QRectF target(QPointF(sx(b[0]), sy(b[3])), QPointF(sx(b[1]), sy(b[2])));
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        if (m_heatmap == Heatmap::Density || (m_heatmap == Heatmap::Implied && m_histogram.isNull()))
            p.drawImage(target, m_density.image);
        p.setPen(QPen(QColor(255, 255, 255, 120), 0.8));
        for (const QLineF& l : m_density.contours)
            p.drawLine(QPointF(sx(l.x1()), sy(l.y1())), QPointF(sx(l.x2()), sy(l.y2())));
    }
    if (panel && m_showField && !panel->arrows.empty()) {
        p.setPen(QPen(QColor(170, 255, 170, 210), 1.1));
        for (const auto& a : panel->arrows) {
            const QPointF from(sx(a[0]), sy(a[1])), to(sx(a[2]), sy(a[3]));
            const QPointF d = to - from;
            const double len = std::hypot(d.x(), d.y());
            if (len < 0.5)
                continue;
            p.drawLine(from, to);
            const QPointF u = d / len, n(-u.y(), u.x());
            const double head = std::min(5.0, 0.4 * len);
            p.drawLine(to, to - head * u + 0.5 * head * n);
            p.drawLine(to, to - head * u - 0.5 * head * n);
        }
    }
    if (panel && panel->points.size() / 2 > kDenseChains) {
        // Many chains: every state as a few pixels written straight into an image of the plot area (one
        // drawImage instead of thousands of antialiased paths: 10000 chains in ~1 ms instead of ~16).
        // The shapes still differ: a moved chain is a filled 3 x 3 square, a chain that stayed a 3 x 3 x.
        const std::size_t n = panel->points.size() / 2;
        const bool started = panel->steps > 0;
        const QRect pixels = area.toAlignedRect();
        QImage dots(pixels.size(), QImage::Format_ARGB32_Premultiplied);
        dots.fill(Qt::transparent);
        const QRgb moved = kMovedColor.rgba(), stayed = kStayedColor.rgba(), start = QColor(230, 230, 230).rgba();
        const int w = dots.width(), h = dots.height();
        auto* bits = reinterpret_cast<QRgb*>(dots.bits());
        const qsizetype stride = dots.bytesPerLine() / static_cast<qsizetype>(sizeof(QRgb));
        for (std::size_t i = 0; i < n; ++i) {
            const double fx = sx(panel->points[2 * i]) - pixels.left(), fy = sy(panel->points[2 * i + 1]) - pixels.top();
            if (!(fx >= 1 && fy >= 1 && fx < w - 1 && fy < h - 1))
                continue; // outside (or NaN): the plot is clipped there anyway
            const int cx = static_cast<int>(fx), cy = static_cast<int>(fy);
            QRgb* row = bits + static_cast<qsizetype>(cy) * stride + cx;
            const bool isMoved = started && panel->moved[i];
            const QRgb c = !started ? start : isMoved ? moved : stayed;
            row[0] = c;
            if (!started || isMoved) {
                row[-1] = row[1] = row[-stride] = row[stride] = c;
                row[-stride - 1] = row[-stride + 1] = row[stride - 1] = row[stride + 1] = c;
            } else {
                row[-stride - 1] = row[-stride + 1] = row[stride - 1] = row[stride + 1] = c;
            }
        }
        p.drawImage(pixels.topLeft(), dots);
    }
    if (panel) {
        // (the dense case drew its points above: only the trajectories below)
        const std::size_t n = panel->points.size() / 2 > kDenseChains ? 0 : panel->points.size() / 2;
        const double r = 2.4;
        // before the first step nothing was proposed: plain start points
        const bool started = panel->steps > 0;
        if (!started) {
            p.setPen(QPen(QColor(0, 0, 0, 160), 0.6));
            p.setBrush(QColor(230, 230, 230));
            for (std::size_t i = 0; i < n; ++i)
                p.drawEllipse(QPointF(sx(panel->points[2 * i]), sy(panel->points[2 * i + 1])), r, r);
        }
        // moved chains: filled circles
        p.setPen(QPen(QColor(0, 0, 0, 160), 0.6));
        p.setBrush(kMovedColor);
        for (std::size_t i = 0; i < n; ++i) {
            if (!started || !panel->moved[i])
                continue;
            const double x = panel->points[2 * i], y = panel->points[2 * i + 1];
            p.drawEllipse(QPointF(sx(x), sy(y)), r, r);
        }
        // chains that stayed: crosses (dark outline so they read on the bright parts of the map)
        p.setBrush(Qt::NoBrush);
        for (int pass = 0; pass < 2; ++pass) {
            p.setPen(pass == 0 ? QPen(QColor(0, 0, 0, 170), 2.6) : QPen(kStayedColor, 1.2));
            for (std::size_t i = 0; i < n; ++i) {
                if (!started || panel->moved[i])
                    continue;
                drawCross(p, QPointF(sx(panel->points[2 * i]), sy(panel->points[2 * i + 1])), r + 0.6);
            }
        }
        // trajectories, fading from old to new
        for (std::size_t t = 0; t < panel->trails.size(); ++t) {
            const auto& trail = panel->trails[t];
            const QColor base = trailColor(static_cast<int>(t));
            for (std::size_t k = 1; k < trail.size(); ++k) {
                QColor c = base;
                c.setAlphaF(0.15 + 0.85 * static_cast<double>(k) / static_cast<double>(trail.size() - 1));
                p.setPen(QPen(c, 1.6));
                p.drawLine(QPointF(sx(trail[k - 1][0]), sy(trail[k - 1][1])), QPointF(sx(trail[k][0]), sy(trail[k][1])));
            }
            if (!trail.empty()) {
                p.setPen(QPen(Qt::black, 1.0));
                p.setBrush(base);
                p.drawEllipse(QPointF(sx(trail.back()[0]), sy(trail.back()[1])), 4.0, 4.0);
                p.setBrush(Qt::NoBrush);
            }
        }
    }
    if (!m_placeholder.isEmpty() || !panel) {
        p.setPen(Qt::white);
        p.drawText(area.adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap,
                   m_placeholder.isEmpty() ? tr("Building the chains...") : m_placeholder);
    }
    p.restore();

    if (m_showMarginals)
        drawMarginals(p, area, sb);
    drawAxes(p, area, AxisSpec{sb[0], sb[1], tr("x\u2081"), {}, false}, AxisSpec{sb[2], sb[3], tr("x\u2082"), {}, false},
             palette());
    p.restore();
}

void MixingLabPanel::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    render(p, size());
}

void MixingLabPanel::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    requestDensity();
}

void MixingLabPanel::wheelEvent(QWheelEvent* event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps != 0.0)
        zoomAt(event->position(), std::pow(1.2, steps));
    event->accept();
}

void MixingLabPanel::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    m_dragging = true;
    m_dragFrom = event->position();
    m_dragBox = shownBox(plotArea(size()));
    setCursor(Qt::ClosedHandCursor);
}

void MixingLabPanel::mouseMoveEvent(QMouseEvent* event)
{
    if (!m_dragging)
        return QWidget::mouseMoveEvent(event);
    const QRectF area = plotArea(size());
    const QPointF d = event->position() - m_dragFrom;
    const double ux = (m_dragBox[1] - m_dragBox[0]) / area.width(), uy = (m_dragBox[3] - m_dragBox[2]) / area.height();
    setViewBox({m_dragBox[0] - d.x() * ux, m_dragBox[1] - d.x() * ux, m_dragBox[2] + d.y() * uy, m_dragBox[3] + d.y() * uy});
}

void MixingLabPanel::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton && m_dragging) {
        m_dragging = false;
        unsetCursor();
    }
    QWidget::mouseReleaseEvent(event);
}

void MixingLabPanel::mouseDoubleClickEvent(QMouseEvent*)
{
    fitToTarget();
}

void MixingLabPanel::exportPng(const QString& path) const
{
    QImage image(size(), QImage::Format_ARGB32_Premultiplied);
    image.fill(palette().color(QPalette::Window));
    {
        QPainter p(&image);
        p.setFont(font());
        render(p, size());
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG") || !file.commit())
        fail(path.toStdString(), "", "cannot write the panel as PNG: " + file.errorString().toStdString());
}

void MixingLabPanel::exportSvg(const QString& path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        fail(path.toStdString(), "", "cannot write the panel as SVG: " + file.errorString().toStdString());
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(size());
    svg.setViewBox(QRect(QPoint(0, 0), size()));
    const LabPanelSnapshot* panel = panelSnapshot();
    svg.setTitle(tr("Mixing lab panel %1").arg(m_index + 1));
    if (panel && m_snapshot)
        svg.setDescription(tr("%1 on %2, seed %3, %4 chains, step %5")
                               .arg(QString::fromStdString(panel->label),
                                    QString::fromStdString(m_snapshot->targetConfig.value("kind", std::string("target"))))
                               .arg(m_snapshot->seed)
                               .arg(m_snapshot->chains)
                               .arg(panel->steps));
    {
        QPainter p;
        if (!p.begin(&svg))
            fail(path.toStdString(), "", "cannot start the SVG painter");
        p.setFont(font());
        render(p, size());
        p.end();
    }
    if (!file.commit())
        fail(path.toStdString(), "", "cannot write the panel as SVG: " + file.errorString().toStdString());
}

} // namespace gsn
