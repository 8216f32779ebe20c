#include "classcolours.h"

#include <algorithm>

namespace gsn {

QColor classColour(int k)
{
    static const QColor colours[10] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44), QColor(214, 39, 40),
                                       QColor(148, 103, 189), QColor(140, 86, 75),  QColor(227, 119, 194), QColor(127, 127, 127),
                                       QColor(188, 189, 34),  QColor(23, 190, 207)};
    return colours[((k % 10) + 10) % 10];
}

QColor classShade(int k, double confidence)
{
    const QColor base = classColour(k);
    const double v = std::clamp(confidence, 0.0, 1.0);
    return QColor::fromRgbF(float(base.redF() * v), float(base.greenF() * v), float(base.blueF() * v));
}

} // namespace gsn
