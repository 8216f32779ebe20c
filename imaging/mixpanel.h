#pragma once
// Panels of the mode-mixing lab for files (gsn mix --plot): a 2D target's true density as a heatmap
// with a sampler's chain points drawn over it, a title above; panels joined side by side. Qt Gui only.

#include "target.h"

#include <QImage>
#include <QStringList>

#include <array>
#include <vector>

namespace gsn {

// One panel of size x size pixels of the box {xmin, xmax, ymin, ymax} (y up): the density of `target`
// (first two coordinates, evaluated at pixel centres, scaled by its maximum, Inferno colour map), the
// points (shape = [n, 2] row-major) as small light dots, and the title lines in a band above.
// Throws gsn::Error for a target that is not 2D.
QImage renderMixPanel(const Target& target, const std::array<double, 4>& box, const std::vector<float>& points,
                      const QStringList& title, int size = 320);

// The panels left to right on a white background with a small gap (all the same height).
QImage joinPanels(const std::vector<QImage>& panels);

} // namespace gsn
