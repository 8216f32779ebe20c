// Mode-mixing metrics: mode sequences, grid KL, and rank-normalised split R-hat / bulk ESS as ArviZ
// computes them (Vehtari et al. 2021). Everything in double precision.

#include "mixingmetrics.h"

#include "error.h"
#include "parallel.h"

#include <unsupported/Eigen/FFT>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numeric>
#include <utility>

namespace gsn::mixing {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

void checkModes(const ModeTrace& modes, int modeCount, const char* field)
{
    if (modeCount < 1)
        fail("mixing metrics", field, "expected a mode count >= 1, got " + std::to_string(modeCount));
    for (Eigen::Index i = 0; i < modes.size(); ++i) {
        const int m = modes.data()[i];
        if (m != kNoMode && (m < 0 || m >= modeCount))
            fail("mixing metrics", field,
                 "expected modes in [0, " + std::to_string(modeCount) + ") or -1, got " + std::to_string(m));
    }
}

// The median of a copy (mean of the two middle values for an even count), as numpy.median.
double median(std::vector<double> v)
{
    if (v.empty())
        return kNaN;
    const std::size_t h = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
    const double upper = v[h];
    if (v.size() % 2)
        return upper;
    const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h));
    return 0.5 * (lower + upper);
}

bool allEqual(const Draws& d)
{
    return d.size() == 0 || d.maxCoeff() == d.minCoeff();
}

} // namespace

// ---- Mode sequences ------------------------------------------------------------------------------

std::vector<std::int64_t> switchCounts(const ModeTrace& modes)
{
    std::vector<std::int64_t> out(static_cast<std::size_t>(modes.rows()), 0);
    for (Eigen::Index c = 0; c < modes.rows(); ++c) {
        int last = kNoMode;
        for (Eigen::Index t = 0; t < modes.cols(); ++t) {
            const int m = modes(c, t);
            if (m == kNoMode)
                continue;
            if (last != kNoMode && m != last)
                ++out[static_cast<std::size_t>(c)];
            last = m;
        }
    }
    return out;
}

std::vector<double> switchRatePer100(const ModeTrace& modes)
{
    const std::vector<std::int64_t> counts = switchCounts(modes);
    std::vector<double> out(counts.size(), 0.0);
    if (modes.cols() < 2)
        return out;
    for (std::size_t c = 0; c < counts.size(); ++c)
        out[c] = 100.0 * static_cast<double>(counts[c]) / static_cast<double>(modes.cols() - 1);
    return out;
}

std::vector<std::int64_t> firstFullVisit(const ModeTrace& modes, int modeCount)
{
    checkModes(modes, modeCount, "modes");
    std::vector<std::int64_t> out(static_cast<std::size_t>(modes.rows()), -1);
    std::vector<std::uint8_t> seen(static_cast<std::size_t>(modeCount));
    for (Eigen::Index c = 0; c < modes.rows(); ++c) {
        std::fill(seen.begin(), seen.end(), 0);
        int count = 0;
        for (Eigen::Index t = 0; t < modes.cols() && count < modeCount; ++t) {
            const int m = modes(c, t);
            if (m == kNoMode || seen[static_cast<std::size_t>(m)])
                continue;
            seen[static_cast<std::size_t>(m)] = 1;
            if (++count == modeCount)
                out[static_cast<std::size_t>(c)] = t;
        }
    }
    return out;
}

FirstVisitSummary summarizeFirstVisits(const std::vector<std::int64_t>& firstVisit)
{
    FirstVisitSummary s;
    s.chains = static_cast<int>(firstVisit.size());
    std::vector<double> v;
    for (std::int64_t t : firstVisit) {
        v.push_back(t < 0 ? kInf : static_cast<double>(t));
        s.completed += t >= 0;
    }
    const double m = median(v);
    s.median = std::isfinite(m) ? m : kNaN;
    return s;
}

std::vector<std::int64_t> visitCounts(const ModeTrace& modes, int modeCount)
{
    checkModes(modes, modeCount, "modes");
    std::vector<std::int64_t> out(static_cast<std::size_t>(modeCount), 0);
    for (Eigen::Index i = 0; i < modes.size(); ++i)
        if (modes.data()[i] != kNoMode)
            ++out[static_cast<std::size_t>(modes.data()[i])];
    return out;
}

std::vector<double> frequencies(const std::vector<std::int64_t>& counts)
{
    const double total = static_cast<double>(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}));
    std::vector<double> out(counts.size(), 0.0);
    if (total > 0)
        for (std::size_t k = 0; k < counts.size(); ++k)
            out[k] = static_cast<double>(counts[k]) / total;
    return out;
}

double totalVariation(const std::vector<double>& f, const std::vector<double>& weights)
{
    if (f.size() != weights.size())
        fail("mixing metrics", "weights", "expected " + std::to_string(f.size()) + " weights, got " +
                                              std::to_string(weights.size()));
    double wsum = 0.0, fsum = 0.0;
    for (std::size_t k = 0; k < f.size(); ++k) {
        if (!(weights[k] >= 0.0) || !std::isfinite(weights[k]))
            fail("mixing metrics", "weights", "expected finite weights >= 0");
        wsum += weights[k];
        fsum += f[k];
    }
    if (!(wsum > 0.0))
        fail("mixing metrics", "weights", "expected a positive sum");
    if (!(fsum > 0.0))
        return kNaN;
    double tv = 0.0;
    for (std::size_t k = 0; k < f.size(); ++k)
        tv += std::abs(f[k] / fsum - weights[k] / wsum);
    return 0.5 * tv;
}

// ---- Grid and KL ---------------------------------------------------------------------------------

int Grid::cellOf(double x, double y) const
{
    const double fx = (x - xlo) / (xhi - xlo) * cells;
    const double fy = (y - ylo) / (yhi - ylo) * cells;
    // Written so that NaN fails the test and goes outside.
    if (!(fx >= 0.0 && fx < cells && fy >= 0.0 && fy < cells))
        return cells * cells;
    return static_cast<int>(fy) * cells + static_cast<int>(fx);
}

double klDivergence(const std::vector<std::int64_t>& counts, const std::vector<double>& truth, double epsilon)
{
    if (counts.size() != truth.size() || counts.empty())
        fail("KL divergence", "truth", "expected " + std::to_string(counts.size()) + " cell probabilities, got " +
                                           std::to_string(truth.size()));
    if (!(epsilon > 0.0 && epsilon <= 1.0))
        fail("KL divergence", "epsilon", "expected a number in (0, 1], got " + std::to_string(epsilon));
    double n = 0.0, psum = 0.0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (!(truth[i] >= 0.0) || !std::isfinite(truth[i]))
            fail("KL divergence", "truth", "expected finite cell probabilities >= 0, got " + std::to_string(truth[i]) +
                                               " in cell " + std::to_string(i));
        n += static_cast<double>(counts[i]);
        psum += truth[i];
    }
    if (!(psum > 0.0))
        fail("KL divergence", "truth", "expected cell probabilities with a positive sum");
    if (!(n > 0.0))
        return kNaN;
    const double u = epsilon / static_cast<double>(counts.size());
    double kl = 0.0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const double q = (1.0 - epsilon) * static_cast<double>(counts[i]) / n + u;
        const double p = (1.0 - epsilon) * truth[i] / psum + u;
        kl += q * std::log(q / p);
    }
    return std::max(kl, 0.0);  // rounding can leave -1e-17 for identical distributions
}

// ---- R-hat and ESS -------------------------------------------------------------------------------

double normalQuantile(double p)
{
    if (!(p > 0.0 && p < 1.0))
        return p == 0.0 ? -kInf : p == 1.0 ? kInf : kNaN;
    // Acklam's approximation (relative error 1.15e-9) ...
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01,  -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double plow = 0.02425;
    double x;
    if (p < plow) {
        const double q = std::sqrt(-2.0 * std::log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p <= 1.0 - plow) {
        const double q = p - 0.5;
        const double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    } else {
        const double q = std::sqrt(-2.0 * std::log(1.0 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    // ... and one Halley step on Phi(x) - p (Phi from erfc) takes it to full double precision.
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double u = e * std::sqrt(2.0 * 3.14159265358979323846) * std::exp(0.5 * x * x);
    return x - u / (1.0 + 0.5 * x * u);
}

Draws splitChains(const Draws& draws)
{
    const Eigen::Index m = draws.rows(), half = draws.cols() / 2;
    Draws out(2 * m, half);
    out.topRows(m) = draws.leftCols(half);
    out.bottomRows(m) = draws.rightCols(half);
    return out;
}

namespace {

// Phi^-1((r - 3/8) / (S + 1/4)) for the integer ranks r = 1..S, computed once per S and thread: the
// quantile is most of the cost of a report, and every quantity of one report has the same S.
const std::vector<double>& blomScores(Eigen::Index s)
{
    thread_local std::vector<double> table;
    thread_local Eigen::Index size = -1;
    if (size != s) {
        table.resize(static_cast<std::size_t>(s));
        for (Eigen::Index r = 1; r <= s; ++r)
            table[static_cast<std::size_t>(r - 1)] = normalQuantile((static_cast<double>(r) - 0.375) / (static_cast<double>(s) + 0.25));
        size = s;
    }
    return table;
}

} // namespace

Draws rankNormalize(const Draws& draws)
{
    const Eigen::Index s = draws.size();
    Draws out(draws.rows(), draws.cols());
    if (s == 0)
        return out;
    // At most two distinct values (mode indicators, and their folded form): the ranks are two tie
    // groups, counted without a sort.
    const double lo = draws.minCoeff(), hi = draws.maxCoeff();
    if (((draws.array() == lo) || (draws.array() == hi)).all()) {
        const Eigen::Index low = (draws.array() == lo).count();
        const double zlo = normalQuantile((0.5 * static_cast<double>(1 + low) - 0.375) / (static_cast<double>(s) + 0.25));
        const double zhi = normalQuantile((0.5 * static_cast<double>(low + 1 + s) - 0.375) / (static_cast<double>(s) + 0.25));
        out = (draws.array() == lo).select(Draws::Constant(draws.rows(), draws.cols(), zlo),
                                           Draws::Constant(draws.rows(), draws.cols(), zhi));
        return out;
    }
    // Sorting (value, index) pairs in place is several times faster than sorting indices by an
    // indirect comparison (the sort is most of a report's cost once the quantiles are tabulated).
    std::vector<std::pair<double, Eigen::Index>> order(static_cast<std::size_t>(s));
    for (Eigen::Index i = 0; i < s; ++i)
        order[static_cast<std::size_t>(i)] = {draws.data()[i], i};
    std::sort(order.begin(), order.end());
    double* z = out.data();
    const double denom = static_cast<double>(s) + 0.25;
    for (Eigen::Index i = 0; i < s;) {
        Eigen::Index j = i + 1;
        while (j < s && order[static_cast<std::size_t>(j)].first == order[static_cast<std::size_t>(i)].first)
            ++j;
        // Ranks i+1 .. j (1-based) share their average.
        const double rank = 0.5 * static_cast<double>(i + 1 + j);
        // An integer average rank (no tie, or an odd number of tied values) comes from the table.
        const double value = (i + 1 + j) % 2 == 0 ? blomScores(s)[static_cast<std::size_t>((i + 1 + j) / 2 - 1)]
                                                  : normalQuantile((rank - 0.375) / denom);
        for (Eigen::Index k = i; k < j; ++k)
            z[order[static_cast<std::size_t>(k)].second] = value;
        i = j;
    }
    return out;
}

double rhatClassic(const Draws& chains)
{
    const Eigen::Index m = chains.rows(), n = chains.cols();
    if (m < 2 || n < 2)
        return kNaN;
    const Eigen::VectorXd means = chains.rowwise().mean();
    double w = 0.0;
    // A constant chain has variance 0 exactly (its rounded mean may differ from its value by an ulp).
    for (Eigen::Index c = 0; c < m; ++c)
        if (chains.row(c).maxCoeff() != chains.row(c).minCoeff())
            w += (chains.row(c).array() - means(c)).square().sum() / static_cast<double>(n - 1);
    w /= static_cast<double>(m);
    const double grand = means.mean();
    const double b = static_cast<double>(n) * (means.array() - grand).square().sum() / static_cast<double>(m - 1);
    if (!(w > 0.0))
        return b > 0.0 ? kInf : kNaN;
    return std::sqrt((b / w + static_cast<double>(n - 1)) / static_cast<double>(n));
}

std::string RhatValue::state() const
{
    if (std::isnan(rank))
        return "undefined";
    return std::isinf(rank) ? "infinite" : "ok";
}

namespace {

// rankRhat, and (when ess is not null) essBulk from the same rank-normalised split draws.
RhatValue rankRhatAndEss(const Draws& draws, double* ess)
{
    RhatValue r;
    if (draws.rows() < 1 || draws.cols() < 4 || !draws.allFinite())
        return r;
    const Draws split = splitChains(draws);
    const Draws z = rankNormalize(split);
    r.bulk = rhatClassic(z);
    if (ess)
        *ess = essClassic(z);
    std::vector<double> all(split.data(), split.data() + split.size());
    const double med = median(std::move(all));
    r.folded = rhatClassic(rankNormalize((split.array() - med).abs().matrix()));
    r.rank = std::isnan(r.bulk) ? r.folded : std::isnan(r.folded) ? r.bulk : std::max(r.bulk, r.folded);
    return r;
}

} // namespace

RhatValue rankRhat(const Draws& draws)
{
    return rankRhatAndEss(draws, nullptr);
}

namespace {

std::vector<double> autocovarianceWith(Eigen::FFT<double>& fft, const double* values, int n)
{
    std::vector<double> out(static_cast<std::size_t>(std::max(n, 0)), 0.0);
    if (n < 1)
        return out;
    double mean = 0.0;
    for (int i = 0; i < n; ++i)
        mean += values[i];
    mean /= n;
    // Zero-padded to a power of two >= 2n: the circular correlation then equals the linear one.
    std::size_t size = 1;
    while (size < 2 * static_cast<std::size_t>(n))
        size <<= 1;
    std::vector<double> x(size, 0.0);
    for (int i = 0; i < n; ++i)
        x[static_cast<std::size_t>(i)] = values[i] - mean;
    std::vector<std::complex<double>> f;
    fft.fwd(f, x);
    for (auto& c : f)
        c = std::complex<double>(std::norm(c), 0.0);
    std::vector<double> back;
    fft.inv(back, f);
    for (int t = 0; t < n; ++t)
        out[static_cast<std::size_t>(t)] = back[static_cast<std::size_t>(t)] / n;
    return out;
}

} // namespace

std::vector<double> autocovariance(const double* values, int n)
{
    Eigen::FFT<double> fft;
    return autocovarianceWith(fft, values, n);
}

double essClassic(const Draws& chains)
{
    const Eigen::Index m = chains.rows(), n = chains.cols();
    if (m < 1 || n < 4 || !chains.allFinite() || allEqual(chains))
        return kNaN;
    // Mean over chains of each chain's autocovariance at lag t.
    std::vector<double> acov(static_cast<std::size_t>(n), 0.0);
    Eigen::VectorXd means(m);
    Eigen::FFT<double> fft;  // one plan (twiddle factors) for every chain
    for (Eigen::Index c = 0; c < m; ++c) {
        const std::vector<double> a = autocovarianceWith(fft, chains.row(c).data(), static_cast<int>(n));
        for (Eigen::Index t = 0; t < n; ++t)
            acov[static_cast<std::size_t>(t)] += a[static_cast<std::size_t>(t)] / static_cast<double>(m);
        means(c) = chains.row(c).mean();
    }
    const double dn = static_cast<double>(n);
    const double meanVar = acov[0] * dn / (dn - 1.0);
    double varPlus = meanVar * (dn - 1.0) / dn;
    if (m > 1)
        varPlus += (means.array() - means.mean()).square().sum() / static_cast<double>(m - 1);
    const auto rho = [&](Eigen::Index t) { return 1.0 - (meanVar - acov[static_cast<std::size_t>(t)]) / varPlus; };

    std::vector<double> rhoHat(static_cast<std::size_t>(n), 0.0);
    double even = 1.0, odd = rho(1);
    rhoHat[0] = even;
    rhoHat[1] = odd;
    // Geyer's initial positive sequence: pairs (even, odd) while their sum stays positive.
    Eigen::Index t = 1;
    while (t < n - 3 && even + odd > 0.0) {
        even = rho(t + 1);
        odd = rho(t + 2);
        if (even + odd >= 0.0) {
            rhoHat[static_cast<std::size_t>(t + 1)] = even;
            rhoHat[static_cast<std::size_t>(t + 2)] = odd;
        }
        t += 2;
    }
    const Eigen::Index maxT = t - 2;
    if (even > 0.0)
        rhoHat[static_cast<std::size_t>(maxT + 1)] = even;
    // Geyer's initial monotone sequence: pair sums never increase.
    for (t = 1; t <= maxT - 2; t += 2) {
        const double prev = rhoHat[static_cast<std::size_t>(t - 1)] + rhoHat[static_cast<std::size_t>(t)];
        if (rhoHat[static_cast<std::size_t>(t + 1)] + rhoHat[static_cast<std::size_t>(t + 2)] > prev) {
            rhoHat[static_cast<std::size_t>(t + 1)] = prev / 2.0;
            rhoHat[static_cast<std::size_t>(t + 2)] = prev / 2.0;
        }
    }
    const double total = static_cast<double>(m) * dn;
    double tau = -1.0;
    for (Eigen::Index k = 0; k <= maxT; ++k)
        tau += 2.0 * rhoHat[static_cast<std::size_t>(k)];
    if (maxT + 1 < n)
        tau += rhoHat[static_cast<std::size_t>(maxT + 1)];
    tau = std::max(tau, 1.0 / std::log10(total));
    for (double r : rhoHat)
        if (std::isnan(r))
            return kNaN;
    return total / tau;
}

double essBulk(const Draws& draws)
{
    if (draws.rows() < 1 || draws.cols() < 4 || !draws.allFinite())
        return kNaN;
    return essClassic(rankNormalize(splitChains(draws)));
}

// ---- Report --------------------------------------------------------------------------------------

namespace {

// The R-hat and ESS part of a report: coordinates[i] and the mode indicators, one parallel task each.
void diagnose(MixingReport& r, const ModeTrace& history, const std::vector<Draws>& coordinates, int modeCount,
              double seconds)
{
    const std::size_t d = coordinates.size();
    const std::size_t q = d + static_cast<std::size_t>(modeCount);
    r.coordinates.assign(d, {});
    r.modeRhat.assign(static_cast<std::size_t>(modeCount), {});
    parallelFor(q, 1, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            if (i < d) {
                CoordinateDiagnostics& c = r.coordinates[i];
                c.rhat = rankRhatAndEss(coordinates[i], &c.essBulk);
                c.essPerSecond = seconds > 0.0 ? c.essBulk / seconds : kNaN;
            } else {
                const int k = static_cast<int>(i - d);
                const Draws indicator = (history.array() == k).cast<double>().matrix();
                r.modeRhat[i - d] = rankRhat(indicator);
            }
        }
    });
    r.modeRhatMax = kNaN;
    for (const RhatValue& v : r.modeRhat)
        if (!std::isnan(v.rank))
            r.modeRhatMax = std::isnan(r.modeRhatMax) ? v.rank : std::max(r.modeRhatMax, v.rank);
}

void fillCounts(MixingReport& r, const AcceptanceCounts& counts)
{
    r.acceptanceRate = counts.proposals ? static_cast<double>(counts.accepts) / static_cast<double>(counts.proposals) : kNaN;
    r.swapRates.clear();
    for (std::size_t i = 0; i < counts.swapAttempts.size(); ++i)
        r.swapRates.push_back(counts.swapAttempts[i] && i < counts.swapAccepts.size()
                                  ? static_cast<double>(counts.swapAccepts[i]) / static_cast<double>(counts.swapAttempts[i])
                                  : kNaN);
}

double mean(const std::vector<double>& v)
{
    return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

} // namespace

MixingReport mixingReport(const ModeTrace& modes, const std::vector<Draws>& coordinates,
                          const std::vector<double>& weights, const AcceptanceCounts& counts, double seconds)
{
    const int k = static_cast<int>(weights.size());
    checkModes(modes, k, "modes");
    for (const Draws& x : coordinates)
        if (x.rows() != modes.rows())
            fail("mixing metrics", "coordinates", "expected " + std::to_string(modes.rows()) + " chains per trace, got " +
                                                      std::to_string(x.rows()));
    MixingReport r;
    r.chains = static_cast<int>(modes.rows());
    r.steps = modes.cols();
    for (Eigen::Index c = 0; c < modes.rows(); ++c)
        r.currentModes.push_back(modes.cols() ? modes(c, modes.cols() - 1) : kNoMode);
    r.switchRatePer100 = switchRatePer100(modes);
    r.meanSwitchRatePer100 = mean(r.switchRatePer100);
    r.firstFullVisit = firstFullVisit(modes, k);
    r.firstVisit = summarizeFirstVisits(r.firstFullVisit);
    r.visits = visitCounts(modes, k);
    r.visitFrequencies = frequencies(r.visits);
    r.totalVariation = totalVariation(r.visitFrequencies, weights);
    fillCounts(r, counts);
    diagnose(r, modes, coordinates, k, seconds);
    return r;
}

// ---- MixingMonitor -------------------------------------------------------------------------------

MixingMonitor::MixingMonitor(int chains, int dimension, std::vector<double> weights, Grid grid,
                             std::vector<double> cellTruth, Options options)
    : m_chains(chains)
    , m_dim(dimension)
    , m_modes(static_cast<int>(weights.size()))
    , m_weights(std::move(weights))
    , m_grid(grid)
    , m_truth(std::move(cellTruth))
    , m_options(options)
{
    if (chains < 1 || dimension < 0)
        fail("mixing monitor", "chains", "expected chains >= 1 and dimension >= 0");
    if (m_modes < 1)
        fail("mixing monitor", "weights", "expected one weight per mode (at least one)");
    if (options.historyChains < 1 || options.historyDraws < 8 || options.historyDraws % 2)
        fail("mixing monitor", "history", "expected historyChains >= 1 and an even historyDraws >= 8");
    if (grid.cells < 1 || !(grid.xhi > grid.xlo) || !(grid.yhi > grid.ylo))
        fail("mixing monitor", "grid", "expected cells >= 1 and a box with hi > lo");
    if (!m_truth.empty() && static_cast<int>(m_truth.size()) != grid.cellCount())
        fail("mixing monitor", "cell probabilities", "expected " + std::to_string(grid.cellCount()) + " values, got " +
                                                         std::to_string(m_truth.size()));
    const auto c = static_cast<std::size_t>(chains);
    m_current.assign(c, kNoMode);
    m_last.assign(c, kNoMode);
    m_switches.assign(c, 0);
    m_first.assign(c, -1);
    m_visits.assign(static_cast<std::size_t>(m_modes), 0);
    m_histogram.assign(static_cast<std::size_t>(grid.cellCount()), 0);
    m_seen.assign(c * static_cast<std::size_t>(m_modes), 0);
    m_seenCount.assign(c, 0);
    m_options.historyChains = std::min(options.historyChains, chains);
    const auto h = static_cast<std::size_t>(m_options.historyChains) * static_cast<std::size_t>(m_options.historyDraws);
    m_history.assign(static_cast<std::size_t>(dimension), std::vector<double>(h));
    m_modeHistory.assign(h, kNoMode);
}

void MixingMonitor::add(const int* modes, const float* points)
{
    for (int c = 0; c < m_chains; ++c) {
        const int m = modes[c];
        if (m != kNoMode && (m < 0 || m >= m_modes))
            fail("mixing monitor", "modes", "expected modes in [0, " + std::to_string(m_modes) + ") or -1, got " +
                                                std::to_string(m));
    }
    const auto hd = static_cast<std::size_t>(m_options.historyDraws);
    if (m_steps % m_stride == 0 && m_kept == m_options.historyDraws) {
        // Full: keep every other column (steps 0, 2s, 4s, ...) and double the stride.
        for (int c = 0; c < m_options.historyChains; ++c)
            for (std::size_t j = 0; j < hd / 2; ++j)
                m_modeHistory[c * hd + j] = m_modeHistory[c * hd + 2 * j];
        for (std::vector<double>& series : m_history)
            for (int c = 0; c < m_options.historyChains; ++c)
                for (std::size_t j = 0; j < hd / 2; ++j)
                    series[c * hd + j] = series[c * hd + 2 * j];
        m_kept /= 2;
        m_stride *= 2;
    }
    const bool record = m_steps % m_stride == 0;
    for (int c = 0; c < m_chains; ++c) {
        const auto cc = static_cast<std::size_t>(c);
        const int m = modes[c];
        m_current[cc] = m;
        if (m != kNoMode) {
            if (m_last[cc] != kNoMode && m != m_last[cc])
                ++m_switches[cc];
            m_last[cc] = m;
            ++m_visits[static_cast<std::size_t>(m)];
            std::uint8_t& seen = m_seen[cc * static_cast<std::size_t>(m_modes) + static_cast<std::size_t>(m)];
            if (!seen) {
                seen = 1;
                if (++m_seenCount[cc] == m_modes)
                    m_first[cc] = m_steps;
            }
        }
        const float* p = m_dim > 0 ? points + cc * static_cast<std::size_t>(m_dim) : nullptr;
        if (p)
            ++m_histogram[static_cast<std::size_t>(m_grid.cellOf(p[0], m_dim > 1 ? p[1] : 0.0))];
        if (record && c < m_options.historyChains) {
            const std::size_t at = cc * hd + static_cast<std::size_t>(m_kept);
            m_modeHistory[at] = m;
            for (int i = 0; i < m_dim; ++i)
                m_history[static_cast<std::size_t>(i)][at] = p[i];
        }
    }
    if (record)
        ++m_kept;
    ++m_steps;
}

double MixingMonitor::klDivergence(double epsilon) const
{
    if (m_truth.empty())
        return kNaN;
    return mixing::klDivergence(m_histogram, m_truth, epsilon);
}

MixingReport MixingMonitor::report(const AcceptanceCounts& counts, double seconds) const
{
    MixingReport r;
    r.chains = m_chains;
    r.steps = m_steps;
    r.currentModes = m_current;
    r.switchRatePer100.assign(static_cast<std::size_t>(m_chains), 0.0);
    if (m_steps >= 2)
        for (int c = 0; c < m_chains; ++c)
            r.switchRatePer100[static_cast<std::size_t>(c)] =
                100.0 * static_cast<double>(m_switches[static_cast<std::size_t>(c)]) / static_cast<double>(m_steps - 1);
    r.meanSwitchRatePer100 = mean(r.switchRatePer100);
    r.firstFullVisit = m_first;
    r.firstVisit = summarizeFirstVisits(m_first);
    r.visits = m_visits;
    r.visitFrequencies = frequencies(m_visits);
    r.totalVariation = totalVariation(r.visitFrequencies, m_weights);
    fillCounts(r, counts);
    const int hc = m_options.historyChains;
    const auto hd = static_cast<std::size_t>(m_options.historyDraws);
    ModeTrace modes(hc, m_kept);
    std::vector<Draws> coords(static_cast<std::size_t>(m_dim), Draws(hc, m_kept));
    for (int c = 0; c < hc; ++c)
        for (int j = 0; j < m_kept; ++j) {
            const std::size_t at = static_cast<std::size_t>(c) * hd + static_cast<std::size_t>(j);
            modes(c, j) = m_modeHistory[at];
            for (int i = 0; i < m_dim; ++i)
                coords[static_cast<std::size_t>(i)](c, j) = m_history[static_cast<std::size_t>(i)][at];
        }
    diagnose(r, modes, coords, m_modes, seconds);
    return r;
}

} // namespace gsn::mixing
