#pragma once
// Principal component analysis for the mixing views (issue 15): a few leading directions of a set of
// rows (test digits in pixel space, or their codes in a hidden layer's space), fitted once, then used to
// project chain states into 2D. Double precision; the covariance is d x d (784 or a hidden layer's size),
// its eigenvectors from Eigen's SelfAdjointEigenSolver.

#include "tensor.h"

#include <Eigen/Core>

#include <vector>

namespace gsn {

struct Pca {
    Eigen::RowVectorXd mean;      // shape = [d]
    Eigen::MatrixXd components;   // shape = [d, k]: unit columns, by decreasing variance; sign: largest |entry| positive
    std::vector<double> variance; // shape = [k]: the variance along each component (ddof 1)
    double totalVariance = 0.0;   // sum of all d variances

    int dimension() const { return static_cast<int>(mean.size()); }
    int count() const { return static_cast<int>(components.cols()); }
    // Rows projected onto the components: shape = [N, k]. Throws gsn::Error for another dimension.
    Eigen::MatrixXd project(const Matrix& rows) const;
};

// The k leading components of `rows` (shape = [N >= 2, d], 1 <= k <= d). Throws gsn::Error otherwise.
Pca fitPca(const Matrix& rows, int k);

} // namespace gsn
