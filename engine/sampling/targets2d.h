#pragma once
// The mode-mixing lab's targets beyond the isotropic Gaussian mixture of target.h (issue 13 item 1,
// SPEC section 7): presets that are Gaussian mixtures (grid, isolated modes, two moons, spiral),
// Gaussian mixtures with full covariances, the checkerboard, Haario's banana, a painted density,
// the sharpness wrapper p^beta / Z_beta, and target files (JSON, read and saved atomically).
//
// Each has an exact log-density, a score, an exact sampler (Philox(seed, targetDrawStream(i), 0) for
// draw i), a mode map and the true mode weights. createTarget (target.h) builds any of them from config().

#include "target.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace gsn {

// --- Presets that are GaussianMixtureTargets (their config() is the full mixture, modes included) ---

// grid-k: k x k equal Gaussians of sd `sd`, `spacing` apart, centred on the origin; each is a mode.
std::shared_ptr<const GaussianMixtureTarget> gridMixture(int k, double spacing = 2.5, double sd = 0.25);
// "isolated modes": two Gaussians of sd `sd` at (-separation/2, 0) and (separation/2, 0), weights
// `weight` and 1 - weight (SPEC defaults: (-4, 0), (4, 0), sd 0.5, 0.7 / 0.3).
std::shared_ptr<const GaussianMixtureTarget> isolatedModes(double separation = 8.0, double sd = 0.5, double weight = 0.7);
// Two moons: `perMoon` equal Gaussians of sd `sd` evenly along each half circle (radius `radius`;
// upper moon (r cos t, r sin t), lower moon (r (1 - cos t), r (0.5 - sin t)), t in [0, pi]), centred
// on the origin. Two modes: the moons. A dense mixture, so the density and its score stay exact.
std::shared_ptr<const GaussianMixtureTarget> twoMoons(int perMoon = 60, double radius = 2.0, double sd = 0.2);
// A spiral of `arms` arms: arm a holds `perArm` equal Gaussians of sd `sd` at radius rho(t) = t *
// `radius` and angle 2 pi (turns t + a / arms), t in [0.1, 1]. Modes: the arms.
std::shared_ptr<const GaussianMixtureTarget> spiral(int arms = 2, int perArm = 80, double turns = 1.0,
                                                   double radius = 4.0, double sd = 0.2);

// A mixture of k Gaussians with full covariances: p(x) = sum_j w_j N(x; mu_j, Sigma_j).
class GaussianMixtureFullTarget : public Target {
public:
    // config kind: "gaussian-mixture" with "covariances" instead of "sds".
    static constexpr const char* kKind = "gaussian-mixture";
    // means shape = [k, d]; weights shape = [k] (>= 0, finite, positive sum); covariances: k symmetric
    // positive definite [d, d] matrices (a singular or near-singular one, condition number above 1e12,
    // is refused). Throws gsn::Error naming the field (and the component).
    GaussianMixtureFullTarget(Matrix means, Vector weights, std::vector<Eigen::MatrixXd> covariances);

    std::string kind() const override { return kKind; }
    // {"kind": "gaussian-mixture", "means", "weights", "covariances": [[[..], ..], ..], "modes"?}
    nlohmann::json config() const override;
    int dimension() const override { return static_cast<int>(m_means.cols()); }
    Vector logDensity(const Matrix& x) const override;
    Matrix gradLogDensity(const Matrix& x) const override;
    // Component j with probability w_j (one uniform), then mu_j + L_j (d normals), L_j L_j^T = Sigma_j.
    Matrix sample(int n, std::uint64_t seed) const override;
    int modeCount() const override { return m_modeCount; }
    std::vector<double> modeWeights() const override;
    std::vector<int> modeOf(const Matrix& x) const override;
    // The means' box widened by 4 standard deviations of the widest marginal.
    std::array<double, 4> viewBox() const override;
    // (cellProbability: the quadrature default of Target; there is no closed form for a rotated box.)
    void setModes(std::vector<int> componentMode);

private:
    Eigen::MatrixXd logTerms(const Matrix& x) const; // shape = [n, k]

    Matrix m_means;
    Vector m_weights;
    std::vector<Eigen::MatrixXd> m_cov, m_chol, m_precision;
    std::vector<double> m_logConst;
    std::vector<int> m_componentMode;
    int m_modeCount = 0;
};

// The checkerboard: uniform on the black squares of an n x n board covering [-h, h]^2, square (i, j)
// (column i from the left, row j from the bottom) black when i + j is even. Each black square is a mode.
// The density is piecewise constant: the score is 0 inside the squares and undefined on their edges and
// outside the support; gradLogDensity returns 0 everywhere, so MALA on it degenerates to a random walk
// with a Metropolis accept step that rejects every move off the board.
class CheckerboardTarget : public Target {
public:
    static constexpr const char* kKind = "checkerboard";
    CheckerboardTarget(int squares, double halfWidth);

    std::string kind() const override { return kKind; }
    // {"kind": "checkerboard", "squares": n, "half_width": h}
    nlohmann::json config() const override;
    int dimension() const override { return 2; }
    Vector logDensity(const Matrix& x) const override; // -inf off the black squares
    Matrix gradLogDensity(const Matrix& x) const override;
    Matrix sample(int n, std::uint64_t seed) const override;
    int modeCount() const override { return static_cast<int>(m_black.size()); }
    std::vector<double> modeWeights() const override;
    std::vector<int> modeOf(const Matrix& x) const override;
    std::array<double, 4> viewBox() const override { return {-m_half, m_half, -m_half, m_half}; }
    double cellProbability(double x0, double x1, double y0, double y1) const override; // exact areas

private:
    int square(float x, float y) const; // index of the black square holding (x, y), or -1

    int m_n;
    double m_half;
    std::vector<std::array<int, 2>> m_black; // (column, row) of each black square, in mode order
};

// Haario's twisted Gaussian ("banana"): p(x) = N(x1; 0, a^2) N(x2 + b (x1^2 - a^2); 0, 1). The twist
// has Jacobian 1, so the density is exact and normalised; an exact draw is z ~ N(0, diag(a^2, 1)),
// x = (z1, z2 - b (z1^2 - a^2)). One mode.
class BananaTarget : public Target {
public:
    static constexpr const char* kKind = "banana";
    BananaTarget(double a = 2.0, double b = 0.5);

    std::string kind() const override { return kKind; }
    // {"kind": "banana", "a": a, "b": b}
    nlohmann::json config() const override;
    int dimension() const override { return 2; }
    Vector logDensity(const Matrix& x) const override;
    Matrix gradLogDensity(const Matrix& x) const override;
    Matrix sample(int n, std::uint64_t seed) const override;
    int modeCount() const override { return 1; }
    std::vector<double> modeWeights() const override { return {1.0}; }
    std::vector<int> modeOf(const Matrix& x) const override; // 0 for every finite point
    // x1 within 4.5 a; x2 the range of z2 - b (x1^2 - a^2) for |z2| <= 4.5.
    std::array<double, 4> viewBox() const override;

private:
    double m_a, m_b;
};

// A density painted on a grid of nx x ny cells over the box [x0, x1) x [y0, y1): values[r * nx + c] >= 0
// is the unnormalised mass of the cell in column c, row r (row 0 at y0). With blur = 0 the density is
// piecewise constant (the score is 0, as for the checkerboard); with blur > 0 it is the mixture of
// Gaussians of sd `blur` at the painted cells' centres with the cells' masses as weights (smooth, exact,
// differentiable). Modes: the 4-connected blobs of painted (non-zero) cells, numbered in scan order.
class PaintedTarget : public Target {
public:
    static constexpr const char* kKind = "painted";
    // Refuses (gsn::Error naming the field): a non-finite or empty box, nx or ny outside 1 .. 1024, a
    // value count other than nx * ny, a negative or non-finite value, nothing painted, blur < 0.
    PaintedTarget(std::array<double, 4> box, int nx, int ny, std::vector<double> values, double blur = 0.0);

    std::string kind() const override { return kKind; }
    // {"kind": "painted", "box": [x0, x1, y0, y1], "values": [[row 0], [row 1], ...], "blur": s}
    nlohmann::json config() const override;
    int dimension() const override { return 2; }
    Vector logDensity(const Matrix& x) const override;
    Matrix gradLogDensity(const Matrix& x) const override;
    Matrix sample(int n, std::uint64_t seed) const override;
    int modeCount() const override { return m_blobs; }
    std::vector<double> modeWeights() const override;
    std::vector<int> modeOf(const Matrix& x) const override;
    // The grid's box, widened by 4 blur.
    std::array<double, 4> viewBox() const override;
    double cellProbability(double x0, double x1, double y0, double y1) const override; // exact

    double blur() const { return m_blur; }
    // The same painting with every value raised to `beta` (the exact p^beta of an unblurred painting).
    std::shared_ptr<const PaintedTarget> powered(double beta) const;

private:
    int cellOf(float x, float y) const; // row * nx + column, or -1 outside the grid

    std::array<double, 4> m_box;
    int m_nx, m_ny;
    std::vector<double> m_values;    // as given
    std::vector<double> m_prob;      // cell masses, sum 1
    std::vector<double> m_cumulative; // running sums of m_prob
    std::vector<int> m_blob;         // blob of each cell, -1 for unpainted
    int m_blobs = 0;
    double m_blur;
    std::shared_ptr<const GaussianMixtureTarget> m_smooth; // blur > 0: the mixture at cell centres
};

// The sharpness control: p_beta(x) = p(x)^beta / Z_beta for a 2D target p, beta in [0.05, 20].
// - beta = 1: the target itself (createTarget does not wrap it).
// - A piecewise-constant base is tempered exactly: a checkerboard is unchanged (uniform stays uniform);
//   an unblurred painting has its values raised to beta.
// - Otherwise log Z_beta and the mode weights come from composite 3 x 3-point Gauss-Legendre quadrature
//   on a G x G grid (G = `cells`, default 256) over the base's view box (widened by 1 / sqrt(beta) about
//   its centre for beta < 1, as a Gaussian's width is). The same sum on a G/2 grid must agree to 1e-4
//   relative, else the target is refused (too sharp for the grid: raise `cells`); the stated accuracy
//   of Z_beta is therefore about 1e-4 relative, plus the mass outside the box (below 1e-6 for the
//   presets). An exact draw: a grid cell by its quadrature mass (inverse CDF), then rejection inside
//   the cell against 2 x the largest density at its 16 nodes (4 x 4 corner and interior points); the draw
//   is exact when that envelope bounds the density over the cell (it does when components are wider
//   than about 2 cells), and exact up to the quadrature error in the cells' masses.
class TemperedTarget : public Target {
public:
    TemperedTarget(std::shared_ptr<const Target> base, double beta, int cells = 256);

    std::string kind() const override { return m_base->kind(); }
    // The base's config with "beta" (and "quadrature_cells" when not 256).
    nlohmann::json config() const override;
    int dimension() const override { return 2; }
    Vector logDensity(const Matrix& x) const override;
    Matrix gradLogDensity(const Matrix& x) const override; // beta * base score
    Matrix sample(int n, std::uint64_t seed) const override;
    int modeCount() const override { return m_base->modeCount(); }
    std::vector<double> modeWeights() const override; // of p_beta (quadrature, or exact as above)
    std::vector<int> modeOf(const Matrix& x) const override { return m_base->modeOf(x); }
    std::array<double, 4> viewBox() const override { return m_box; }
    double cellProbability(double x0, double x1, double y0, double y1) const override;

    double beta() const { return m_beta; }
    double logNormaliser() const { return m_logZ; } // log Z_beta (0 when tempered exactly)
    const Target& base() const { return *m_base; }

private:
    std::shared_ptr<const Target> m_base;
    std::shared_ptr<const Target> m_exact; // set when tempered exactly; every call goes to it
    double m_beta;
    int m_cells;
    std::array<double, 4> m_box{};
    double m_logZ = 0.0;
    std::vector<double> m_modeWeights;
    std::vector<double> m_cumulative; // cell masses' running sums, G * G (row-major, y outer)
};

// Builds the kinds of this file from a config whose "kind" is one of "grid", "isolated-modes",
// "two-moons", "spiral", "checkerboard", "banana", "painted", "dae-toy-10d" (daetoys.h), or
// "gaussian-mixture" with "covariances". Parameters left out take the defaults of the functions above.
// Returns nullptr for any other kind. (createTarget calls this; "beta" is handled there.)
std::shared_ptr<const Target> createTarget2d(const nlohmann::json& config, const std::string& where);

// A target file: a JSON object as createTarget takes it (at most 64 MB, nested at most 64 levels).
// Errors name the file and the field, e.g. "mix.json: weights: expected 3 finite weights >= 0 ...".
std::shared_ptr<const Target> loadTargetFile(const std::string& path);
// Writes target.config() to `path` atomically (temp file, fsync, rename).
void saveTargetFile(const std::string& path, const Target& target);

} // namespace gsn
