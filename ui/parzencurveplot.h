#pragma once
// A small plot of a Parzen validation curve: mean validation log-likelihood (nats) against the kernel
// width sigma on a log axis, one dot per sigma of the grid, the chosen sigma marked.

#include <QWidget>

#include <utility>
#include <vector>

namespace gsn {

class ParzenCurvePlot : public QWidget {
    Q_OBJECT
public:
    explicit ParzenCurvePlot(QWidget* parent = nullptr);

    // curve: [sigma, mean log-likelihood] pairs (sigma > 0), in grid order; chosen: the selected sigma.
    void setCurve(std::vector<std::pair<double, double>> curve, double chosen);
    void clear();
    const std::vector<std::pair<double, double>>& curve() const { return m_curve; }
    double chosenSigma() const { return m_chosen; }

    QSize sizeHint() const override { return {320, 180}; }
    QSize minimumSizeHint() const override { return {200, 120}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<std::pair<double, double>> m_curve;
    double m_chosen = 0.0;
};

} // namespace gsn
