#include "daetoyrun.h"

#include "daetoys.h"
#include "error.h"
#include "random.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace gsn {

namespace {

constexpr std::size_t kMaxSeries = 400;

// Appends (step, value) and halves the series when it is full (every other point kept), so a long run
// keeps an even thinning of its whole history.
void addPoint(std::vector<std::pair<std::int64_t, double>>& series, std::int64_t step, double value)
{
    series.emplace_back(step, value);
    if (series.size() > kMaxSeries) {
        std::vector<std::pair<std::int64_t, double>> kept;
        for (std::size_t i = 0; i < series.size(); i += 2)
            kept.push_back(series[i]);
        if (kept.back() != series.back())
            kept.push_back(series.back());
        series = std::move(kept);
    }
}

double totalVariation(const Eigen::VectorXd& a, const Eigen::VectorXd& b)
{
    return 0.5 * (a - b).cwiseAbs().sum();
}

} // namespace

double slicedWasserstein1(const Matrix& a, const Matrix& b, int directions, std::uint64_t seed)
{
    if (a.rows() < 1 || b.rows() < 1 || a.cols() != b.cols() || a.cols() < 1)
        fail("sliced Wasserstein distance", "points", "expected two non-empty point sets of the same dimension");
    if (directions < 1)
        fail("sliced Wasserstein distance", "directions", "expected at least 1");
    const Eigen::Index d = a.cols();
    const Eigen::Index m = std::max(a.rows(), b.rows());
    double total = 0.0;
    std::vector<double> pa(static_cast<std::size_t>(a.rows())), pb(static_cast<std::size_t>(b.rows()));
    for (int k = 0; k < directions; ++k) {
        Philox rng(seed, static_cast<std::uint64_t>(k), 0);
        Eigen::VectorXd u(d);
        for (Eigen::Index j = 0; j < d; ++j)
            u(j) = rng.normal();
        const double norm = u.norm();
        if (!(norm > 0))
            continue;
        u /= norm;
        for (Eigen::Index i = 0; i < a.rows(); ++i)
            pa[static_cast<std::size_t>(i)] = a.row(i).cast<double>().dot(u);
        for (Eigen::Index i = 0; i < b.rows(); ++i)
            pb[static_cast<std::size_t>(i)] = b.row(i).cast<double>().dot(u);
        std::sort(pa.begin(), pa.end());
        std::sort(pb.begin(), pb.end());
        double w = 0.0;
        for (Eigen::Index q = 0; q < m; ++q) {
            const double level = (static_cast<double>(q) + 0.5) / static_cast<double>(m);
            const auto at = [level](const std::vector<double>& sorted) {
                const std::size_t i = std::min(sorted.size() - 1, static_cast<std::size_t>(level * static_cast<double>(sorted.size())));
                return sorted[i];
            };
            w += std::abs(at(pa) - at(pb));
        }
        total += w / static_cast<double>(m);
    }
    return total / directions;
}

DiscreteToyRun::DiscreteToyRun(const DiscreteToyOptions& options)
    : m_options(options),
      m_truth(daeToyDiscrete()),
      m_dae(DiscreteNpDae::ringCorruption(static_cast<int>(daeToyDiscrete().size()), options.keep, options.width))
{
    if (options.samples < 1 || options.samples > 10000000)
        fail("discrete toy", "training samples", "expected 1 to 10000000, got " + std::to_string(options.samples));
    if (options.chains < 1 || options.chains > 1000000)
        fail("discrete toy", "chains", "expected 1 to 1000000, got " + std::to_string(options.chains));
    const std::vector<int> samples = DiscreteNpDae::sampleCategorical(m_truth, options.samples, options.seed);
    m_dae.fit(samples, options.seed + 1);
    m_stationary = m_dae.stationaryDistribution();
    m_x.resize(static_cast<std::size_t>(options.chains));
    for (std::size_t c = 0; c < m_x.size(); ++c)
        m_x[c] = samples[c % samples.size()];
    m_counts.assign(static_cast<std::size_t>(m_truth.size()), 0);
}

void DiscreteToyRun::advance(int steps)
{
    for (int t = 0; t < steps; ++t) {
        m_dae.step(m_x, m_options.seed + 2, static_cast<std::uint64_t>(m_steps));
        for (int v : m_x)
            ++m_counts[static_cast<std::size_t>(v)];
        ++m_steps;
    }
    if (steps > 0)
        addPoint(m_series, m_steps, tvChain());
}

Eigen::VectorXd DiscreteToyRun::chainHistogram() const
{
    Eigen::VectorXd h(static_cast<Eigen::Index>(m_counts.size()));
    double total = 0;
    for (std::size_t i = 0; i < m_counts.size(); ++i) {
        h(static_cast<Eigen::Index>(i)) = static_cast<double>(m_counts[i]);
        total += static_cast<double>(m_counts[i]);
    }
    return total > 0 ? Eigen::VectorXd(h / total) : Eigen::VectorXd(Eigen::VectorXd::Zero(h.size()));
}

double DiscreteToyRun::tvChain() const
{
    return m_steps > 0 ? totalVariation(chainHistogram(), m_truth) : std::numeric_limits<double>::quiet_NaN();
}

double DiscreteToyRun::tvEmpirical() const
{
    return totalVariation(m_dae.empirical(), m_truth);
}

double DiscreteToyRun::tvStationary() const
{
    return totalVariation(m_stationary, m_truth);
}

ContinuousToyRun::ContinuousToyRun(const ContinuousToyOptions& options)
    : m_options(options),
      m_target(daeToyContinuous()),
      m_dae(ParzenNpDae::Options{options.corruption, options.bandwidth, options.outputSigma})
{
    if (options.samples < 1 || options.samples > 1000000)
        fail("continuous toy", "training samples", "expected 1 to 1000000, got " + std::to_string(options.samples));
    if (options.chains < 1 || options.chains > 100000)
        fail("continuous toy", "chains", "expected 1 to 100000, got " + std::to_string(options.chains));
    m_dae.fit(m_target->sample(options.samples, options.seed), options.seed + 4);
    m_x.resize(options.chains, m_dae.dimension());
    for (Eigen::Index c = 0; c < m_x.rows(); ++c)
        m_x.row(c) = m_dae.clean().row(options.startAtOnePoint ? 0 : c % m_dae.clean().rows());
    m_reference = m_target->sample(options.chains, options.seed + 1);
    m_floor = slicedWasserstein1(m_target->sample(options.chains, options.seed + 2), m_target->sample(options.chains, options.seed + 3),
                                 kDirections, options.seed + 5);
    addPoint(m_series, 0, distance());
}

void ContinuousToyRun::advance(int steps)
{
    for (int t = 0; t < steps; ++t) {
        m_dae.step(m_x, m_options.seed + 6, static_cast<std::uint64_t>(m_steps));
        ++m_steps;
    }
    if (steps > 0)
        addPoint(m_series, m_steps, distance());
}

double ContinuousToyRun::distance() const
{
    return slicedWasserstein1(m_x, m_reference, kDirections, m_options.seed + 5);
}

} // namespace gsn
