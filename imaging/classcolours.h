#pragma once
// The colours of the ten digit classes (matplotlib's tab10) in every class view: `gsn mixing
// --timeline` and the studio's Class mixing window. A frame's confidence is its brightness: full
// colour when the classifier is sure, towards black when it is not.

#include <QColor>

namespace gsn {

// Class k's colour (k taken mod 10).
QColor classColour(int k);
// classColour(k) scaled by confidence in [0, 1] (clamped): the timelines' cell colour.
QColor classShade(int k, double confidence);

} // namespace gsn
