#include "classtimelineview.h"

#include "classcolours.h"
#include "classmixing.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace gsn {

namespace {

constexpr int kMaxRow = 22; // strip height in pixels at most (few chains)
constexpr int kMinRow = 2;  // and at least (100 chains)

const ClassPanelSnapshot* panelOf(const ClassMixingSnapshotPtr& s, int index)
{
    return s && index >= 0 && index < static_cast<int>(s->panels.size()) ? &s->panels[static_cast<std::size_t>(index)] : nullptr;
}

} // namespace

ClassTimelineView::ClassTimelineView(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void ClassTimelineView::setSnapshot(ClassMixingSnapshotPtr snapshot, int index)
{
    m_snapshot = std::move(snapshot);
    m_index = index;
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    // Never taller than the strips can use: the panel's spare height goes below the metrics.
    setMaximumHeight(maximumUsefulHeight(p && p->frame ? p->frame->chainCount() : 10));
    rebuildImage();
    updateGeometry();
    update();
}

void ClassTimelineView::clear()
{
    m_snapshot.reset();
    m_image = QImage();
    m_shown = 0;
    update();
}

int ClassTimelineView::legendHeight() const
{
    return 2 * fontMetrics().height() + 6; // the step range line, then the ten classes
}

int ClassTimelineView::rowHeight() const
{
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    const int chains = p && p->frame ? std::max(1, p->frame->chainCount()) : 10;
    const int room = height() - legendHeight();
    return std::clamp(room / chains, kMinRow, kMaxRow);
}

int ClassTimelineView::maximumUsefulHeight(int chains) const
{
    return std::max(1, chains) * kMaxRow + legendHeight();
}

QSize ClassTimelineView::minimumSizeHint() const
{
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    const int chains = p && p->frame ? std::max(1, p->frame->chainCount()) : 10;
    return {160, std::min(chains * kMinRow, 200) + legendHeight()};
}

QSize ClassTimelineView::sizeHint() const
{
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    const int chains = p && p->frame ? std::max(1, p->frame->chainCount()) : 10;
    return {260, std::min(chains * 16, 320) + legendHeight()};
}

QRect ClassTimelineView::stripArea() const
{
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    const int chains = p && p->frame ? p->frame->chainCount() : 0;
    return QRect(0, 0, m_shown * kCellWidth, chains * rowHeight());
}

void ClassTimelineView::rebuildImage()
{
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    if (!p || !p->frame || p->recentSteps == 0) {
        m_image = QImage();
        m_shown = 0;
        m_first = 1;
        return;
    }
    const int chains = p->frame->chainCount();
    const int capacity = std::max(1, width() / kCellWidth);
    m_shown = std::min(capacity, p->recentSteps);
    const int skip = p->recentSteps - m_shown; // the oldest kept steps that do not fit
    m_first = p->firstRecentStep + skip;
    m_image = QImage(m_shown, chains, QImage::Format_RGB32);
    for (int c = 0; c < chains; ++c) {
        auto* line = reinterpret_cast<QRgb*>(m_image.scanLine(c));
        for (int t = 0; t < m_shown; ++t) {
            const std::size_t at = static_cast<std::size_t>(skip + t) * static_cast<std::size_t>(chains) + static_cast<std::size_t>(c);
            line[t] = classShade(p->recentClass[at], p->recentConfidence[at]).rgb();
        }
    }
}

void ClassTimelineView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    rebuildImage();
}

void ClassTimelineView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    const QRect strips = stripArea();
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    const int chains = p && p->frame ? p->frame->chainCount() : 0;
    const int row = rowHeight();
    if (!m_image.isNull()) {
        painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
        painter.drawImage(strips, m_image);
        if (row >= 5) { // a hairline between strips once they are tall enough to tell apart
            painter.setPen(palette().base().color());
            for (int c = 1; c < chains; ++c)
                painter.drawLine(0, c * row, strips.width(), c * row);
        }
    }
    const QFontMetrics fm = fontMetrics();
    int y = std::max(strips.bottom() + 1, chains * row) + 2;
    painter.setPen(palette().text().color());
    if (m_shown > 0) {
        painter.drawText(QRect(0, y, width(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                         tr("step %1").arg(m_first));
        painter.drawText(QRect(0, y, width(), fm.height()), Qt::AlignRight | Qt::AlignVCenter,
                         tr("%1 \u2192").arg(lastShownStep()));
    } else {
        painter.drawText(QRect(0, y, width(), fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                         tr("no steps yet: Run or Step"));
    }
    y += fm.height() + 2;
    // Legend: the ten classes, spread over the width; "darker = less sure" in the tool tip.
    const int classes = 10;
    const double slot = static_cast<double>(width()) / classes;
    const int box = std::min(fm.height() - 2, 12);
    for (int k = 0; k < classes; ++k) {
        const int x = static_cast<int>(k * slot);
        painter.fillRect(QRect(x + 1, y + (fm.height() - box) / 2, box, box), classColour(k));
        painter.drawText(QRect(x + box + 3, y, static_cast<int>(slot) - box - 3, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                         QString::number(k));
    }
}

QString ClassTimelineView::describeAt(const QPoint& pos) const
{
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    const QRect strips = stripArea();
    if (!p || m_shown == 0 || !strips.contains(pos))
        return {};
    const int chains = p->frame->chainCount();
    const int chain = pos.y() / rowHeight();
    const int t = pos.x() / kCellWidth;
    if (chain < 0 || chain >= chains || t < 0 || t >= m_shown)
        return {};
    const std::int64_t step = m_first + t;
    const std::size_t at = static_cast<std::size_t>(step - p->firstRecentStep) * static_cast<std::size_t>(chains) +
                           static_cast<std::size_t>(chain);
    const float confidence = p->recentConfidence[at];
    return tr("chain %1, step %2: class %3, confidence %4%5")
        .arg(chain + 1)
        .arg(step)
        .arg(p->recentClass[at])
        .arg(static_cast<double>(confidence), 0, 'f', 2)
        .arg(confidence < mixing::kUnsureBelow ? tr(" (unsure: between classes)") : QString());
}

QPoint ClassTimelineView::pointOf(int chain, std::int64_t step) const
{
    if (step < m_first || step > lastShownStep() || chain < 0)
        return {};
    return QPoint(static_cast<int>(step - m_first) * kCellWidth + kCellWidth / 2, chain * rowHeight() + rowHeight() / 2);
}

void ClassTimelineView::mouseMoveEvent(QMouseEvent* event)
{
    const QString text = describeAt(event->position().toPoint());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
}

void ClassTimelineView::leaveEvent(QEvent* event)
{
    QToolTip::hideText();
    QWidget::leaveEvent(event);
}

} // namespace gsn
