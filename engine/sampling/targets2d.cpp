#include "targets2d.h"

#include "daetoys.h"
#include "error.h"
#include "jsonlimits.h"
#include "parallel.h"
#include "random.h"
#include "randomstreams.h"
#include "safetensors.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <optional>
#include <sstream>

namespace gsn {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::shared_ptr<const GaussianMixtureTarget> grouped(Matrix means, Vector weights, Vector sds, std::vector<int> modes)
{
    auto t = std::make_shared<GaussianMixtureTarget>(std::move(means), std::move(weights), std::move(sds));
    t->setModes(std::move(modes));
    return t;
}

void requirePositive(double v, const char* where, const char* field)
{
    if (!(v > 0.0) || !std::isfinite(v))
        fail(where, field, "expected a finite number > 0");
}

void requireCount(int v, int lo, int hi, const char* where, const char* field)
{
    if (v < lo || v > hi)
        fail(where, field, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                               std::to_string(v));
}

// Draw i's Philox stream (randomstreams.h): the same for any n and thread count.
Philox drawRng(std::uint64_t seed, int i) { return Philox(seed, streams::targetDrawStream(static_cast<std::uint64_t>(i)), 0); }

void requireTwoColumns(const Matrix& x, const char* where)
{
    if (x.cols() != 2)
        fail(where, "points", "expected 2 columns, got " + std::to_string(x.cols()));
}

// Overlap length of [a0, a1) and [b0, b1).
double overlap1(double a0, double a1, double b0, double b1) { return std::max(0.0, std::min(a1, b1) - std::max(a0, b0)); }

// --- JSON readers for createTarget2d: each names the field it reads. -----------------------------------

double num(const nlohmann::json& c, const char* field, const std::string& where, std::optional<double> fallback = {})
{
    const auto it = c.find(field);
    if (it == c.end()) {
        if (fallback)
            return *fallback;
        fail(where, field, "expected a number");
    }
    if (!it->is_number() || !std::isfinite(it->get<double>()))
        fail(where, field, "expected a finite number, got " + describeJson(*it));
    return it->get<double>();
}

int integer(const nlohmann::json& c, const char* field, const std::string& where, std::optional<int> fallback = {})
{
    const auto it = c.find(field);
    if (it == c.end()) {
        if (fallback)
            return *fallback;
        fail(where, field, "expected an integer");
    }
    if (!it->is_number_integer() || it->get<long long>() < -1000000000LL || it->get<long long>() > 1000000000LL)
        fail(where, field, "expected an integer, got " + describeJson(*it));
    return it->get<int>();
}

std::vector<double> numberArray(const nlohmann::json& v, const std::string& where, const std::string& field)
{
    if (!v.is_array())
        fail(where, field, "expected an array of numbers, got " + describeJson(v));
    std::vector<double> out;
    out.reserve(v.size());
    for (const auto& e : v) {
        if (!e.is_number())
            fail(where, field, "expected numbers, got " + describeJson(e));
        out.push_back(e.get<double>());
    }
    return out;
}

std::vector<int> modesArray(const nlohmann::json& c, const std::string& where)
{
    std::vector<int> m;
    const auto it = c.find("modes");
    if (it == c.end())
        return m;
    if (!it->is_array())
        fail(where, "modes", "expected an array of mode numbers, one per component");
    for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 1000000000LL)
            fail(where, "modes", "expected integers >= 0, got " + describeJson(v));
        m.push_back(v.get<int>());
    }
    return m;
}

// Validates mode numbers: one per component, every mode 0 .. max used. Returns the mode count.
int checkModes(const std::vector<int>& m, std::size_t components, const char* where)
{
    if (m.size() != components)
        fail(where, "modes", "expected one mode per component (" + std::to_string(components) + ")");
    int modes = 0;
    for (const int v : m) {
        if (v < 0)
            fail(where, "modes", "expected mode numbers >= 0");
        modes = std::max(modes, v + 1);
    }
    std::vector<bool> used(static_cast<std::size_t>(modes), false);
    for (const int v : m)
        used[static_cast<std::size_t>(v)] = true;
    if (std::find(used.begin(), used.end(), false) != used.end())
        fail(where, "modes", "expected every mode 0 .. " + std::to_string(modes - 1) + " to have a component");
    return modes;
}

} // namespace

// --- Gaussian-mixture presets ------------------------------------------------------------------------

std::shared_ptr<const GaussianMixtureTarget> gridMixture(int k, double spacing, double sd)
{
    requireCount(k, 1, 32, "grid target", "k");
    requirePositive(spacing, "grid target", "spacing");
    requirePositive(sd, "grid target", "sd");
    Matrix means(k * k, 2);
    const double offset = 0.5 * (k - 1) * spacing;
    for (int r = 0; r < k; ++r)
        for (int c = 0; c < k; ++c) {
            means(r * k + c, 0) = static_cast<float>(c * spacing - offset);
            means(r * k + c, 1) = static_cast<float>(r * spacing - offset);
        }
    return std::make_shared<const GaussianMixtureTarget>(means, Vector::Ones(k * k), Vector::Constant(k * k, static_cast<float>(sd)));
}

std::shared_ptr<const GaussianMixtureTarget> isolatedModes(double separation, double sd, double weight)
{
    requirePositive(separation, "isolated-modes target", "separation");
    requirePositive(sd, "isolated-modes target", "sd");
    if (!(weight > 0.0 && weight < 1.0))
        fail("isolated-modes target", "weight", "expected a number in (0, 1)");
    Matrix means(2, 2);
    means << static_cast<float>(-0.5 * separation), 0.0f, static_cast<float>(0.5 * separation), 0.0f;
    Vector w(2);
    w << static_cast<float>(weight), static_cast<float>(1.0 - weight);
    return std::make_shared<const GaussianMixtureTarget>(means, w, Vector::Constant(2, static_cast<float>(sd)));
}

std::shared_ptr<const GaussianMixtureTarget> twoMoons(int perMoon, double radius, double sd)
{
    requireCount(perMoon, 2, 2000, "two-moons target", "per_moon");
    requirePositive(radius, "two-moons target", "radius");
    requirePositive(sd, "two-moons target", "sd");
    Matrix means(2 * perMoon, 2);
    std::vector<int> modes(static_cast<std::size_t>(2 * perMoon));
    for (int j = 0; j < perMoon; ++j) {
        const double t = std::numbers::pi * j / (perMoon - 1);
        // Centred: the moons span x in [-r, 2r], y in [-r/2, r]; shift by (-r/2, -r/4).
        means(j, 0) = static_cast<float>(radius * (std::cos(t) - 0.5));
        means(j, 1) = static_cast<float>(radius * (std::sin(t) - 0.25));
        means(perMoon + j, 0) = static_cast<float>(radius * (0.5 - std::cos(t)));
        means(perMoon + j, 1) = static_cast<float>(radius * (0.25 - std::sin(t)));
        modes[static_cast<std::size_t>(j)] = 0;
        modes[static_cast<std::size_t>(perMoon + j)] = 1;
    }
    return grouped(means, Vector::Ones(2 * perMoon), Vector::Constant(2 * perMoon, static_cast<float>(sd)), modes);
}

std::shared_ptr<const GaussianMixtureTarget> spiral(int arms, int perArm, double turns, double radius, double sd)
{
    requireCount(arms, 1, 16, "spiral target", "arms");
    requireCount(perArm, 2, 2000, "spiral target", "per_arm");
    requirePositive(turns, "spiral target", "turns");
    requirePositive(radius, "spiral target", "radius");
    requirePositive(sd, "spiral target", "sd");
    Matrix means(arms * perArm, 2);
    std::vector<int> modes(static_cast<std::size_t>(arms * perArm));
    for (int a = 0; a < arms; ++a)
        for (int j = 0; j < perArm; ++j) {
            const double t = 0.1 + 0.9 * j / (perArm - 1);
            const double angle = 2.0 * std::numbers::pi * (turns * t + static_cast<double>(a) / arms);
            means(a * perArm + j, 0) = static_cast<float>(radius * t * std::cos(angle));
            means(a * perArm + j, 1) = static_cast<float>(radius * t * std::sin(angle));
            modes[static_cast<std::size_t>(a * perArm + j)] = a;
        }
    return grouped(means, Vector::Ones(arms * perArm), Vector::Constant(arms * perArm, static_cast<float>(sd)), modes);
}

// --- Full covariances --------------------------------------------------------------------------------

GaussianMixtureFullTarget::GaussianMixtureFullTarget(Matrix means, Vector weights, std::vector<Eigen::MatrixXd> covariances)
    : m_means(std::move(means))
    , m_weights(std::move(weights))
    , m_cov(std::move(covariances))
{
    const Eigen::Index k = m_means.rows(), d = m_means.cols();
    if (k < 1 || d < 1 || !m_means.allFinite())
        fail("gaussian mixture", "means", "expected finite means of shape [k >= 1, d >= 1]");
    if (m_weights.size() != k || !m_weights.allFinite() || (m_weights.array() < 0.0f).any() || !(m_weights.sum() > 0.0f))
        fail("gaussian mixture", "weights", "expected " + std::to_string(k) + " finite weights >= 0 with a positive sum");
    if (static_cast<Eigen::Index>(m_cov.size()) != k)
        fail("gaussian mixture", "covariances", "expected " + std::to_string(k) + " covariance matrices, one per mean");
    if (const double sum = m_weights.cast<double>().sum(); std::abs(sum - 1.0) > 1e-6)
        m_weights /= static_cast<float>(sum); // as GaussianMixtureTarget: config() reads back the same
    for (Eigen::Index j = 0; j < k; ++j) {
        const Eigen::MatrixXd& s = m_cov[static_cast<std::size_t>(j)];
        const std::string which = "covariances[" + std::to_string(j) + "]";
        if (s.rows() != d || s.cols() != d || !s.allFinite())
            fail("gaussian mixture", which, "expected a finite " + std::to_string(d) + " x " + std::to_string(d) + " matrix");
        if ((s - s.transpose()).cwiseAbs().maxCoeff() > 1e-9 * std::max(1.0, s.cwiseAbs().maxCoeff()))
            fail("gaussian mixture", which, "expected a symmetric matrix");
        const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(s, Eigen::EigenvaluesOnly);
        const double lo = eig.eigenvalues().minCoeff(), hi = eig.eigenvalues().maxCoeff();
        if (!(lo > 0.0) || hi / lo > 1e12)
            fail("gaussian mixture", which,
                 "expected a positive definite matrix (eigenvalues " + std::to_string(lo) + " .. " + std::to_string(hi) +
                     "): a singular covariance has no density");
        const Eigen::LLT<Eigen::MatrixXd> llt(s);
        m_chol.push_back(llt.matrixL());
        m_precision.push_back(llt.solve(Eigen::MatrixXd::Identity(d, d)));
        const double logdet = 2.0 * m_chol.back().diagonal().array().log().sum();
        m_logConst.push_back(std::log(static_cast<double>(m_weights(j))) - 0.5 * logdet -
                             0.5 * static_cast<double>(d) * std::log(2.0 * std::numbers::pi));
    }
    for (Eigen::Index j = 0; j < k; ++j)
        m_componentMode.push_back(static_cast<int>(j));
    m_modeCount = static_cast<int>(k);
}

void GaussianMixtureFullTarget::setModes(std::vector<int> componentMode)
{
    m_modeCount = checkModes(componentMode, static_cast<std::size_t>(m_means.rows()), "gaussian mixture");
    m_componentMode = std::move(componentMode);
}

nlohmann::json GaussianMixtureFullTarget::config() const
{
    nlohmann::json means = nlohmann::json::array(), covs = nlohmann::json::array();
    for (Eigen::Index j = 0; j < m_means.rows(); ++j) {
        means.push_back(std::vector<float>(m_means.row(j).data(), m_means.row(j).data() + m_means.cols()));
        nlohmann::json c = nlohmann::json::array();
        const Eigen::MatrixXd& s = m_cov[static_cast<std::size_t>(j)];
        for (Eigen::Index r = 0; r < s.rows(); ++r) {
            std::vector<double> row(static_cast<std::size_t>(s.cols()));
            for (Eigen::Index q = 0; q < s.cols(); ++q)
                row[static_cast<std::size_t>(q)] = s(r, q);
            c.push_back(row);
        }
        covs.push_back(c);
    }
    nlohmann::json out = {{"kind", kKind},
                          {"means", means},
                          {"weights", std::vector<float>(m_weights.data(), m_weights.data() + m_weights.size())},
                          {"covariances", covs}};
    for (std::size_t j = 0; j < m_componentMode.size(); ++j)
        if (m_componentMode[j] != static_cast<int>(j)) {
            out["modes"] = m_componentMode;
            break;
        }
    return out;
}

Eigen::MatrixXd GaussianMixtureFullTarget::logTerms(const Matrix& x) const
{
    if (x.cols() != m_means.cols())
        fail("gaussian mixture", "points", "expected " + std::to_string(m_means.cols()) + " columns, got " + std::to_string(x.cols()));
    const Eigen::MatrixXd xd = x.cast<double>();
    Eigen::MatrixXd t(x.rows(), m_means.rows());
    for (Eigen::Index j = 0; j < m_means.rows(); ++j) {
        const Eigen::MatrixXd diff = (xd.rowwise() - m_means.row(j).cast<double>()).transpose(); // shape = [d, n]
        const Eigen::MatrixXd z = m_chol[static_cast<std::size_t>(j)].triangularView<Eigen::Lower>().solve(diff);
        t.col(j) = (-0.5 * z.colwise().squaredNorm().array() + m_logConst[static_cast<std::size_t>(j)]).matrix().transpose();
    }
    return t;
}

Vector GaussianMixtureFullTarget::logDensity(const Matrix& x) const
{
    const Eigen::MatrixXd t = logTerms(x);
    const Eigen::VectorXd m = t.rowwise().maxCoeff();
    return (m.array() + (t.colwise() - m).array().exp().rowwise().sum().log()).matrix().cast<float>();
}

Matrix GaussianMixtureFullTarget::gradLogDensity(const Matrix& x) const
{
    Eigen::MatrixXd r = logTerms(x);
    const Eigen::VectorXd m = r.rowwise().maxCoeff();
    r = (r.colwise() - m).array().exp().matrix();
    r.array().colwise() /= r.rowwise().sum().array(); // responsibilities
    const Eigen::MatrixXd xd = x.cast<double>();
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(x.rows(), x.cols());
    for (Eigen::Index j = 0; j < m_means.rows(); ++j) {
        // -r_j Sigma_j^-1 (x - mu_j), row by row (Sigma^-1 symmetric).
        const Eigen::MatrixXd diff = xd.rowwise() - m_means.row(j).cast<double>();
        g.array() -= (diff * m_precision[static_cast<std::size_t>(j)]).array().colwise() * r.col(j).array();
    }
    return g.cast<float>();
}

Matrix GaussianMixtureFullTarget::sample(int n, std::uint64_t seed) const
{
    if (n < 0)
        fail("gaussian mixture", "samples", "expected n >= 0");
    const Eigen::Index d = m_means.cols(), k = m_means.rows();
    Matrix out(n, d);
    Vector z(d);
    for (int i = 0; i < n; ++i) {
        Philox rng = drawRng(seed, i);
        const float u = rng.uniform();
        Eigen::Index j = 0;
        float cumulative = m_weights(0);
        while (j + 1 < k && u >= cumulative)
            cumulative += m_weights(++j);
        rng.normal(z.data(), static_cast<std::size_t>(d));
        out.row(i) = m_means.row(j) + (m_chol[static_cast<std::size_t>(j)] * z.cast<double>()).cast<float>().transpose();
    }
    return out;
}

std::vector<double> GaussianMixtureFullTarget::modeWeights() const
{
    std::vector<double> w(static_cast<std::size_t>(m_modeCount), 0.0);
    double total = 0.0;
    for (Eigen::Index j = 0; j < m_weights.size(); ++j) {
        w[static_cast<std::size_t>(m_componentMode[static_cast<std::size_t>(j)])] += m_weights(j);
        total += m_weights(j);
    }
    for (double& v : w)
        v /= total; // the float weights' sum is 1 only to rounding
    return w;
}

std::vector<int> GaussianMixtureFullTarget::modeOf(const Matrix& x) const
{
    return mixtureModes(x, logTerms(x), m_componentMode);
}

std::array<double, 4> GaussianMixtureFullTarget::viewBox() const
{
    std::array<double, 4> box{};
    for (int c = 0; c < 2; ++c) {
        if (c >= m_means.cols()) {
            box[static_cast<std::size_t>(2 * c)] = -1.0;
            box[static_cast<std::size_t>(2 * c + 1)] = 1.0;
            continue;
        }
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (Eigen::Index j = 0; j < m_means.rows(); ++j) {
            const double s = 4.0 * std::sqrt(m_cov[static_cast<std::size_t>(j)](c, c));
            lo = std::min(lo, m_means(j, c) - s);
            hi = std::max(hi, m_means(j, c) + s);
        }
        box[static_cast<std::size_t>(2 * c)] = lo;
        box[static_cast<std::size_t>(2 * c + 1)] = hi;
    }
    return box;
}

// --- Checkerboard ------------------------------------------------------------------------------------

CheckerboardTarget::CheckerboardTarget(int squares, double halfWidth)
    : m_n(squares)
    , m_half(halfWidth)
{
    requireCount(squares, 1, 64, "checkerboard target", "squares");
    requirePositive(halfWidth, "checkerboard target", "half_width");
    for (int j = 0; j < m_n; ++j)
        for (int i = 0; i < m_n; ++i)
            if ((i + j) % 2 == 0)
                m_black.push_back({i, j});
}

nlohmann::json CheckerboardTarget::config() const { return {{"kind", kKind}, {"squares", m_n}, {"half_width", m_half}}; }

int CheckerboardTarget::square(float x, float y) const
{
    const double side = 2.0 * m_half / m_n;
    const double fi = std::floor((x + m_half) / side), fj = std::floor((y + m_half) / side);
    if (!(fi >= 0.0 && fi < m_n && fj >= 0.0 && fj < m_n)) // also false for NaN
        return -1;
    const int i = static_cast<int>(fi), j = static_cast<int>(fj);
    if ((i + j) % 2 != 0)
        return -1;
    // Black squares are listed row by row; row j holds those with i = j % 2, j % 2 + 2, ...
    int before = 0;
    for (int r = 0; r < j; ++r)
        before += (m_n - (r % 2) + 1) / 2;
    return before + (i - j % 2) / 2;
}

Vector CheckerboardTarget::logDensity(const Matrix& x) const
{
    requireTwoColumns(x, "checkerboard target");
    const double side = 2.0 * m_half / m_n;
    const float inside = static_cast<float>(-std::log(static_cast<double>(m_black.size()) * side * side));
    Vector out(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i)
        out(i) = square(x(i, 0), x(i, 1)) >= 0 ? inside : kNegInf;
    return out;
}

Matrix CheckerboardTarget::gradLogDensity(const Matrix& x) const
{
    requireTwoColumns(x, "checkerboard target");
    return Matrix::Zero(x.rows(), 2);
}

Matrix CheckerboardTarget::sample(int n, std::uint64_t seed) const
{
    if (n < 0)
        fail("checkerboard target", "samples", "expected n >= 0");
    const double side = 2.0 * m_half / m_n;
    Matrix out(n, 2);
    for (int i = 0; i < n; ++i) {
        Philox rng = drawRng(seed, i);
        const auto s = std::min(static_cast<std::size_t>(rng.uniform() * static_cast<float>(m_black.size())), m_black.size() - 1);
        const float u = rng.uniform(), v = rng.uniform();
        out(i, 0) = static_cast<float>(-m_half + (m_black[s][0] + u) * side);
        out(i, 1) = static_cast<float>(-m_half + (m_black[s][1] + v) * side);
    }
    return out;
}

std::vector<double> CheckerboardTarget::modeWeights() const
{
    return std::vector<double>(m_black.size(), 1.0 / static_cast<double>(m_black.size()));
}

std::vector<int> CheckerboardTarget::modeOf(const Matrix& x) const
{
    requireTwoColumns(x, "checkerboard target");
    std::vector<int> out(static_cast<std::size_t>(x.rows()));
    for (Eigen::Index i = 0; i < x.rows(); ++i)
        out[static_cast<std::size_t>(i)] = square(x(i, 0), x(i, 1));
    return out;
}

double CheckerboardTarget::cellProbability(double x0, double x1, double y0, double y1) const
{
    const double side = 2.0 * m_half / m_n;
    double area = 0.0;
    for (const auto& b : m_black) {
        const double sx = -m_half + b[0] * side, sy = -m_half + b[1] * side;
        area += overlap1(x0, x1, sx, sx + side) * overlap1(y0, y1, sy, sy + side);
    }
    return area / (static_cast<double>(m_black.size()) * side * side);
}

// --- Banana ------------------------------------------------------------------------------------------

BananaTarget::BananaTarget(double a, double b)
    : m_a(a)
    , m_b(b)
{
    requirePositive(a, "banana target", "a");
    if (!std::isfinite(b))
        fail("banana target", "b", "expected a finite number");
}

nlohmann::json BananaTarget::config() const { return {{"kind", kKind}, {"a", m_a}, {"b", m_b}}; }

Vector BananaTarget::logDensity(const Matrix& x) const
{
    requireTwoColumns(x, "banana target");
    const double c = -std::log(m_a) - std::log(2.0 * std::numbers::pi);
    Vector out(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const double x1 = x(i, 0), u = x(i, 1) + m_b * (x1 * x1 - m_a * m_a);
        out(i) = static_cast<float>(c - 0.5 * x1 * x1 / (m_a * m_a) - 0.5 * u * u);
    }
    return out;
}

Matrix BananaTarget::gradLogDensity(const Matrix& x) const
{
    requireTwoColumns(x, "banana target");
    Matrix g(x.rows(), 2);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const double x1 = x(i, 0), u = x(i, 1) + m_b * (x1 * x1 - m_a * m_a);
        g(i, 0) = static_cast<float>(-x1 / (m_a * m_a) - 2.0 * m_b * x1 * u);
        g(i, 1) = static_cast<float>(-u);
    }
    return g;
}

Matrix BananaTarget::sample(int n, std::uint64_t seed) const
{
    if (n < 0)
        fail("banana target", "samples", "expected n >= 0");
    Matrix out(n, 2);
    for (int i = 0; i < n; ++i) {
        Philox rng = drawRng(seed, i);
        float z[2];
        rng.normal(z, 2);
        const double x1 = m_a * z[0];
        out(i, 0) = static_cast<float>(x1);
        out(i, 1) = static_cast<float>(z[1] - m_b * (x1 * x1 - m_a * m_a));
    }
    return out;
}

std::vector<int> BananaTarget::modeOf(const Matrix& x) const
{
    requireTwoColumns(x, "banana target");
    std::vector<int> out(static_cast<std::size_t>(x.rows()));
    for (Eigen::Index i = 0; i < x.rows(); ++i)
        out[static_cast<std::size_t>(i)] = x.row(i).allFinite() ? 0 : -1;
    return out;
}

std::array<double, 4> BananaTarget::viewBox() const
{
    constexpr double k = 4.5;
    // x2 = z2 - b t with t = x1^2 - a^2 in [-a^2, (k^2 - 1) a^2] and |z2| <= k.
    const double t0 = -m_a * m_a, t1 = (k * k - 1.0) * m_a * m_a;
    return {-k * m_a, k * m_a, -k + std::min(-m_b * t0, -m_b * t1), k + std::max(-m_b * t0, -m_b * t1)};
}

// --- Painted -----------------------------------------------------------------------------------------

PaintedTarget::PaintedTarget(std::array<double, 4> box, int nx, int ny, std::vector<double> values, double blur)
    : m_box(box)
    , m_nx(nx)
    , m_ny(ny)
    , m_values(std::move(values))
    , m_blur(blur)
{
    for (const double v : m_box)
        if (!std::isfinite(v))
            fail("painted target", "box", "expected 4 finite numbers x0, x1, y0, y1");
    if (!(m_box[1] > m_box[0]) || !(m_box[3] > m_box[2]))
        fail("painted target", "box", "expected x0 < x1 and y0 < y1");
    requireCount(nx, 1, 1024, "painted target", "nx");
    requireCount(ny, 1, 1024, "painted target", "ny");
    if (m_values.size() != static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny))
        fail("painted target", "values", "expected " + std::to_string(ny) + " rows of " + std::to_string(nx) + " values");
    double total = 0.0;
    for (const double v : m_values) {
        if (!(v >= 0.0) || !std::isfinite(v))
            fail("painted target", "values", "expected finite values >= 0");
        total += v;
    }
    if (!(total > 0.0) || !std::isfinite(total))
        fail("painted target", "values", "nothing is painted: an empty painted density has no mass to sample");
    if (!(blur >= 0.0) || !std::isfinite(blur))
        fail("painted target", "blur", "expected a finite number >= 0");
    const std::size_t cells = m_values.size();
    m_prob.resize(cells);
    m_cumulative.resize(cells);
    double run = 0.0;
    for (std::size_t c = 0; c < cells; ++c) {
        m_prob[c] = m_values[c] / total;
        run += m_prob[c];
        m_cumulative[c] = run;
    }
    // Blobs: 4-connected painted cells, labelled by a flood fill in scan order.
    m_blob.assign(cells, -1);
    std::vector<int> stack;
    for (std::size_t c = 0; c < cells; ++c) {
        if (m_prob[c] <= 0.0 || m_blob[c] >= 0)
            continue;
        m_blob[c] = m_blobs;
        stack.push_back(static_cast<int>(c));
        while (!stack.empty()) {
            const int q = stack.back();
            stack.pop_back();
            const int r = q / nx, col = q % nx;
            const int nb[4][2] = {{r - 1, col}, {r + 1, col}, {r, col - 1}, {r, col + 1}};
            for (const auto& p : nb) {
                if (p[0] < 0 || p[0] >= ny || p[1] < 0 || p[1] >= nx)
                    continue;
                const auto e = static_cast<std::size_t>(p[0] * nx + p[1]);
                if (m_prob[e] > 0.0 && m_blob[e] < 0) {
                    m_blob[e] = m_blobs;
                    stack.push_back(static_cast<int>(e));
                }
            }
        }
        ++m_blobs;
    }
    if (m_blur > 0.0) {
        std::vector<std::size_t> painted;
        for (std::size_t c = 0; c < cells; ++c)
            if (m_prob[c] > 0.0)
                painted.push_back(c);
        const auto k = static_cast<Eigen::Index>(painted.size());
        const double dx = (m_box[1] - m_box[0]) / nx, dy = (m_box[3] - m_box[2]) / ny;
        Matrix means(k, 2);
        Vector w(k);
        std::vector<int> modes(painted.size());
        for (Eigen::Index j = 0; j < k; ++j) {
            const std::size_t c = painted[static_cast<std::size_t>(j)];
            means(j, 0) = static_cast<float>(m_box[0] + (static_cast<double>(c % static_cast<std::size_t>(nx)) + 0.5) * dx);
            means(j, 1) = static_cast<float>(m_box[2] + (static_cast<double>(c / static_cast<std::size_t>(nx)) + 0.5) * dy);
            w(j) = static_cast<float>(m_prob[c]);
            modes[static_cast<std::size_t>(j)] = m_blob[c];
        }
        m_smooth = grouped(means, w, Vector::Constant(k, static_cast<float>(m_blur)), modes);
    }
}

nlohmann::json PaintedTarget::config() const
{
    nlohmann::json rows = nlohmann::json::array();
    for (int r = 0; r < m_ny; ++r)
        rows.push_back(std::vector<double>(m_values.begin() + static_cast<std::ptrdiff_t>(r) * m_nx,
                                           m_values.begin() + static_cast<std::ptrdiff_t>(r + 1) * m_nx));
    return {{"kind", kKind}, {"box", m_box}, {"values", rows}, {"blur", m_blur}};
}

int PaintedTarget::cellOf(float x, float y) const
{
    const double fx = std::floor((x - m_box[0]) / (m_box[1] - m_box[0]) * m_nx);
    const double fy = std::floor((y - m_box[2]) / (m_box[3] - m_box[2]) * m_ny);
    if (!(fx >= 0.0 && fx < m_nx && fy >= 0.0 && fy < m_ny))
        return -1;
    return static_cast<int>(fy) * m_nx + static_cast<int>(fx);
}

Vector PaintedTarget::logDensity(const Matrix& x) const
{
    requireTwoColumns(x, "painted target");
    if (m_smooth)
        return m_smooth->logDensity(x);
    const double area = (m_box[1] - m_box[0]) / m_nx * (m_box[3] - m_box[2]) / m_ny;
    Vector out(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const int c = cellOf(x(i, 0), x(i, 1));
        const double p = c < 0 ? 0.0 : m_prob[static_cast<std::size_t>(c)];
        out(i) = p > 0.0 ? static_cast<float>(std::log(p / area)) : kNegInf;
    }
    return out;
}

Matrix PaintedTarget::gradLogDensity(const Matrix& x) const
{
    requireTwoColumns(x, "painted target");
    if (m_smooth)
        return m_smooth->gradLogDensity(x);
    return Matrix::Zero(x.rows(), 2);
}

Matrix PaintedTarget::sample(int n, std::uint64_t seed) const
{
    if (m_smooth)
        return m_smooth->sample(n, seed);
    if (n < 0)
        fail("painted target", "samples", "expected n >= 0");
    const double dx = (m_box[1] - m_box[0]) / m_nx, dy = (m_box[3] - m_box[2]) / m_ny;
    Matrix out(n, 2);
    for (int i = 0; i < n; ++i) {
        Philox rng = drawRng(seed, i);
        const double u = rng.uniform();
        auto c = static_cast<std::size_t>(std::upper_bound(m_cumulative.begin(), m_cumulative.end(), u) - m_cumulative.begin());
        c = std::min(c, m_cumulative.size() - 1);
        while (m_prob[c] <= 0.0 && c > 0) // rounding past the last painted cell: step back to it
            --c;
        const float a = rng.uniform(), b = rng.uniform();
        out(i, 0) = static_cast<float>(m_box[0] + (static_cast<double>(c % static_cast<std::size_t>(m_nx)) + a) * dx);
        out(i, 1) = static_cast<float>(m_box[2] + (static_cast<double>(c / static_cast<std::size_t>(m_nx)) + b) * dy);
    }
    return out;
}

std::vector<double> PaintedTarget::modeWeights() const
{
    std::vector<double> w(static_cast<std::size_t>(m_blobs), 0.0);
    for (std::size_t c = 0; c < m_prob.size(); ++c)
        if (m_blob[c] >= 0)
            w[static_cast<std::size_t>(m_blob[c])] += m_prob[c];
    return w;
}

std::vector<int> PaintedTarget::modeOf(const Matrix& x) const
{
    requireTwoColumns(x, "painted target");
    if (m_smooth)
        return m_smooth->modeOf(x);
    std::vector<int> out(static_cast<std::size_t>(x.rows()));
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const int c = cellOf(x(i, 0), x(i, 1));
        out[static_cast<std::size_t>(i)] = c < 0 ? -1 : m_blob[static_cast<std::size_t>(c)];
    }
    return out;
}

std::array<double, 4> PaintedTarget::viewBox() const
{
    const double p = 4.0 * m_blur;
    return {m_box[0] - p, m_box[1] + p, m_box[2] - p, m_box[3] + p};
}

double PaintedTarget::cellProbability(double x0, double x1, double y0, double y1) const
{
    if (m_smooth)
        return m_smooth->cellProbability(x0, x1, y0, y1);
    const double dx = (m_box[1] - m_box[0]) / m_nx, dy = (m_box[3] - m_box[2]) / m_ny;
    // Only the grid cells the box touches.
    const int c0 = std::max(0, static_cast<int>(std::floor((x0 - m_box[0]) / dx)));
    const int c1 = std::min(m_nx - 1, static_cast<int>(std::floor((x1 - m_box[0]) / dx)));
    const int r0 = std::max(0, static_cast<int>(std::floor((y0 - m_box[2]) / dy)));
    const int r1 = std::min(m_ny - 1, static_cast<int>(std::floor((y1 - m_box[2]) / dy)));
    double p = 0.0;
    for (int r = r0; r <= r1; ++r)
        for (int c = c0; c <= c1; ++c) {
            const double cx = m_box[0] + c * dx, cy = m_box[2] + r * dy;
            p += m_prob[static_cast<std::size_t>(r * m_nx + c)] * overlap1(x0, x1, cx, cx + dx) * overlap1(y0, y1, cy, cy + dy) /
                 (dx * dy);
        }
    return p;
}

std::shared_ptr<const PaintedTarget> PaintedTarget::powered(double beta) const
{
    std::vector<double> v(m_values.size());
    // Relative to the largest value, so that v^beta neither overflows nor underflows for large beta.
    const double top = *std::max_element(m_values.begin(), m_values.end());
    for (std::size_t c = 0; c < v.size(); ++c)
        v[c] = m_values[c] > 0.0 ? std::pow(m_values[c] / top, beta) : 0.0;
    return std::make_shared<const PaintedTarget>(m_box, m_nx, m_ny, std::move(v), m_blur);
}

// --- Tempered ----------------------------------------------------------------------------------------

namespace {

// 3-point Gauss-Legendre on [-1, 1].
constexpr std::array<double, 3> kGl3Node{-0.7745966692414834, 0.0, 0.7745966692414834};
constexpr std::array<double, 3> kGl3Weight{5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0};

struct GridSum {
    std::vector<double> cellMass;   // exp(beta log p - shift) integrated per cell, G * G (y outer)
    std::vector<double> modeMass;   // the same by the nodes' modes
    double shift = 0.0;
};

// Composite 3 x 3 Gauss-Legendre of p^beta on a G x G grid over box; the per-cell and per-mode masses
// are scaled by exp(-shift), shift = the largest beta log p at a node.
GridSum gridSum(const Target& base, double beta, const std::array<double, 4>& box, int g, bool modes)
{
    const double hx = (box[1] - box[0]) / g, hy = (box[3] - box[2]) / g;
    const std::size_t perRow = static_cast<std::size_t>(g) * 9;
    std::vector<float> lp(static_cast<std::size_t>(g) * perRow);
    std::vector<int> mode(modes ? lp.size() : 0);
    // One grid row of cells per block: the points of a row are independent of the thread count.
    parallelFor(static_cast<std::size_t>(g), 1, [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r) {
            Matrix pts(static_cast<Eigen::Index>(perRow), 2);
            Eigen::Index k = 0;
            for (int c = 0; c < g; ++c)
                for (int a = 0; a < 3; ++a)
                    for (int b = 0; b < 3; ++b, ++k) {
                        pts(k, 0) = static_cast<float>(box[0] + hx * (c + 0.5 + 0.5 * kGl3Node[static_cast<std::size_t>(a)]));
                        pts(k, 1) = static_cast<float>(box[2] + hy * (static_cast<double>(r) + 0.5 + 0.5 * kGl3Node[static_cast<std::size_t>(b)]));
                    }
            const Vector v = base.logDensity(pts);
            std::copy(v.data(), v.data() + v.size(), lp.begin() + static_cast<std::ptrdiff_t>(r * perRow));
            if (modes) {
                const std::vector<int> m = base.modeOf(pts);
                std::copy(m.begin(), m.end(), mode.begin() + static_cast<std::ptrdiff_t>(r * perRow));
            }
        }
    });
    GridSum s;
    s.shift = -std::numeric_limits<double>::infinity();
    for (const float v : lp)
        if (std::isfinite(v))
            s.shift = std::max(s.shift, beta * v);
    if (!std::isfinite(s.shift))
        fail(base.kind() + " target", "beta", "the target has no mass on its view box");
    s.cellMass.assign(static_cast<std::size_t>(g) * static_cast<std::size_t>(g), 0.0);
    s.modeMass.assign(static_cast<std::size_t>(base.modeCount()), 0.0);
    const double scale = 0.25 * hx * hy;
    for (std::size_t i = 0; i < lp.size(); ++i) {
        if (!std::isfinite(lp[i]))
            continue;
        const std::size_t node = i % 9;
        const double w = kGl3Weight[node / 3] * kGl3Weight[node % 3] * scale * std::exp(beta * lp[i] - s.shift);
        s.cellMass[i / 9] += w;
        if (modes && mode[i] >= 0)
            s.modeMass[static_cast<std::size_t>(mode[i])] += w;
    }
    return s;
}

} // namespace

TemperedTarget::TemperedTarget(std::shared_ptr<const Target> base, double beta, int cells)
    : m_base(std::move(base))
    , m_beta(beta)
    , m_cells(cells)
{
    if (!m_base)
        fail("tempered target", "base", "expected a target");
    if (!(beta >= 0.05 && beta <= 20.0))
        fail(m_base->kind() + " target", "beta", "expected a number in [0.05, 20]");
    if (m_base->dimension() != 2)
        fail(m_base->kind() + " target", "beta", "sharpness is computed on a 2D grid; this target has dimension " +
                                                     std::to_string(m_base->dimension()));
    requireCount(cells, 16, 2048, "tempered target", "quadrature_cells");
    if (m_cells % 2 != 0)
        fail(m_base->kind() + " target", "quadrature_cells", "expected an even number (the check uses half the grid)");
    m_box = m_base->viewBox();
    if (dynamic_cast<const CheckerboardTarget*>(m_base.get())) {
        m_exact = m_base; // uniform on its support: p^beta / Z_beta = p
        return;
    }
    if (const auto* painted = dynamic_cast<const PaintedTarget*>(m_base.get()); painted && painted->blur() == 0.0) {
        m_exact = painted->powered(beta);
        return;
    }
    if (beta < 1.0) {
        const double f = 1.0 / std::sqrt(beta);
        const double cx = 0.5 * (m_box[0] + m_box[1]), cy = 0.5 * (m_box[2] + m_box[3]);
        const double wx = 0.5 * (m_box[1] - m_box[0]) * f, wy = 0.5 * (m_box[3] - m_box[2]) * f;
        m_box = {cx - wx, cx + wx, cy - wy, cy + wy};
    }
    const GridSum fine = gridSum(*m_base, beta, m_box, m_cells, true);
    const GridSum coarse = gridSum(*m_base, beta, m_box, m_cells / 2, false);
    double zf = 0.0, zc = 0.0;
    for (const double v : fine.cellMass)
        zf += v;
    for (const double v : coarse.cellMass)
        zc += v;
    zc *= std::exp(coarse.shift - fine.shift);
    if (!(zf > 0.0) || std::abs(zf - zc) > 1e-4 * zf)
        fail(m_base->kind() + " target", "beta",
             "p^beta is too sharp for a " + std::to_string(m_cells) + "-cell quadrature grid (Z_beta on " +
                 std::to_string(m_cells) + " and " + std::to_string(m_cells / 2) + " cells differ by " +
                 std::to_string(std::abs(zf - zc) / zf) + " relative): raise quadrature_cells");
    m_logZ = fine.shift + std::log(zf);
    m_modeWeights = fine.modeMass;
    double modeTotal = 0.0;
    for (const double v : m_modeWeights)
        modeTotal += v;
    for (double& v : m_modeWeights)
        v /= modeTotal;
    m_cumulative.resize(fine.cellMass.size());
    double run = 0.0;
    for (std::size_t c = 0; c < fine.cellMass.size(); ++c) {
        run += fine.cellMass[c] / zf;
        m_cumulative[c] = run;
    }
}

nlohmann::json TemperedTarget::config() const
{
    nlohmann::json c = m_base->config();
    c["beta"] = m_beta;
    if (m_cells != 256)
        c["quadrature_cells"] = m_cells;
    return c;
}

Vector TemperedTarget::logDensity(const Matrix& x) const
{
    if (m_exact)
        return m_exact->logDensity(x);
    Vector v = m_base->logDensity(x);
    for (Eigen::Index i = 0; i < v.size(); ++i)
        if (std::isfinite(v(i)))
            v(i) = static_cast<float>(m_beta * v(i) - m_logZ);
    return v;
}

Matrix TemperedTarget::gradLogDensity(const Matrix& x) const
{
    if (m_exact)
        return m_exact->gradLogDensity(x);
    return static_cast<float>(m_beta) * m_base->gradLogDensity(x);
}

Matrix TemperedTarget::sample(int n, std::uint64_t seed) const
{
    if (m_exact)
        return m_exact->sample(n, seed);
    if (n < 0)
        fail(kind() + " target", "samples", "expected n >= 0");
    const int g = m_cells;
    const double hx = (m_box[1] - m_box[0]) / g, hy = (m_box[3] - m_box[2]) / g;
    Matrix out(n, 2);
    // Blocks of 64 draws; draw i uses only its own stream, so the result is the same on any thread count.
    parallelFor(static_cast<std::size_t>(n), 64, [&](std::size_t i0, std::size_t i1) {
        Matrix nodes(16, 2), one(1, 2);
        for (std::size_t i = i0; i < i1; ++i) {
            Philox rng = drawRng(seed, static_cast<int>(i));
            const double u = rng.uniform();
            auto c = static_cast<std::size_t>(std::upper_bound(m_cumulative.begin(), m_cumulative.end(), u) - m_cumulative.begin());
            c = std::min(c, m_cumulative.size() - 1);
            const double cx = m_box[0] + static_cast<double>(c % static_cast<std::size_t>(g)) * hx;
            const double cy = m_box[2] + static_cast<double>(c / static_cast<std::size_t>(g)) * hy;
            for (int a = 0; a < 4; ++a)
                for (int b = 0; b < 4; ++b) {
                    nodes(a * 4 + b, 0) = static_cast<float>(cx + hx * a / 3.0);
                    nodes(a * 4 + b, 1) = static_cast<float>(cy + hy * b / 3.0);
                }
            const double envelope = 2.0 * std::exp(static_cast<double>(logDensity(nodes).maxCoeff()));
            // Rejection inside the cell; at most 1000 proposals (then the last is kept) so that a draw
            // always ends. The acceptance rate is the cell's mean density over the envelope (>= 1/32 for
            // a density within a factor 16 of its node maximum over the cell).
            for (int attempt = 0; attempt < 1000; ++attempt) {
                one(0, 0) = static_cast<float>(cx + hx * rng.uniform());
                one(0, 1) = static_cast<float>(cy + hy * rng.uniform());
                const double p = std::exp(static_cast<double>(logDensity(one)(0)));
                if (rng.uniform() * envelope < p)
                    break;
            }
            out.row(static_cast<Eigen::Index>(i)) = one.row(0);
        }
    });
    return out;
}

std::vector<double> TemperedTarget::modeWeights() const { return m_exact ? m_exact->modeWeights() : m_modeWeights; }

double TemperedTarget::cellProbability(double x0, double x1, double y0, double y1) const
{
    return m_exact ? m_exact->cellProbability(x0, x1, y0, y1) : Target::cellProbability(x0, x1, y0, y1);
}

// --- createTarget2d, files ---------------------------------------------------------------------------

std::shared_ptr<const Target> createTarget2d(const nlohmann::json& c, const std::string& where)
{
    const std::string kind = c.at("kind").get<std::string>();
    try {
        if (kind == "grid")
            return gridMixture(integer(c, "k", where, 3), num(c, "spacing", where, 2.5), num(c, "sd", where, 0.25));
        if (kind == "isolated-modes")
            return isolatedModes(num(c, "separation", where, 8.0), num(c, "sd", where, 0.5), num(c, "weight", where, 0.7));
        if (kind == "two-moons")
            return twoMoons(integer(c, "per_moon", where, 60), num(c, "radius", where, 2.0), num(c, "sd", where, 0.2));
        if (kind == "spiral")
            return spiral(integer(c, "arms", where, 2), integer(c, "per_arm", where, 80), num(c, "turns", where, 1.0),
                          num(c, "radius", where, 4.0), num(c, "sd", where, 0.2));
        if (kind == "dae-toy-10d")
            return daeToyContinuous(integer(c, "components", where, 500), num(c, "sd", where, 0.1));
        if (kind == CheckerboardTarget::kKind)
            return std::make_shared<const CheckerboardTarget>(integer(c, "squares", where, 4), num(c, "half_width", where, 4.0));
        if (kind == BananaTarget::kKind)
            return std::make_shared<const BananaTarget>(num(c, "a", where, 2.0), num(c, "b", where, 0.5));
        if (kind == PaintedTarget::kKind) {
            const auto box = c.find("box");
            if (box == c.end())
                fail(where, "box", "expected [x0, x1, y0, y1]");
            const std::vector<double> b = numberArray(*box, where, "box");
            if (b.size() != 4)
                fail(where, "box", "expected 4 numbers x0, x1, y0, y1");
            const auto rows = c.find("values");
            if (rows == c.end() || !rows->is_array() || rows->empty())
                fail(where, "values", "expected an array of rows of cell values");
            std::vector<double> values;
            std::size_t nx = 0;
            for (std::size_t r = 0; r < rows->size(); ++r) {
                const std::vector<double> row = numberArray((*rows)[r], where, "values[" + std::to_string(r) + "]");
                if (r == 0)
                    nx = row.size();
                if (row.size() != nx || nx == 0)
                    fail(where, "values[" + std::to_string(r) + "]", "expected " + std::to_string(nx) + " values like row 0");
                values.insert(values.end(), row.begin(), row.end());
            }
            if (nx > 1024 || rows->size() > 1024)
                fail(where, "values", "expected at most 1024 x 1024 cells");
            return std::make_shared<const PaintedTarget>(std::array<double, 4>{b[0], b[1], b[2], b[3]}, static_cast<int>(nx),
                                                         static_cast<int>(rows->size()), std::move(values),
                                                         num(c, "blur", where, 0.0));
        }
        if (kind == GaussianMixtureFullTarget::kKind && c.contains("covariances")) {
            const auto means = c.find("means");
            if (means == c.end() || !means->is_array() || means->empty())
                fail(where, "means", "expected an array of k points");
            const auto k = static_cast<Eigen::Index>(means->size());
            Matrix mu;
            for (Eigen::Index j = 0; j < k; ++j) {
                const std::string field = "means[" + std::to_string(j) + "]";
                const std::vector<double> row = numberArray((*means)[static_cast<std::size_t>(j)], where, field);
                if (j == 0) {
                    if (row.empty() || row.size() > 64)
                        fail(where, field, "expected 1 to 64 coordinates");
                    mu.resize(k, static_cast<Eigen::Index>(row.size()));
                }
                if (static_cast<Eigen::Index>(row.size()) != mu.cols())
                    fail(where, field, "expected " + std::to_string(mu.cols()) + " coordinates like means[0]");
                for (Eigen::Index i = 0; i < mu.cols(); ++i)
                    mu(j, i) = static_cast<float>(row[static_cast<std::size_t>(i)]);
            }
            const auto wj = c.find("weights");
            if (wj == c.end())
                fail(where, "weights", "expected an array of k weights");
            const std::vector<double> w = numberArray(*wj, where, "weights");
            if (static_cast<Eigen::Index>(w.size()) != k)
                fail(where, "weights", "expected " + std::to_string(k) + " weights, one per mean");
            const auto& cj = c["covariances"];
            if (!cj.is_array() || static_cast<Eigen::Index>(cj.size()) != k)
                fail(where, "covariances", "expected " + std::to_string(k) + " matrices, one per mean");
            std::vector<Eigen::MatrixXd> covs;
            for (Eigen::Index j = 0; j < k; ++j) {
                const std::string field = "covariances[" + std::to_string(j) + "]";
                const auto& m = cj[static_cast<std::size_t>(j)];
                if (!m.is_array() || static_cast<Eigen::Index>(m.size()) != mu.cols())
                    fail(where, field, "expected " + std::to_string(mu.cols()) + " rows");
                Eigen::MatrixXd s(mu.cols(), mu.cols());
                for (Eigen::Index r = 0; r < mu.cols(); ++r) {
                    const std::vector<double> row = numberArray(m[static_cast<std::size_t>(r)], where, field);
                    if (static_cast<Eigen::Index>(row.size()) != mu.cols())
                        fail(where, field, "expected " + std::to_string(mu.cols()) + " x " + std::to_string(mu.cols()) + " values");
                    for (Eigen::Index q = 0; q < mu.cols(); ++q)
                        s(r, q) = row[static_cast<std::size_t>(q)];
                }
                covs.push_back(s);
            }
            Vector wv(k);
            for (Eigen::Index j = 0; j < k; ++j)
                wv(j) = static_cast<float>(w[static_cast<std::size_t>(j)]);
            auto t = std::make_shared<GaussianMixtureFullTarget>(mu, wv, std::move(covs));
            if (const std::vector<int> modes = modesArray(c, where); !modes.empty())
                t->setModes(modes);
            return t;
        }
    } catch (const Error& e) {
        const std::string what = e.what();
        if (what.rfind(where + ":", 0) == 0)
            throw;
        // A constructor names the field; the message also names the file or config it came from.
        throw Error(where + ": " + what);
    }
    return nullptr;
}

std::shared_ptr<const Target> loadTargetFile(const std::string& path)
{
    constexpr std::uintmax_t kMaxBytes = 64ull << 20;
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec)
        fail(path, "", "cannot read the target file: " + ec.message());
    if (size > kMaxBytes)
        fail(path, "", "a target file is at most 64 MB, this one has " + std::to_string(size) + " bytes");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, "", "cannot open the target file");
    std::ostringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof())
        fail(path, "", "cannot read the target file");
    const nlohmann::json config = parseJsonLimited(text.str(), path, "");
    if (!config.is_object())
        fail(path, "", "expected a JSON object with a \"kind\"");
    return createTarget(config, path);
}

void saveTargetFile(const std::string& path, const Target& target) { writeFileAtomically(path, target.config().dump(1) + "\n"); }

} // namespace gsn
