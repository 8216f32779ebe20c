#pragma once
// The class timeline of one panel of the Class mixing window (issue 15 item 1): one strip per chain, one
// cell per step coloured by the class the classifier names (classcolours.h), darker where it is less
// sure; the newest step at the right, older steps scrolling off to the left; under the strips the first
// and last step shown and a legend of the ten classes. Hovering a cell names its chain, step, class and
// confidence (a tool tip, and describeAt() for tests).

#include "classmixingrun.h"

#include <QImage>
#include <QWidget>

namespace gsn {

class ClassTimelineView : public QWidget {
    Q_OBJECT
public:
    explicit ClassTimelineView(QWidget* parent = nullptr);

    // Panel `index` of a snapshot (not null).
    void setSnapshot(ClassMixingSnapshotPtr snapshot, int index);
    void clear();

    // Pixels per step (cells are this wide).
    static constexpr int kCellWidth = 2;
    // Steps the strips show now (at most the widget's width / kCellWidth) and the first of them (1-based).
    int shownSteps() const { return m_shown; }
    std::int64_t firstShownStep() const { return m_first; }
    std::int64_t lastShownStep() const { return m_shown > 0 ? m_first + m_shown - 1 : 0; }
    // The strips' area (widget coordinates), and what the cell under `pos` holds: "chain 3, step 120:
    // class 7, confidence 0.82" (" (unsure)" below 0.5); empty outside the strips.
    QRect stripArea() const;
    QString describeAt(const QPoint& pos) const;
    // The widget point at the centre of chain `chain`'s cell at `step` (tests; invalid when not shown).
    QPoint pointOf(int chain, std::int64_t step) const;

    // The height beyond which taller strips would not help (C strips at their tallest and the legend).
    int maximumUsefulHeight(int chains) const;
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void rebuildImage();
    int rowHeight() const;
    int legendHeight() const;

    ClassMixingSnapshotPtr m_snapshot;
    int m_index = 0;
    QImage m_image; // m_shown x chains, one pixel per cell
    int m_shown = 0;
    std::int64_t m_first = 1;
};

} // namespace gsn
