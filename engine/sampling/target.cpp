#include "target.h"

#include "targets2d.h"

#include "error.h"
#include "random.h"
#include "randomstreams.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

namespace gsn {

namespace {

std::vector<float> numbers(const nlohmann::json& config, const char* field, const std::string& where)
{
    const auto it = config.find(field);
    if (it == config.end() || !it->is_array() || it->empty())
        fail(where, field, "expected a non-empty array of numbers");
    std::vector<float> out;
    for (const auto& v : *it) {
        if (!v.is_number())
            fail(where, field, "expected numbers");
        out.push_back(v.get<float>());
    }
    return out;
}

double number(const nlohmann::json& config, const char* field, const std::string& where)
{
    const auto it = config.find(field);
    if (it == config.end() || !it->is_number())
        fail(where, field, "expected a number");
    return it->get<double>();
}

} // namespace

double Target::cellProbability(double x0, double x1, double y0, double y1) const
{
    if (dimension() != 2)
        fail(kind() + " target", "cell", "cell probabilities are defined for 2D targets, this one has dimension " +
                                             std::to_string(dimension()));
    if (!(x1 >= x0) || !(y1 >= y0) || !std::isfinite(x0) || !std::isfinite(x1) || !std::isfinite(y0) ||
        !std::isfinite(y1))
        fail(kind() + " target", "cell", "expected a finite box with x0 <= x1 and y0 <= y1");
    // 5-point Gauss-Legendre nodes and weights on [-1, 1].
    static constexpr std::array<double, 5> node{-0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831,
                                                0.9061798459386640};
    static constexpr std::array<double, 5> weight{0.2369268850561891, 0.4786286704993665, 0.5688888888888889,
                                                  0.4786286704993665, 0.2369268850561891};
    constexpr int sub = 4, q = 5;
    const double hx = (x1 - x0) / sub, hy = (y1 - y0) / sub;
    Matrix pts(sub * sub * q * q, 2);
    std::vector<double> w(static_cast<std::size_t>(pts.rows()));
    Eigen::Index r = 0;
    for (int a = 0; a < sub; ++a)
        for (int b = 0; b < sub; ++b)
            for (int i = 0; i < q; ++i)
                for (int j = 0; j < q; ++j, ++r) {
                    pts(r, 0) = static_cast<float>(x0 + hx * (a + 0.5 + 0.5 * node[static_cast<std::size_t>(i)]));
                    pts(r, 1) = static_cast<float>(y0 + hy * (b + 0.5 + 0.5 * node[static_cast<std::size_t>(j)]));
                    w[static_cast<std::size_t>(r)] = weight[static_cast<std::size_t>(i)] * weight[static_cast<std::size_t>(j)];
                }
    const Vector lp = logDensity(pts);
    double total = 0.0;
    for (Eigen::Index i = 0; i < lp.size(); ++i)
        if (std::isfinite(lp(i)))
            total += w[static_cast<std::size_t>(i)] * std::exp(static_cast<double>(lp(i)));
    return total * 0.25 * hx * hy;
}

GaussianMixtureTarget::GaussianMixtureTarget(Matrix means, Vector weights, Vector sds)
    : m_means(std::move(means))
    , m_weights(std::move(weights))
    , m_sds(std::move(sds))
{
    const Eigen::Index k = m_means.rows();
    // Coordinates and widths within 1e6 / [1e-6, 1e6]: squared distances stay finite in float (found by
    // fuzz_json: a ring of radius 4.5e36 gave NaN log-densities).
    constexpr float kMaxCoordinate = 1e6f, kMinSd = 1e-6f, kMaxSd = 1e6f;
    if (k < 1 || m_means.cols() < 1 || !m_means.allFinite() || m_means.cwiseAbs().maxCoeff() > kMaxCoordinate)
        fail("gaussian mixture", "means", "expected finite means within +-1e6 of shape [k >= 1, d >= 1]");
    if (m_weights.size() != k || !m_weights.allFinite() || (m_weights.array() < 0.0f).any() || !(m_weights.sum() > 0.0f))
        fail("gaussian mixture", "weights", "expected " + std::to_string(k) + " finite weights >= 0 with a positive sum");
    if (m_sds.size() != k || !m_sds.allFinite() || (m_sds.array() < kMinSd).any() || (m_sds.array() > kMaxSd).any())
        fail("gaussian mixture", "sds", "expected " + std::to_string(k) + " standard deviations in [1e-6, 1e6]");
    // Normalised unless already (to float rounding): a config() read back gives the same weights.
    if (const double sum = m_weights.cast<double>().sum(); std::abs(sum - 1.0) > 1e-6)
        m_weights /= static_cast<float>(sum);
    const double d = static_cast<double>(m_means.cols());
    m_logConst.resize(k);
    for (Eigen::Index j = 0; j < k; ++j)
        m_logConst(j) = static_cast<float>(std::log(static_cast<double>(m_weights(j))) - d * std::log(static_cast<double>(m_sds(j)))
                                           - 0.5 * d * std::log(2.0 * std::numbers::pi));
    m_componentMode.resize(static_cast<std::size_t>(k));
    for (Eigen::Index j = 0; j < k; ++j)
        m_componentMode[static_cast<std::size_t>(j)] = static_cast<int>(j);
    m_modeCount = static_cast<int>(k);
}

void GaussianMixtureTarget::setModes(std::vector<int> componentMode)
{
    if (static_cast<Eigen::Index>(componentMode.size()) != m_means.rows())
        fail("gaussian mixture", "modes", "expected one mode per component (" + std::to_string(m_means.rows()) + ")");
    const int modes = componentMode.empty() ? 0 : *std::max_element(componentMode.begin(), componentMode.end()) + 1;
    std::vector<bool> used(static_cast<std::size_t>(std::max(modes, 0)), false);
    for (const int m : componentMode) {
        if (m < 0)
            fail("gaussian mixture", "modes", "expected mode numbers >= 0");
        used[static_cast<std::size_t>(m)] = true;
    }
    if (std::find(used.begin(), used.end(), false) != used.end())
        fail("gaussian mixture", "modes", "expected every mode 0 .. " + std::to_string(modes - 1) + " to have a component");
    m_componentMode = std::move(componentMode);
    m_modeCount = modes;
}

std::vector<double> GaussianMixtureTarget::modeWeights() const
{
    std::vector<double> w(static_cast<std::size_t>(m_modeCount), 0.0);
    for (Eigen::Index j = 0; j < m_weights.size(); ++j)
        w[static_cast<std::size_t>(m_componentMode[static_cast<std::size_t>(j)])] += m_weights(j);
    double total = 0.0;
    for (const double v : w)
        total += v;
    for (double& v : w)
        v /= total;
    return w;
}

std::vector<int> GaussianMixtureTarget::modeOf(const Matrix& x) const
{
    return mixtureModes(x, logTerms(x), m_componentMode);
}

std::array<double, 4> GaussianMixtureTarget::viewBox() const
{
    const double pad = 4.0 * static_cast<double>(m_sds.maxCoeff());
    std::array<double, 4> box{};
    for (int c = 0; c < 2; ++c) {
        if (c < m_means.cols()) {
            box[static_cast<std::size_t>(2 * c)] = static_cast<double>(m_means.col(c).minCoeff()) - pad;
            box[static_cast<std::size_t>(2 * c + 1)] = static_cast<double>(m_means.col(c).maxCoeff()) + pad;
        } else {
            box[static_cast<std::size_t>(2 * c)] = -1.0;
            box[static_cast<std::size_t>(2 * c + 1)] = 1.0;
        }
    }
    return box;
}

double GaussianMixtureTarget::cellProbability(double x0, double x1, double y0, double y1) const
{
    if (m_means.cols() != 2)
        fail("gaussian mixture", "cell", "cell probabilities are defined for 2D targets, this one has dimension " +
                                             std::to_string(m_means.cols()));
    const auto cdf = [](double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); };
    double p = 0.0;
    for (Eigen::Index j = 0; j < m_means.rows(); ++j) {
        const double s = m_sds(j), mx = m_means(j, 0), my = m_means(j, 1);
        p += m_weights(j) * (cdf((x1 - mx) / s) - cdf((x0 - mx) / s)) * (cdf((y1 - my) / s) - cdf((y0 - my) / s));
    }
    return p;
}

std::shared_ptr<const GaussianMixtureTarget> GaussianMixtureTarget::ring(int modes, double radius, double sd)
{
    if (modes < 1)
        fail("ring target", "modes", "expected an integer >= 1");
    if (!(radius >= 0.0) || !std::isfinite(radius))
        fail("ring target", "radius", "expected a finite number >= 0");
    Matrix means(modes, 2);
    for (int j = 0; j < modes; ++j) {
        const double a = 2.0 * std::numbers::pi * j / modes;
        means(j, 0) = static_cast<float>(radius * std::cos(a));
        means(j, 1) = static_cast<float>(radius * std::sin(a));
    }
    return std::make_shared<const GaussianMixtureTarget>(means, Vector::Ones(modes),
                                                         Vector::Constant(modes, static_cast<float>(sd)));
}

nlohmann::json GaussianMixtureTarget::config() const
{
    nlohmann::json means = nlohmann::json::array();
    for (Eigen::Index j = 0; j < m_means.rows(); ++j)
        means.push_back(std::vector<float>(m_means.row(j).data(), m_means.row(j).data() + m_means.cols()));
    nlohmann::json out = {{"kind", kKind},
            {"means", means},
            {"weights", std::vector<float>(m_weights.data(), m_weights.data() + m_weights.size())},
            {"sds", std::vector<float>(m_sds.data(), m_sds.data() + m_sds.size())}};
    bool grouped = false;
    for (std::size_t j = 0; j < m_componentMode.size(); ++j)
        grouped = grouped || m_componentMode[j] != static_cast<int>(j);
    if (grouped)
        out["modes"] = m_componentMode;
    return out;
}

Matrix GaussianMixtureTarget::logTerms(const Matrix& x) const
{
    if (x.cols() != m_means.cols())
        fail("gaussian mixture", "points", "expected " + std::to_string(m_means.cols()) + " columns, got " +
                                               std::to_string(x.cols()));
    Matrix t(x.rows(), m_means.rows());
    for (Eigen::Index j = 0; j < m_means.rows(); ++j) {
        const float inv = 0.5f / (m_sds(j) * m_sds(j));
        // Differences rather than |x|^2 - 2 x.mu + |mu|^2: no cancellation far from the origin.
        t.col(j) = (-inv * (x.rowwise() - m_means.row(j)).rowwise().squaredNorm().array() + m_logConst(j)).matrix();
    }
    return t;
}

Vector GaussianMixtureTarget::logDensity(const Matrix& x) const
{
    const Matrix t = logTerms(x);
    // log-sum-exp over components, shifted by the row maximum so that far points do not underflow.
    const Vector m = t.rowwise().maxCoeff();
    return (m.array() + (t.colwise() - m).array().exp().rowwise().sum().log()).matrix();
}

Matrix GaussianMixtureTarget::gradLogDensity(const Matrix& x) const
{
    Matrix r = logTerms(x);
    const Vector m = r.rowwise().maxCoeff();
    r = (r.colwise() - m).array().exp().matrix();
    const Vector total = r.rowwise().sum();
    r.array().colwise() /= total.array(); // responsibilities, shape = [n, k]
    // sum_j r_j (mu_j - x) / s_j^2
    const Vector invVar = m_sds.array().square().inverse().matrix();
    Matrix rs = r * invVar.asDiagonal(); // shape = [n, k]
    Matrix g = rs * m_means;
    g -= (x.array().colwise() * rs.rowwise().sum().array()).matrix();
    return g;
}

Matrix GaussianMixtureTarget::sample(int n, std::uint64_t seed) const
{
    if (n < 0)
        fail("gaussian mixture", "samples", "expected n >= 0");
    const Eigen::Index d = m_means.cols(), k = m_means.rows();
    Matrix out(n, d);
    for (int i = 0; i < n; ++i) {
        Philox rng(seed, streams::targetDrawStream(static_cast<std::uint64_t>(i)), 0);
        const float u = rng.uniform();
        Eigen::Index j = 0;
        float cumulative = m_weights(0);
        while (j + 1 < k && u >= cumulative)
            cumulative += m_weights(++j);
        rng.normal(out.row(i).data(), static_cast<std::size_t>(d));
        out.row(i) = m_means.row(j) + m_sds(j) * out.row(i);
    }
    return out;
}

double GaussianMixtureTarget::boxProbability(const Vector& lo, const Vector& hi) const
{
    if (lo.size() != m_means.cols() || hi.size() != m_means.cols())
        fail("gaussian mixture", "box", "expected corners of dimension " + std::to_string(m_means.cols()));
    const auto cdf = [](double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); };
    double p = 0.0;
    for (Eigen::Index j = 0; j < m_means.rows(); ++j) {
        double q = m_weights(j);
        for (Eigen::Index i = 0; i < m_means.cols(); ++i) {
            const double s = m_sds(j), mu = m_means(j, i);
            q *= cdf((hi(i) - mu) / s) - cdf((lo(i) - mu) / s);
        }
        p += q;
    }
    return p;
}

namespace {

std::shared_ptr<const Target> createUntempered(const nlohmann::json& config, const std::string& where)
{
    if (!config.is_object() || !config.contains("kind") || !config["kind"].is_string())
        fail(where, "kind", "expected a target kind such as \"gaussian-mixture\", \"ring\" or \"two-moons\"");
    const std::string kind = config["kind"].get<std::string>();
    if (kind == "ring") {
        const auto modes = config.find("modes");
        if (modes == config.end() || !modes->is_number_integer() || modes->get<int>() < 1)
            fail(where, "modes", "expected an integer >= 1");
        const double sd = number(config, "sd", where);
        if (!(sd > 0.0) || !std::isfinite(sd))
            fail(where, "sd", "expected a finite number > 0");
        return GaussianMixtureTarget::ring(modes->get<int>(), number(config, "radius", where), sd);
    }
    if (auto t = createTarget2d(config, where))
        return t;
    if (kind != GaussianMixtureTarget::kKind)
        fail(where, "kind", "expected \"gaussian-mixture\", \"ring\", \"grid\", \"isolated-modes\", \"two-moons\", "
                            "\"spiral\", \"checkerboard\", \"banana\", \"painted\" or \"dae-toy-10d\", got '" + kind + "'");
    const auto means = config.find("means");
    if (means == config.end() || !means->is_array() || means->empty())
        fail(where, "means", "expected an array of k points");
    const std::vector<float> weights = numbers(config, "weights", where);
    const std::vector<float> sds = numbers(config, "sds", where);
    const auto k = static_cast<Eigen::Index>(means->size());
    Matrix mu;
    for (Eigen::Index j = 0; j < k; ++j) {
        const std::vector<float> row = numbers(nlohmann::json{{"means", (*means)[static_cast<std::size_t>(j)]}}, "means", where);
        if (j == 0)
            mu.resize(k, static_cast<Eigen::Index>(row.size()));
        if (static_cast<Eigen::Index>(row.size()) != mu.cols())
            fail(where, "means", "expected every mean to have " + std::to_string(mu.cols()) + " coordinates");
        for (Eigen::Index i = 0; i < mu.cols(); ++i)
            mu(j, i) = row[static_cast<std::size_t>(i)];
    }
    if (static_cast<Eigen::Index>(weights.size()) != k)
        fail(where, "weights", "expected " + std::to_string(k) + " weights, one per mean");
    if (static_cast<Eigen::Index>(sds.size()) != k)
        fail(where, "sds", "expected " + std::to_string(k) + " standard deviations, one per mean");
    try {
        auto t = std::make_shared<GaussianMixtureTarget>(mu, Eigen::Map<const Vector>(weights.data(), k),
                                                         Eigen::Map<const Vector>(sds.data(), k));
        if (const auto modes = config.find("modes"); modes != config.end()) {
            if (!modes->is_array())
                fail("gaussian mixture", "modes", "expected an array of k mode numbers");
            std::vector<int> m;
            for (const auto& v : *modes) {
                if (!v.is_number_integer())
                    fail("gaussian mixture", "modes", "expected integers");
                m.push_back(v.get<int>());
            }
            t->setModes(std::move(m));
        }
        return t;
    } catch (const Error& e) {
        // The constructor names the field; the message also names the file or config it came from.
        throw Error(where + ": " + e.what());
    }
}

} // namespace

std::shared_ptr<const Target> createTarget(const nlohmann::json& config, const std::string& where)
{
    auto base = createUntempered(config, where);
    const auto beta = config.is_object() ? config.find("beta") : config.end();
    if (beta == config.end())
        return base;
    if (!beta->is_number() || !std::isfinite(beta->get<double>()) || beta->get<double>() < 0.05 || beta->get<double>() > 20.0)
        fail(where, "beta", "expected a number in [0.05, 20]");
    if (beta->get<double>() == 1.0)
        return base;
    int cells = 256;
    if (const auto c = config.find("quadrature_cells"); c != config.end()) {
        if (!c->is_number_integer() || c->get<int>() < 16 || c->get<int>() > 2048)
            fail(where, "quadrature_cells", "expected an integer in [16, 2048]");
        cells = c->get<int>();
    }
    try {
        return std::make_shared<TemperedTarget>(std::move(base), beta->get<double>(), cells);
    } catch (const Error& e) {
        throw Error(where + ": " + e.what());
    }
}

} // namespace gsn
