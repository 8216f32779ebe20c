#include "daetoys.h"

#include "error.h"

#include <cmath>
#include <numbers>
#include <vector>

namespace gsn {

Eigen::VectorXd daeToyDiscrete()
{
    Eigen::VectorXd p(10);
    p << 1, 3, 6, 4, 2, 1, 3, 7, 4, 1;
    return p / p.sum();
}

std::shared_ptr<const GaussianMixtureTarget> daeToyContinuous(int components, double sd)
{
    if (components < 10 || components > 100000)
        fail("dae-toy-10d target", "components", "expected an integer in [10, 100000]");
    if (!(sd > 0.0) || !std::isfinite(sd))
        fail("dae-toy-10d target", "sd", "expected a finite number > 0");
    Matrix means(components, 10);
    for (int j = 0; j < components; ++j) {
        const double t = static_cast<double>(j) / components;
        for (int m = 0; m < 5; ++m) {
            means(j, 2 * m) = static_cast<float>(std::cos(2.0 * std::numbers::pi * (m + 1) * t));
            means(j, 2 * m + 1) = static_cast<float>(std::sin(2.0 * std::numbers::pi * (m + 1) * t));
        }
    }
    auto t = std::make_shared<GaussianMixtureTarget>(means, Vector::Ones(components), Vector::Constant(components, static_cast<float>(sd)));
    t->setModes(std::vector<int>(static_cast<std::size_t>(components), 0)); // one mode: the curve
    return t;
}

} // namespace gsn
