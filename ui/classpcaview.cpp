#include "classpcaview.h"

#include "classcolours.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace gsn {

ClassPcaView::ClassPcaView(QWidget* parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setToolTip(tr("<p>The chains in a 2D PCA of pixel space (left) and of the model's top hidden layer (right), each "
                  "fitted on the first 1000 test digits (right: their codes under this model). Faint dots: the test "
                  "digits in their class's colour; lines: each chain's last 60 steps; dots: where the chains are now, in "
                  "the colour of their class.</p><p>Under each plot, the mean move per step over the root mean square "
                  "distance between two test digits in that space: 1 = a step goes as far as from one digit to another."
                  "</p>"));
}

const ClassPanelSnapshot* ClassPcaView::panel() const
{
    return m_snapshot && m_index >= 0 && m_index < static_cast<int>(m_snapshot->panels.size())
               ? &m_snapshot->panels[static_cast<std::size_t>(m_index)]
               : nullptr;
}

bool ClassPcaView::hasPca() const
{
    const ClassPanelSnapshot* p = panel();
    return p && p->pca;
}

void ClassPcaView::setSnapshot(ClassMixingSnapshotPtr snapshot, int index)
{
    const ClassPanelPcaPtr before = panel() ? panel()->pca : nullptr;
    m_snapshot = std::move(snapshot);
    m_index = index;
    const ClassPanelSnapshot* p = panel();
    if (p && p->pca && p->pca != before)
        for (int space = 0; space < 2; ++space)
            m_boxes[static_cast<std::size_t>(space)] = box(space);
    update();
}

std::array<double, 4> ClassPcaView::box(int space) const
{
    const ClassPanelSnapshot* p = panel();
    if (!p || !p->pca)
        return {-1, 1, -1, 1};
    const Eigen::MatrixXd& cloud = space == 0 ? p->pca->pixelCloud : p->pca->hiddenCloud;
    if (cloud.rows() == 0)
        return {-1, 1, -1, 1};
    double x0 = cloud.col(0).minCoeff(), x1 = cloud.col(0).maxCoeff();
    double y0 = cloud.col(1).minCoeff(), y1 = cloud.col(1).maxCoeff();
    const double mx = 0.05 * std::max(1e-9, x1 - x0), my = 0.05 * std::max(1e-9, y1 - y0);
    return {x0 - mx, x1 + mx, y0 - my, y1 + my};
}

void ClassPcaView::drawClouds(QPainter& painter)
{
    const ClassPanelSnapshot* p = panel();
    if (!p || !p->pca)
        return;
    const qreal dpr = devicePixelRatioF();
    const QSize pixels = (QSizeF(size()) * dpr).toSize();
    if (m_cloud.isNull() || m_cloud.size() != pixels || m_cloudPca != p->pca) {
        m_cloud = QImage(pixels, QImage::Format_ARGB32_Premultiplied);
        m_cloud.setDevicePixelRatio(dpr);
        m_cloud.fill(Qt::transparent);
        QPainter cp(&m_cloud);
        cp.setRenderHint(QPainter::Antialiasing, true);
        cp.setPen(Qt::NoPen);
        for (int space = 0; space < 2; ++space) {
            const Eigen::MatrixXd& cloud = space == 0 ? p->pca->pixelCloud : p->pca->hiddenCloud;
            cp.setClipRect(plotArea(space));
            for (Eigen::Index i = 0; i < cloud.rows(); ++i) {
                QColor c = classColour(i < static_cast<Eigen::Index>(p->pca->cloudLabels.size())
                                           ? p->pca->cloudLabels[static_cast<std::size_t>(i)]
                                           : 7);
                c.setAlphaF(0.22f);
                cp.setBrush(c);
                cp.drawEllipse(mapPoint(space, cloud(i, 0), cloud(i, 1)), 1.3, 1.3);
            }
        }
        m_cloudPca = p->pca;
    }
    painter.drawImage(QPointF(0, 0), m_cloud);
}

QRectF ClassPcaView::plotArea(int space) const
{
    const double label = fontMetrics().height() + 2;
    const double w = (width() - 6) / 2.0;
    const double side = std::max(10.0, std::min(w, height() - 2 * label));
    return QRectF(space * (w + 6) + (w - side) / 2, label, side, side);
}

QPointF ClassPcaView::mapPoint(int space, double pc1, double pc2) const
{
    const QRectF a = plotArea(space);
    const std::array<double, 4>& b = m_boxes[static_cast<std::size_t>(space)];
    return {a.left() + (pc1 - b[0]) / (b[1] - b[0]) * a.width(), a.bottom() - (pc2 - b[2]) / (b[3] - b[2]) * a.height()};
}

void ClassPcaView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing, true);
    const ClassPanelSnapshot* p = panel();
    const QFontMetrics fm = fontMetrics();
    const int chains = p && p->frame ? p->frame->chainCount() : 0;
    // The clouds first (cached), under the frames, titles and trails.
    for (int space = 0; space < 2; ++space)
        painter.fillRect(plotArea(space), palette().base());
    drawClouds(painter);
    for (int space = 0; space < 2; ++space) {
        const QRectF area = plotArea(space);
        painter.setPen(palette().text().color());
        painter.drawText(QRectF(area.left() - 20, 0, area.width() + 40, fm.height()), Qt::AlignHCenter | Qt::AlignVCenter,
                         space == 0 ? tr("pixels, PCA") : tr("top layer, PCA"));
        painter.setPen(palette().mid().color());
        painter.drawRect(area);
        const double travel = p ? (space == 0 ? p->pixelTravel : p->hiddenTravel) : std::nan("");
        painter.setPen(palette().text().color());
        painter.drawText(QRectF(area.left() - 20, area.bottom() + 1, area.width() + 40, fm.height()), Qt::AlignHCenter | Qt::AlignVCenter,
                         std::isfinite(travel) ? tr("travel/step %1").arg(travel, 0, 'f', 3) : tr("travel/step \u2014"));
        if (!p)
            continue;
        const bool hasSpace = p->pca && (space == 0 || p->pca->hidden);
        if (!hasSpace) {
            painter.setPen(palette().placeholderText().color());
            const QString why = !p->pca ? (space == 1 && !p->codes ? tr("no hidden state in this chain") : tr("fitting the PCA..."))
                                        : tr("no hidden state in this chain");
            painter.drawText(area.adjusted(4, 4, -4, -4), Qt::AlignCenter | Qt::TextWordWrap, why);
            continue;
        }
        painter.save();
        painter.setClipRect(area);
        const std::vector<std::array<float, 2>>& trail = space == 0 ? p->pixelTrail : p->hiddenTrail;
        const int steps = chains > 0 ? static_cast<int>(trail.size()) / chains : 0;
        // Trails: segments in the colour of the class at their end step, fading with age.
        for (int c = 0; c < chains; ++c) {
            for (int t = 1; t < steps; ++t) {
                const auto& a = trail[static_cast<std::size_t>(t - 1) * chains + c];
                const auto& b = trail[static_cast<std::size_t>(t) * chains + c];
                const int back = steps - 1 - t; // steps before the newest
                const std::size_t at = p->recentSteps - 1 - back >= 0
                                           ? static_cast<std::size_t>(p->recentSteps - 1 - back) * chains + c
                                           : std::size_t(-1);
                QColor colour = at < p->recentClass.size() ? classColour(p->recentClass[at]) : palette().text().color();
                colour.setAlphaF(static_cast<float>(0.15 + 0.75 * t / std::max(1, steps - 1)));
                painter.setPen(QPen(colour, 1.2));
                painter.drawLine(mapPoint(space, a[0], a[1]), mapPoint(space, b[0], b[1]));
            }
        }
        if (steps > 0) {
            for (int c = 0; c < chains; ++c) {
                const auto& a = trail[static_cast<std::size_t>(steps - 1) * chains + c];
                const std::size_t at = p->recentSteps > 0 ? static_cast<std::size_t>(p->recentSteps - 1) * chains + c : std::size_t(-1);
                painter.setPen(QPen(palette().text().color(), 0.8));
                painter.setBrush(at < p->recentClass.size() ? classColour(p->recentClass[at]) : palette().mid().color());
                painter.drawEllipse(mapPoint(space, a[0], a[1]), 3.0, 3.0);
            }
        }
        painter.restore();
    }
}

} // namespace gsn
