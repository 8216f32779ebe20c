#pragma once
// Target densities on points in R^d with an exact log-density (the mode-mixing lab, issue 13): what
// samplers such as random-walk Metropolis (rwmhsampler.h) and Langevin sample, and what their chains
// are measured against. Every target also has an exact sampler for reference draws.
//
// Batches: a target evaluates many points at once (row i of x = point i), so a sampler's step over a
// block of chains is a few Eigen expressions rather than a loop over chains.

#include "tensor.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gsn {

class Target {
public:
    virtual ~Target() = default;

    // The kind name of config() ("gaussian-mixture").
    virtual std::string kind() const = 0;
    // Everything createTarget needs to rebuild the target (kind included).
    virtual nlohmann::json config() const = 0;
    // d: values per point.
    virtual int dimension() const = 0;
    // log p(x) (normalised) of every row of x (shape = [n, d]); shape = [n]. -inf where p = 0.
    virtual Vector logDensity(const Matrix& x) const = 0;
    // grad_x log p(x) (the score) of every row of x (shape = [n, d]); shape = [n, d].
    virtual Matrix gradLogDensity(const Matrix& x) const = 0;
    // n independent exact draws; row i from Philox(seed, streams::targetDrawStream(i), 0)
    // (randomstreams.h), so a draw does not depend on n or the thread count. shape = [n, d]
    virtual Matrix sample(int n, std::uint64_t seed) const = 0;

    // --- What the mixing metrics and the lab's views need -------------------------------------------
    // The number of modes (what "modes visited" and "mode switches" count), >= 1.
    virtual int modeCount() const = 0;
    // The true probability of each mode, shape = modeCount(), sum 1.
    virtual std::vector<double> modeWeights() const = 0;
    // The mode map: the mode (0 .. modeCount() - 1) of every row of x (shape = [n, d]); -1 for a row in
    // no mode (a non-finite point, or a point where the target has no mass).
    virtual std::vector<int> modeOf(const Matrix& x) const = 0;
    // The region a 2D view shows by default: {xmin, xmax, ymin, ymax} over the first two coordinates,
    // holding all but a negligible part of the mass (2D targets; others: their first two coordinates).
    virtual std::array<double, 4> viewBox() const = 0;
    // The probability of the box [x0, x1) x [y0, y1) of a 2D target (for a histogram's KL on a grid).
    // Default: composite Gauss-Legendre quadrature of exp(logDensity) (4 x 4 sub-boxes of 5 x 5 nodes;
    // relative error below 1e-6 for a density smooth on the scale of a sixth of the box). Targets with a
    // closed form override it. Throws gsn::Error for a target that is not 2D.
    virtual double cellProbability(double x0, double x1, double y0, double y1) const;
};

// The mode map of a mixture: row i of `x` belongs to the mode of its most responsible component
// (the largest entry of row i of `logTerms`, shape = [n, k]; componentMode[j] = the mode of component j),
// -1 for a row that is not finite. Shared by the isotropic and full-covariance mixtures.
template <typename Terms>
std::vector<int> mixtureModes(const Matrix& x, const Terms& logTerms, const std::vector<int>& componentMode)
{
    std::vector<int> out(static_cast<std::size_t>(x.rows()), -1);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        if (!x.row(i).allFinite())
            continue;
        Eigen::Index j = 0;
        logTerms.row(i).maxCoeff(&j);
        out[static_cast<std::size_t>(i)] = componentMode[static_cast<std::size_t>(j)];
    }
    return out;
}

// A mixture of k isotropic Gaussians: p(x) = sum_j w_j N(x; mu_j, s_j^2 I).
class GaussianMixtureTarget : public Target {
public:
    static constexpr const char* kKind = "gaussian-mixture";
    // means shape = [k, d] (finite), weights shape = [k] (>= 0, finite, positive sum; normalised here),
    // sds shape = [k] (> 0). Throws gsn::Error naming the bad field.
    GaussianMixtureTarget(Matrix means, Vector weights, Vector sds);
    // k equal modes of sd `sd` on a circle of `radius` around the origin in 2D, mode j at angle 2 pi j / k.
    static std::shared_ptr<const GaussianMixtureTarget> ring(int modes, double radius, double sd);

    std::string kind() const override { return kKind; }
    // {"kind": "gaussian-mixture", "means": [[...], ...], "weights": [...], "sds": [...]}
    nlohmann::json config() const override;
    int dimension() const override { return static_cast<int>(m_means.cols()); }
    Vector logDensity(const Matrix& x) const override;
    Matrix gradLogDensity(const Matrix& x) const override;
    // Component j with probability w_j (one uniform), then mu_j + s_j * (d normals).
    Matrix sample(int n, std::uint64_t seed) const override;

    // The exact probability of the axis-aligned box [lo, hi) (both shape = [d]): a product of normal
    // CDF differences per component (what a histogram on a grid is compared with).
    double boxProbability(const Vector& lo, const Vector& hi) const;

    // Modes: by default each component is a mode; a mixture along curves (two moons, spiral) groups
    // components into modes with setModes. A point's mode is that of its most responsible component.
    int modeCount() const override { return m_modeCount; }
    std::vector<double> modeWeights() const override;
    std::vector<int> modeOf(const Matrix& x) const override;
    // The means' bounding box over the first two coordinates, widened by 4 of the largest sd.
    std::array<double, 4> viewBox() const override;
    // Exact: boxProbability of the box.
    double cellProbability(double x0, double x1, double y0, double y1) const override;
    // componentMode[j] = the mode of component j (shape = [k], values 0 .. modes - 1, every mode used).
    void setModes(std::vector<int> componentMode);
    const std::vector<int>& componentModes() const { return m_componentMode; }

    int components() const { return static_cast<int>(m_means.rows()); }
    const Matrix& means() const { return m_means; }     // shape = [k, d]
    const Vector& weights() const { return m_weights; } // shape = [k], sum 1
    const Vector& sds() const { return m_sds; }         // shape = [k]

private:
    // Per-component log w_j - d log s_j - d/2 log(2 pi) (x-independent part of the log terms) and the
    // log-terms of a batch, shape = [n, k].
    Matrix logTerms(const Matrix& x) const;

    Matrix m_means;
    Vector m_weights;
    Vector m_sds;
    Vector m_logConst; // shape = [k]
    std::vector<int> m_componentMode; // shape = [k]
    int m_modeCount = 0;
};

// A target from its config: {"kind": "gaussian-mixture", "means", "weights", "sds" (or "covariances"),
// "modes"?}, the preset {"kind": "ring", "modes": k, "radius": r, "sd": s}, or any kind of targets2d.h
// ("grid", "isolated-modes", "two-moons", "spiral", "checkerboard", "banana", "painted"). An optional
// "beta" in [0.05, 20] (with "quadrature_cells") wraps it in a TemperedTarget (targets2d.h). Throws
// gsn::Error("<where>: <field>: ...") for a bad config.
std::shared_ptr<const Target> createTarget(const nlohmann::json& config, const std::string& where = "target config");

} // namespace gsn
