#pragma once
// One panel of the Mixing lab (issue 13 item 3): a 2D target's true density as a heatmap with contours,
// the chains' current points (a step that moved the chain: a filled circle; one that stayed, a rejected
// proposal: a cross), the fading trajectories of the first few chains in distinct colours, axes with
// ticks and labels, and a legend; zoom with the wheel (about the cursor), pan by dragging, double-click
// to fit the target's view box. Painted with QPainter, so the same drawing goes to the screen, to a PNG
// and to an SVG (QSvgGenerator).
//
// The density image is computed off the GUI thread (a BackgroundJob: the newest view wins); until it
// arrives the previous image is drawn where its box lies in the new view.

#include "backgroundjob.h"
#include "mixinglabrun.h"

#include <QImage>
#include <QLineF>
#include <QWidget>

#include <array>
#include <memory>
#include <vector>

class QTimer;

namespace gsn {

class MixingLabPanel : public QWidget {
    Q_OBJECT
public:
    explicit MixingLabPanel(QWidget* parent = nullptr);

    // Panel `index` of a lab snapshot (not null). A new target refits the view and redraws the density.
    void setSnapshot(MixingLabSnapshotPtr snapshot, int index);
    // Shows nothing but `text` (while the chains are being built, or after an error).
    void setPlaceholder(const QString& text);
    const LabPanelSnapshot* panelSnapshot() const;

    // The data box asked for, {xmin, xmax, ymin, ymax}; drawing widens one axis to keep the aspect 1:1.
    std::array<double, 4> viewBox() const { return m_box; }
    void setViewBox(const std::array<double, 4>& box);
    // Back to the target's view box.
    void fitToTarget();
    // Zooms by `factor` (> 1: closer) about the data point under widget position `at`.
    void zoomAt(const QPointF& at, double factor);
    // The density image for the current view has arrived.
    bool hasDensity() const { return !m_density.image.isNull(); }

    // Draws the panel into `size` (what paintEvent and the exports call).
    void render(QPainter& painter, const QSize& size) const;
    // Writes the panel as it is shown (widget size) atomically; throws gsn::Error naming the file.
    void exportPng(const QString& path) const;
    void exportSvg(const QString& path) const;

    // What the heatmap shows: the true density (with its contours) or the chains' histogram so far on
    // the KL grid (the true density's contours drawn over it, so the two compare at a glance).
    // Implied: on DAE panels, the density the panel's DAE implies (exp of learnedLogDensity, daelab.h); other
    // panels then show the true density.
    enum class Heatmap { Density, Histogram, Implied };
    void setHeatmap(Heatmap heatmap);
    Heatmap heatmap() const { return m_heatmap; }
    // Draws the DAE's reconstruction field (arrows x~ -> r(x~)) on panels whose sampler has one.
    void setShowField(bool show);
    bool showField() const { return m_showField; }
    // Marginal histograms of the chains (bars) with the true marginals (lines) along the top (x1) and
    // the right (x2) of the plot, on the KL grid's cells.
    void setShowMarginals(bool show);
    bool showMarginals() const { return m_showMarginals; }

    // The colour of trajectory `i` (also the lab's metrics use one colour per panel: panelColor).
    static QColor trailColor(int i);
    static QColor panelColor(int i);

signals:
    void densityReady();

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;

public:
    // The density of a target over a box at a pixel size, with contour segments (data coordinates).
    struct DensityImage {
        QImage image;
        std::array<double, 4> box{};
        std::vector<QLineF> contours;
        double logTop = 0; // log of the density that is full scale (the maximum over the target's view box)
    };

private:
    QRectF plotArea(const QSize& size) const;
    // The drawn box: m_box widened to the aspect of `area`.
    std::array<double, 4> shownBox(const QRectF& area) const;
    void requestDensity();
    void startDensityJob();

    void updateHistogramImage();
    void drawMarginals(QPainter& p, const QRectF& area, const std::array<double, 4>& shown) const;

    MixingLabSnapshotPtr m_snapshot;
    Heatmap m_heatmap = Heatmap::Density;
    bool m_showField = true;
    bool m_showMarginals = true;
    QImage m_histogram; // G x G, row 0 at the top of the grid box
    int m_index = 0;
    QString m_placeholder;
    std::shared_ptr<const Target> m_target;
    std::array<double, 4> m_box{-1, 1, -1, 1};
    DensityImage m_density;
    double m_logTop = std::numeric_limits<double>::quiet_NaN(); // of the current target, once known
    BackgroundJob m_densityJob{this};
    QTimer* m_densityTimer = nullptr;
    bool m_dragging = false;
    QPointF m_dragFrom;
    std::array<double, 4> m_dragBox{};
};

} // namespace gsn
