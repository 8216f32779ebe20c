#pragma once
// Axes for the studio's small QPainter plots (loss curve, Parzen curve; the mixing lab's line plots):
// ticks at 1, 2 or 5 times a power of ten, tick labels, and axis titles with units, so every plot a
// user reads has labelled axes.

#include <QPainter>
#include <QRectF>
#include <QString>

#include <vector>

namespace gsn {

// Up to about `target` tick values in [lo, hi] at a step of 1, 2 or 5 x 10^k (empty for an empty or
// non-finite range).
std::vector<double> niceTicks(double lo, double hi, int target = 5);
// A tick value written with as many decimals as the step needs ("0.25", "1500", "-3").
QString tickLabel(double value, double step);

// Margins a plot leaves around its data area for tick labels and titles, given the widget's font.
struct PlotMargins {
    double left = 0, top = 0, right = 0, bottom = 0;
};
// Room for y tick labels as wide as `widestYLabel`, a rotated y title, x tick labels and an x title;
// `topLine`: one more text line above the area (a legend or a marker's value).
PlotMargins plotMargins(const QFontMetrics& fm, const QString& widestYLabel, bool topLine);

// Draws the frame of `area`, ticks and labels of both axes (x maps [xlo, xhi], y maps [ylo, yhi]; x
// ticks from `xTicks`, or nice ticks when empty), the x title under the tick labels and the y title
// rotated along the left edge.
struct AxisSpec {
    double lo = 0, hi = 1;
    QString title;                   // with its unit, e.g. "loss (nats)"
    std::vector<double> ticks;       // empty: niceTicks(lo, hi)
    bool logScale = false;           // lo/hi are log10 of the values; labels show the values
};
void drawAxes(QPainter& p, const QRectF& area, const AxisSpec& x, const AxisSpec& y, const QPalette& palette);

} // namespace gsn
