#pragma once
// Where one panel's chains go (issue 15 item 3): two small plots side by side, the chains in a 2D PCA of
// pixel space and in a 2D PCA of the model's top hidden layer, each PCA fitted on the first 1000 test
// digits (in the hidden space: their codes under the model). The test digits are a faint cloud in the
// colour of their class, each chain's last steps a trail and its current state a dot in the colour of the
// class the classifier names, and under each plot the travel per step relative to the data's spread
// there. Until the PCA is fitted (a few seconds, on a worker) the plots say so.

#include "classmixingrun.h"

#include <QImage>
#include <QWidget>

namespace gsn {

class ClassPcaView : public QWidget {
    Q_OBJECT
public:
    explicit ClassPcaView(QWidget* parent = nullptr);
    void setSnapshot(ClassMixingSnapshotPtr snapshot, int index);

    // The two plot areas (0 = pixels, 1 = top layer) in widget coordinates.
    QRectF plotArea(int space) const;
    // Where a PCA point {pc1, pc2} of `space` is drawn (widget coordinates; the view fits the cloud).
    QPointF mapPoint(int space, double pc1, double pc2) const;
    bool hasPca() const;

    QSize minimumSizeHint() const override { return {160, 90}; }
    QSize sizeHint() const override { return {260, 150}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    const ClassPanelSnapshot* panel() const;
    // The cloud's box {xmin, xmax, ymin, ymax} of a space (a margin of 5 %).
    std::array<double, 4> box(int space) const;
    void drawClouds(QPainter& painter);

    ClassMixingSnapshotPtr m_snapshot;
    int m_index = 0;
    std::array<std::array<double, 4>, 2> m_boxes{};
    // The two clouds drawn once per PCA and widget size (a thousand translucent dots each: too many to
    // redraw at every snapshot).
    QImage m_cloud;
    ClassPanelPcaPtr m_cloudPca; // the PCA m_cloud was drawn for
};

} // namespace gsn
