#include "pca.h"

#include "error.h"

#include <Eigen/Eigenvalues>

namespace gsn {

Pca fitPca(const Matrix& rows, int k)
{
    if (rows.rows() < 2)
        fail("pca", "rows", "expected at least 2 rows, got " + std::to_string(rows.rows()));
    const Eigen::Index d = rows.cols();
    if (k < 1 || k > d)
        fail("pca", "components", "expected 1 to " + std::to_string(d) + " components, got " + std::to_string(k));
    Pca p;
    const Eigen::MatrixXd x = rows.cast<double>();
    p.mean = x.colwise().mean();
    const Eigen::MatrixXd centred = x.rowwise() - p.mean;
    const Eigen::MatrixXd cov = (centred.transpose() * centred) / static_cast<double>(x.rows() - 1);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov);
    if (solver.info() != Eigen::Success)
        fail("pca", "covariance", "expected an eigen decomposition, the solver did not converge");
    // Eigenvalues come in increasing order: the last k columns, reversed.
    p.components.resize(d, k);
    for (int j = 0; j < k; ++j) {
        Eigen::VectorXd v = solver.eigenvectors().col(d - 1 - j);
        Eigen::Index at = 0;
        v.cwiseAbs().maxCoeff(&at);
        if (v(at) < 0)
            v = -v;
        p.components.col(j) = v;
        p.variance.push_back(std::max(0.0, solver.eigenvalues()(d - 1 - j)));
    }
    p.totalVariance = cov.trace();
    return p;
}

Eigen::MatrixXd Pca::project(const Matrix& rows) const
{
    if (rows.cols() != mean.size())
        fail("pca", "rows", "expected rows of " + std::to_string(mean.size()) + " values, got " + std::to_string(rows.cols()));
    return (rows.cast<double>().rowwise() - mean) * components;
}

} // namespace gsn
