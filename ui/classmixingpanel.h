#pragma once
// One panel of the Class mixing window (issue 15 items 1 and 2): the model's name and chain, a small grid
// of its chains' current digits (each with a bar in the colour of the class the classifier names, as
// bright as it is sure), the class timeline under it (classtimelineview.h), and the live metrics of the
// whole run from the engine (ClassMixingMonitor): class switches per 100 steps, the median steps until a
// chain has seen all ten classes, the total variation between the visited classes' frequencies and the
// test set's, the fraction of unsure frames and tempering's swap rates; under them where the chains go
// in a PCA of pixel space and of the top hidden layer, with the travel per step (classpcaview.h).

#include "classmixingrun.h"

#include <QFrame>
#include <QImage>

class QLabel;
class QToolButton;

namespace gsn {

class ClassPcaView;
class ClassTimelineView;

// The chains' current digits in a grid, a class bar under each; hover names chain, class and confidence.
class ClassDigitGrid : public QWidget {
    Q_OBJECT
public:
    explicit ClassDigitGrid(QWidget* parent = nullptr);
    void setSnapshot(ClassMixingSnapshotPtr snapshot, int index);
    // Columns of the grid for C chains (5 for 10 chains, 10 for 100).
    static int columnsFor(int chains);
    QSize minimumSizeHint() const override { return {150, 60}; }
    QSize sizeHint() const override { return {260, 110}; }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    QRect cellRect(int chain) const;
    ClassMixingSnapshotPtr m_snapshot;
    int m_index = 0;
    std::vector<QImage> m_digits;
};

class ClassMixingPanel : public QFrame {
    Q_OBJECT
public:
    explicit ClassMixingPanel(int index, QWidget* parent = nullptr);

    void setSnapshot(ClassMixingSnapshotPtr snapshot);
    // Shows `text` instead of the chains (while they are built, or after an error).
    void setPlaceholder(const QString& text);

    ClassTimelineView* timeline() const { return m_timeline; }
    ClassDigitGrid* digits() const { return m_digits; }
    ClassPcaView* pca() const { return m_pca; }
    // The metrics as shown (plain text, one figure per line).
    QString metricsText() const;

    // The metric lines for one panel of a snapshot (what the panel shows).
    static QStringList metricLines(const ClassPanelSnapshot& panel, int chains);

    // The title's Model button: a menu of "Open a checkpoint..." and the embedded model.
    QToolButton* modelButton() const { return m_modelButton; }
    // Marks which model the panel runs (empty: the embedded one), for the menu's check mark and tooltip.
    void setModelFile(const QString& file);

signals:
    // The user asked for another checkpoint file in this panel, or for the embedded model back.
    void openModelRequested(int index);
    void embeddedModelRequested(int index);

private:
    int m_index;
    QLabel* m_title = nullptr;
    QToolButton* m_modelButton = nullptr;
    QAction* m_embeddedAction = nullptr;
    QLabel* m_placeholder = nullptr;
    ClassDigitGrid* m_digits = nullptr;
    ClassTimelineView* m_timeline = nullptr;
    QLabel* m_metrics = nullptr;
    ClassPcaView* m_pca = nullptr;
};

} // namespace gsn
