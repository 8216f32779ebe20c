#pragma once
// A small QPainter plot of training loss: one thin line per batch and a thick line with dots per
// epoch, x = epochs (fractional for batches), y = loss on a linear axis fitted to the data.

#include <QPointF>
#include <QWidget>

#include <vector>

namespace gsn {

class LossCurve : public QWidget {
    Q_OBJECT
public:
    explicit LossCurve(QWidget* parent = nullptr);

    // x in epochs (epoch + (batch + 1) / batches), loss of that batch.
    void addBatch(double x, double loss);
    // x = completed epochs (1, 2, ...), mean loss of the epoch.
    void addEpoch(double x, double loss);
    void clear();
    const std::vector<QPointF>& batches() const { return m_batches; }
    const std::vector<QPointF>& epochs() const { return m_epochs; }

    QSize sizeHint() const override { return {320, 180}; }
    QSize minimumSizeHint() const override { return {160, 100}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<QPointF> m_batches;
    std::vector<QPointF> m_epochs;
};

} // namespace gsn
