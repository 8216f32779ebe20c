#pragma once
// The DAE paper's Figure 3 toys (Bengio et al. 2013, section 4 "Non-parametric case"; SPEC 2.4; issue 13
// item 5): a discrete distribution over 10 values and a 10-D continuous distribution, for the non-parametric
// DAE chains of npdae.h. The paper does not print either distribution; these are our choices, fixed here so
// that the lab, the command line and the tests use the same ones.

#include "target.h"

#include <Eigen/Core>

#include <memory>

namespace gsn {

// The discrete toy: p over the values 0..9, bimodal (peaks at 2 and 7, a trough at 5), shape = [10], sum 1.
// Proportional to {1, 3, 6, 4, 2, 1, 3, 7, 4, 1}.
Eigen::VectorXd daeToyDiscrete();

// The 10-D continuous toy: data near a closed curve in R^10,
//   f(t) = (cos 2 pi t, sin 2 pi t, cos 4 pi t, sin 4 pi t, ..., cos 10 pi t, sin 10 pi t), t in [0, 1),
// as the dense mixture of `components` equal Gaussians of sd `sd` at f(j / components) (so the density,
// its score and exact draws stay exact; one mode). Pairs of coordinates show a circle and Lissajous
// figures, which the lab's pairwise scatter plots of chain samples against training data show.
// config kind: "dae-toy-10d" with "components" (default 500) and "sd" (default 0.1).
std::shared_ptr<const GaussianMixtureTarget> daeToyContinuous(int components = 500, double sd = 0.1);

} // namespace gsn
