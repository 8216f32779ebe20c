// Mode-mixing metrics (engine/eval/mixingmetrics.h): mode switches, visits and first visits against
// hand-made sequences; KL on a grid by hand; rank-normalised split R-hat and bulk ESS against closed
// forms (AR(1) chains, independent draws, chains held in different modes) and against hand-worked small
// cases; the streaming monitor against the batch functions; 1 vs 2 threads.
//
// Expected numbers of the small cases come from this numpy port of ArviZ's _z_scale, _split_chains,
// _rhat, _rhat_rank, _autocov and _ess (arviz/stats/diagnostics.py; rankdata "average", norm.ppf from
// Python's statistics.NormalDist), run once by hand (python3 is not needed to run the test):
//   def z_scale(x): r = rankdata_avg(x); return ppf((r - 0.375) / (x.size + 0.25)).reshape(x.shape)
//   def split(x): h = x.shape[1] // 2; return np.vstack([x[:, :h], x[:, -h:]])
//   def rhat(x): n = x.shape[1]; B = n * np.var(x.mean(1), ddof=1); W = np.mean(np.var(x, axis=1, ddof=1))
//                return np.sqrt((B / W + n - 1) / n)
//   def rank_rhat(x): s = split(x); return max(rhat(z_scale(s)), rhat(z_scale(abs(s - np.median(s)))))
//   def ess(x): ... ArviZ's _ess verbatim (acov by np.fft.rfft zero-padded to a power of two >= 2n)
//   def ess_bulk(x): return ess(z_scale(split(x)))

#include "error.h"
#include "mixingmetrics.h"
#include "parallel.h"
#include "random.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <vector>

using namespace gsn;
using namespace gsn::mixing;

namespace {

Draws draws(std::initializer_list<std::initializer_list<double>> rows)
{
    Draws d(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.begin()->size()));
    Eigen::Index r = 0;
    for (const auto& row : rows) {
        Eigen::Index c = 0;
        for (double v : row)
            d(r, c++) = v;
        ++r;
    }
    return d;
}

ModeTrace modeTrace(std::initializer_list<std::initializer_list<int>> rows)
{
    ModeTrace m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.begin()->size()));
    Eigen::Index r = 0;
    for (const auto& row : rows) {
        Eigen::Index c = 0;
        for (int v : row)
            m(r, c++) = v;
        ++r;
    }
    return m;
}

// m chains of a stationary AR(1) x_t = phi x_{t-1} + e_t, e_t ~ N(0, 1); chain c from Philox(seed, c, 0).
Draws ar1(int chains, int n, double phi, std::uint64_t seed)
{
    Draws d(chains, n);
    for (int c = 0; c < chains; ++c) {
        Philox rng(seed, static_cast<std::uint64_t>(c), 0);
        double x = rng.normal() / std::sqrt(1.0 - phi * phi);
        for (int t = 0; t < n; ++t) {
            d(c, t) = x;
            x = phi * x + rng.normal();
        }
    }
    return d;
}

// Chains of a random walk on a ring of K modes (modes and 2D points near mode centres), for the
// monitor and thread tests: mode changes with probability `move` per step.
void ringWalk(int chains, int steps, int k, double move, std::uint64_t seed, ModeTrace& modes, Draws& x, Draws& y)
{
    modes.resize(chains, steps);
    x.resize(chains, steps);
    y.resize(chains, steps);
    for (int c = 0; c < chains; ++c) {
        int m = c % k;
        for (int t = 0; t < steps; ++t) {
            Philox rng(seed, static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(t));
            if (rng.uniform() < move)
                m = (m + (rng.uniform() < 0.5 ? 1 : k - 1)) % k;
            const double a = 2.0 * 3.14159265358979 * m / k;
            modes(c, t) = m;
            x(c, t) = 4.0 * std::cos(a) + 0.25 * rng.normal();
            y(c, t) = 4.0 * std::sin(a) + 0.25 * rng.normal();
        }
    }
}

bool sameNumber(double a, double b)
{
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

} // namespace

class TestMixingMetrics : public QObject {
    Q_OBJECT

private slots:
    // ---- Mode sequences against hand-made sequences ----

    void switchesVisitsAndFirstVisits()
    {
        // K = 3. Chain 0: switches at t = 2 (0->1), 5 (1->2), 6 (2->0): 3; all modes seen at t = 5.
        // Chain 1: -1 steps are skipped: 2 . 2 0 . 1 1 1 -> switches 2->0 (t = 3), 0->1 (t = 5): 2; all seen at t = 5.
        // Chain 2: never leaves mode 1: 0 switches, never sees every mode (-1).
        const ModeTrace m = modeTrace({{0, 0, 1, 1, 1, 2, 0, 0}, {2, -1, 2, 0, -1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1}});
        QCOMPARE(switchCounts(m), (std::vector<std::int64_t>{3, 2, 0}));
        const std::vector<double> rate = switchRatePer100(m);  // 100 * switches / 7 transitions
        QCOMPARE(rate.size(), std::size_t(3));
        QCOMPARE(rate[0], 300.0 / 7.0);
        QCOMPARE(rate[1], 200.0 / 7.0);
        QCOMPARE(rate[2], 0.0);
        QCOMPARE(firstFullVisit(m, 3), (std::vector<std::int64_t>{5, 5, -1}));
        // Visits pooled: mode 0: 4 + 1 = 5; mode 1: 3 + 3 + 8 = 14; mode 2: 1 + 2 = 3 (two -1 steps not counted).
        QCOMPARE(visitCounts(m, 3), (std::vector<std::int64_t>{5, 14, 3}));
        const std::vector<double> f = frequencies(visitCounts(m, 3));
        QCOMPARE(f[1], 14.0 / 22.0);
        // TV against weights (1, 1, 2)/4: 0.5 (|5/22 - 1/4| + |14/22 - 1/4| + |3/22 - 1/2|) = 0.5 * (0.5/22 + 8.5/22 + 8/22).
        QVERIFY(std::abs(totalVariation(f, {1.0, 1.0, 2.0}) - 0.5 * 17.0 / 22.0) < 1e-15);
        QVERIFY(std::isnan(totalVariation({0.0, 0.0}, {0.5, 0.5})));
        QVERIFY_THROWS_EXCEPTION(Error, visitCounts(m, 2));  // mode 2 outside [0, 2)
        QVERIFY_THROWS_EXCEPTION(Error, totalVariation(f, {1.0, -1.0, 2.0}));
    }

    void firstVisitMedianIsCensored()
    {
        // Unvisited chains count as +infinity: [5, 9, never] -> 9; [5, 5, never, never] -> (5 + inf)/2: not reached.
        FirstVisitSummary s = summarizeFirstVisits({5, -1, 9});
        QCOMPARE(s.completed, 2);
        QCOMPARE(s.median, 9.0);
        QVERIFY(s.reached());
        s = summarizeFirstVisits({5, 5, -1, -1});
        QCOMPARE(s.completed, 2);
        QVERIFY(!s.reached());
        s = summarizeFirstVisits({4, 6, 1, -1});
        QCOMPARE(s.median, 5.0);
    }

    // ---- Grid and KL ----

    void gridCells()
    {
        const Grid g{-2.0, 2.0, -1.0, 1.0, 4};
        QCOMPARE(g.cellCount(), 17);
        QCOMPARE(g.cellOf(-2.0, -1.0), 0);       // lower edges are inside
        QCOMPARE(g.cellOf(1.99, 0.99), 15);
        QCOMPARE(g.cellOf(-0.5, 0.1), 2 * 4 + 1);
        QCOMPARE(g.cellOf(2.0, 0.0), 16);        // upper edges are outside
        QCOMPARE(g.cellOf(0.0, -1.5), 16);
        QCOMPARE(g.cellOf(std::nan(""), 0.0), 16);
    }

    void klByHand()
    {
        // q = (2, 0, 1, 1)/4, p = (0.5, 0.25, 0.25, 0), both mixed with eps/4 of uniform mass:
        // eps = 0.1: q' = (0.475, 0.025, 0.25, 0.25), p' = (0.475, 0.25, 0.25, 0.025);
        // KL = 0.025 log(0.1) + 0.25 log(10) = 0.225 log 10 = 0.51808164592366...
        const std::vector<std::int64_t> counts{2, 0, 1, 1};
        const std::vector<double> truth{0.5, 0.25, 0.25, 0.0};
        QVERIFY(std::abs(klDivergence(counts, truth, 0.1) - 0.225 * std::log(10.0)) < 1e-15);
        QVERIFY(std::abs(klDivergence(counts, truth, 1e-3) - 1.7252118809257886) < 1e-13);  // numpy, see top
        QCOMPARE(klDivergence({2, 1, 1, 0}, {0.5, 0.25, 0.25, 0.0}), 0.0);  // identical: 0 (unnormalised truth too)
        QVERIFY(std::isnan(klDivergence({0, 0, 0, 0}, truth)));
        QVERIFY_THROWS_EXCEPTION(Error, klDivergence(counts, {0.5, 0.5}));
        QVERIFY_THROWS_EXCEPTION(Error, klDivergence(counts, {0.5, std::nan(""), 0.25, 0.25}));
        QVERIFY_THROWS_EXCEPTION(Error, klDivergence(counts, truth, 0.0));
    }

    // ---- Rank normalisation, split, R-hat and ESS: hand-worked small cases ----

    void normalQuantileIsExact()
    {
        QVERIFY(std::abs(normalQuantile(0.975) - 1.959963984540054) < 1e-14);
        QCOMPARE(normalQuantile(0.5), 0.0);
        QVERIFY(std::abs(normalQuantile(1e-10) + 6.361340902404056) < 1e-12);
        for (double p : {1e-12, 0.001, 0.02425, 0.3, 0.77, 0.99, 1 - 1e-9})
            QVERIFY2(std::abs(0.5 * std::erfc(-normalQuantile(p) / std::sqrt(2.0)) - p) < 1e-15 + 1e-13 * p,
                     qPrintable(QString::number(p)));
    }

    void splitAndRanksByHand()
    {
        // Two chains of 5 draws: n = 5 is odd, so each half has 2 draws and the middle draw is dropped.
        const Draws x = draws({{1, 3, 2, 9, 3}, {4, 4, 0, 5, 6}});
        const Draws s = splitChains(x);
        QCOMPARE(s, draws({{1, 3}, {4, 4}, {9, 3}, {5, 6}}));  // first halves, then second halves
        // Pooled S = 8 values 1 3 4 4 9 3 5 6: ranks 1, 2.5, 4.5, 4.5, 8, 2.5, 6, 7 (ties averaged);
        // z = Phi^-1((r - 3/8) / 8.25): r = 1 -> Phi^-1(0.0757576) = -1.43420..., 2.5 -> Phi^-1(0.257576) = -0.65084...,
        // 4.5 -> Phi^-1(0.5) = 0, 6 -> 0.47279..., 7 -> 0.85250..., 8 -> 1.43420...
        const Draws z = rankNormalize(s);
        const Draws expected = draws({{-1.4342001596863794, -0.6508373064444771},
                                      {0.0, 0.0},
                                      {1.4342001596863794, -0.6508373064444771},
                                      {0.4727891209922672, 0.8524950342746939}});
        QVERIFY2((z - expected).cwiseAbs().maxCoeff() < 1e-14, "rank-normalised z");
        // R-hat of z by hand: chain means (-1.04252, 0, 0.39168, 0.66264), n = 2; W = mean of the 4 variances
        // (ddof 1) = 0.638152; B = n var(means) = 1.119546; sqrt((B/W + n - 1)/n) = sqrt((1.754355 + 1)/2) = 1.173532.
        QVERIFY(std::abs(rhatClassic(z) - 1.1735324794728121) < 1e-13);
        // Folded: median of the split draws = 4, |s - 4| = (3 1 / 0 0 / 5 1 / 1 2), ranks (7 4 / 1.5 1.5 / 8 4 / 4 6).
        const RhatValue r = rankRhat(x);
        QVERIFY(std::abs(r.bulk - 1.1735324794728121) < 1e-13);
        QVERIFY(std::abs(r.folded - 1.3032335732724416) < 1e-13);
        QCOMPARE(r.rank, r.folded);  // max(bulk, folded)
        QCOMPARE(QString::fromStdString(r.state()), QStringLiteral("ok"));
        // Two distinct values (a mode indicator) take a path without a sort: 0 0 0 share ranks 1-3 (average 2),
        // 1 1 1 ranks 4-6 (average 5), S = 6.
        const Draws b = rankNormalize(draws({{0, 1, 1}, {0, 0, 1}}));
        const double z0 = normalQuantile((2 - 0.375) / 6.25), z1 = normalQuantile((5 - 0.375) / 6.25);
        QCOMPARE(b, draws({{z0, z1, z1}, {z0, z0, z1}}));
        QVERIFY(std::abs(z0 + 0.6433454053929168) < 1e-12);  // Phi^-1(0.26) (statistics.NormalDist().inv_cdf)
    }

    void essByHand()
    {
        // Two smooth chains of 10 draws (numpy port of ArviZ, see top): rank R-hat 1.19207609206954 (bulk;
        // folded 0.95714), bulk ESS 9.32471744506168, ESS of the raw draws (no split) 8.96473869446842.
        const Draws y = draws({{0, 1, 2, 3, 4, 5, 4, 3, 2, 1}, {5, 4, 4, 3, 2, 2, 1, 0, 1, 2}});
        QVERIFY(std::abs(rankRhat(y).rank - 1.1920760920695421) < 1e-12);
        QVERIFY(std::abs(rankRhat(y).folded - 0.9571360313135765) < 1e-12);
        QVERIFY(std::abs(essBulk(y) - 9.324717445061685) < 1e-10);
        QVERIFY(std::abs(essClassic(y) - 8.9647386944684246) < 1e-10);
        // Rough chains hit ArviZ's floor tau >= 1 / log10(m n): split 4 x 5 -> ESS = 20 log10(20) = 26.0206.
        const Draws rough = draws({{0.3, -1.2, 0.8, 2.0, 1.1, -0.4, 0.0, 0.9, 1.7, -0.2},
                                   {1.5, 2.5, 0.1, -0.7, 0.4, 1.9, 2.2, -1.0, 0.6, 0.2}});
        QVERIFY(std::abs(essBulk(rough) - 20.0 * std::log10(20.0)) < 1e-10);
        QVERIFY(std::abs(rankRhat(rough).rank - 0.91255929730686247) < 1e-12);
        // The FFT autocovariance against the direct sum (1/n) sum_i (x_i - m)(x_{i+t} - m).
        const std::vector<double> a = autocovariance(y.row(1).data(), 10);
        const double m = y.row(1).mean();
        for (int t = 0; t < 10; ++t) {
            double s = 0.0;
            for (int i = 0; i + t < 10; ++i)
                s += (y(1, i) - m) * (y(1, i + t) - m);
            QVERIFY(std::abs(a[t] - s / 10.0) < 1e-12);
        }
    }

    // ---- Closed forms ----

    void ar1EssMatchesClosedForm_data()
    {
        QTest::addColumn<double>("phi");
        QTest::addColumn<double>("tolerance");
        // 8 chains x 10000 draws, seed 20211. Over seeds 771-775 the ratio ESS / closed form stayed within
        // 0.96-1.04 for |phi| <= 0.8 and 0.93-1.02 for phi = 0.95 (Geyer's estimate has a relative sd of
        // about sqrt(2 (2M + 1) / N), M ~ the truncation lag); the tolerances are about twice those spreads.
        // A wrong tau (a missing factor 2, rho summed without the monotone fix) is off by far more.
        QTest::newRow("phi = -0.3") << -0.3 << 0.08;
        QTest::newRow("phi = 0 (independent)") << 0.0 << 0.08;
        QTest::newRow("phi = 0.5") << 0.5 << 0.08;
        QTest::newRow("phi = 0.8") << 0.8 << 0.08;
        QTest::newRow("phi = 0.95") << 0.95 << 0.15;
    }
    void ar1EssMatchesClosedForm()
    {
        QFETCH(double, phi);
        QFETCH(double, tolerance);
        const int m = 8, n = 10000;
        const Draws d = ar1(m, n, phi, 20211);
        // ESS = N (1 - phi) / (1 + phi), N = all draws (the split keeps all of them: n is even).
        const double expected = m * n * (1.0 - phi) / (1.0 + phi);
        const double bulk = essBulk(d), raw = essClassic(d);
        qInfo("phi %.2f: bulk ESS / closed form = %.4f, ESS / closed form = %.4f", phi, bulk / expected, raw / expected);
        QVERIFY2(std::abs(bulk / expected - 1.0) < tolerance,
                 qPrintable(QString("bulk ESS %1, expected %2").arg(bulk).arg(expected)));
        QVERIFY2(std::abs(raw / expected - 1.0) < tolerance,
                 qPrintable(QString("ESS %1, expected %2").arg(raw).arg(expected)));
        // Stationary, mixing chains: R-hat near 1.
        QVERIFY2(std::abs(rankRhat(d).rank - 1.0) < 0.01, qPrintable(QString::number(rankRhat(d).rank)));
    }

    void independentDrawsGiveRhatNearOne()
    {
        // 8 chains x 5000 N(0, 1) draws: |R-hat - 1| < 0.01 for both bulk and folded.
        const Draws d = ar1(8, 5000, 0.0, 7);
        const RhatValue r = rankRhat(d);
        QVERIFY2(std::abs(r.bulk - 1.0) < 0.01 && std::abs(r.folded - 1.0) < 0.01,
                 qPrintable(QString("bulk %1 folded %2").arg(r.bulk).arg(r.folded)));
        QVERIFY(r.rank < 1.01);
    }

    void chainsInDifferentModesGiveLargeRhat()
    {
        // Chain 0 in the mode at -4, chain 1 in the mode at +4 (sd 0.5 each): the chains never overlap.
        Draws d = ar1(2, 2000, 0.5, 3) * (0.5 * std::sqrt(1 - 0.25));
        d.row(0).array() -= 4.0;
        d.row(1).array() += 4.0;
        const RhatValue r = rankRhat(d);
        QVERIFY2(r.rank > 1.1, qPrintable(QString::number(r.rank)));
        QVERIFY(r.bulk > 1.5);  // ranks split perfectly between the chains
        // Four chains, two per mode: still far above 1.1.
        Draws four(4, 2000);
        four << d, ar1(2, 2000, 0.5, 4) * 0.43;
        four.row(2).array() -= 4.0;
        four.row(3).array() += 4.0;
        QVERIFY(rankRhat(four).rank > 1.1);
    }

    void constantChainsAreUndefinedOrInfinite()
    {
        // Every draw the same value: W = B = 0 -> R-hat NaN ("undefined"), ESS NaN.
        const Draws same = Draws::Constant(3, 100, 2.0);
        QVERIFY(std::isnan(rankRhat(same).rank));
        QCOMPARE(QString::fromStdString(rankRhat(same).state()), QStringLiteral("undefined"));
        QVERIFY(std::isnan(essBulk(same)));
        // Chains constant at different values (each chain stuck in its own mode): W = 0 < B -> +inf.
        Draws stuck(2, 100);
        stuck.row(0).setConstant(0.0);
        stuck.row(1).setConstant(1.0);
        QVERIFY(std::isinf(rankRhat(stuck).bulk));
        QCOMPARE(QString::fromStdString(rankRhat(stuck).state()), QStringLiteral("infinite"));
        QVERIFY(std::isfinite(essBulk(stuck)));  // about one effective draw per chain
        QVERIFY(essBulk(stuck) < 4.0);
        // Fewer than 4 draws: undefined.
        QVERIFY(std::isnan(rankRhat(draws({{1, 2, 3}, {3, 2, 1}})).rank));
        QVERIFY(std::isnan(essBulk(draws({{1, 2, 3}, {3, 2, 1}}))));
    }

    void modeIndicatorRhat()
    {
        // Every chain in mode 0 throughout: each indicator constant -> every mode R-hat undefined, max NaN.
        const ModeTrace one = ModeTrace::Zero(3, 50);
        const std::vector<Draws> none;
        MixingReport r = mixingReport(one, none, {0.5, 0.5}, {}, 1.0);
        QVERIFY(std::isnan(r.modeRhatMax));
        QCOMPARE(QString::fromStdString(r.modeRhat[0].state()), QStringLiteral("undefined"));
        QVERIFY(std::isnan(r.acceptanceRate));  // no proposals
        // Chains each stuck in a different mode: +inf.
        ModeTrace two = ModeTrace::Zero(2, 50);
        two.row(1).setConstant(1);
        r = mixingReport(two, none, {0.5, 0.5}, {100, 25, {10, 10}, {5, 0}}, 1.0);
        QVERIFY(std::isinf(r.modeRhatMax));
        QCOMPARE(r.acceptanceRate, 0.25);
        QCOMPARE(r.swapRates, (std::vector<double>{0.5, 0.0}));
        QCOMPARE(r.totalVariation, 0.0);  // half the visits in each mode, as the weights say
        QCOMPARE(r.meanSwitchRatePer100, 0.0);
    }

    // ---- Streaming monitor and threads ----

    void monitorMatchesBatch()
    {
        ModeTrace modes;
        Draws x, y;
        const int chains = 6, steps = 300, k = 4;
        ringWalk(chains, steps, k, 0.05, 11, modes, x, y);
        const std::vector<double> weights(k, 0.25);
        const Grid grid{-6, 6, -6, 6, 12};
        std::vector<double> truth(static_cast<std::size_t>(grid.cellCount()), 1.0);
        // History large enough for every step: the monitor's report equals the batch report exactly.
        MixingMonitor whole(chains, 2, weights, grid, truth, {chains, 300});
        // A small history: thinned by 2 twice (64 -> 32 at step 64, 32 -> ... at step 128, 256).
        MixingMonitor thin(chains, 2, weights, grid, truth, {4, 64});
        std::vector<int> m(chains);
        std::vector<float> p(2 * chains);
        std::vector<std::int64_t> hist(static_cast<std::size_t>(grid.cellCount()), 0);
        for (int t = 0; t < steps; ++t) {
            for (int c = 0; c < chains; ++c) {
                m[c] = modes(c, t);
                p[2 * c] = static_cast<float>(x(c, t));
                p[2 * c + 1] = static_cast<float>(y(c, t));
                ++hist[static_cast<std::size_t>(grid.cellOf(p[2 * c], p[2 * c + 1]))];
            }
            whole.add(m.data(), p.data());
            thin.add(m.data(), p.data());
        }
        const Draws xf = x.cast<float>().cast<double>(), yf = y.cast<float>().cast<double>();
        const MixingReport batch = mixingReport(modes, {xf, yf}, weights, {}, 2.0);
        const MixingReport live = whole.report({}, 2.0);
        QCOMPARE(live.switchRatePer100, batch.switchRatePer100);
        QCOMPARE(live.firstFullVisit, batch.firstFullVisit);
        QCOMPARE(live.visits, batch.visits);
        QCOMPARE(live.currentModes, batch.currentModes);
        QVERIFY(sameNumber(live.totalVariation, batch.totalVariation));
        for (int i = 0; i < 2; ++i) {
            QVERIFY(sameNumber(live.coordinates[i].rhat.rank, batch.coordinates[i].rhat.rank));
            QVERIFY(sameNumber(live.coordinates[i].essBulk, batch.coordinates[i].essBulk));
            QVERIFY(sameNumber(live.coordinates[i].essPerSecond, batch.coordinates[i].essBulk / 2.0));
        }
        QVERIFY(sameNumber(live.modeRhatMax, batch.modeRhatMax));
        QCOMPARE(whole.histogram(), hist);
        QVERIFY(std::abs(whole.klDivergence() - klDivergence(hist, truth)) < 1e-15);
        QVERIFY(whole.klDivergence() > 0.5);  // points sit in a few of 145 cells, the truth is uniform

        // Thinned: 300 steps with 64 columns: stride 8 after steps 64 (x2), 128 (x4), 256 (x8); columns = steps
        // 0, 8, ..., 296 (38 of them) of the first 4 chains. R-hat and ESS equal the batch ones of those columns.
        QCOMPARE(thin.thinning(), 8);
        Draws xs(4, 38), ys(4, 38);
        ModeTrace ms(4, 38);
        for (int c = 0; c < 4; ++c)
            for (int j = 0; j < 38; ++j) {
                xs(c, j) = xf(c, 8 * j);
                ys(c, j) = yf(c, 8 * j);
                ms(c, j) = modes(c, 8 * j);
            }
        const MixingReport thinBatch = mixingReport(ms, {xs, ys}, weights, {}, 2.0);
        const MixingReport thinLive = thin.report({}, 2.0);
        QVERIFY(sameNumber(thinLive.coordinates[0].rhat.rank, thinBatch.coordinates[0].rhat.rank));
        QVERIFY(sameNumber(thinLive.coordinates[1].essBulk, thinBatch.coordinates[1].essBulk));
        QVERIFY(sameNumber(thinLive.modeRhatMax, thinBatch.modeRhatMax));
        QCOMPARE(thinLive.visits, batch.visits);  // the running counts see every step
        QVERIFY_THROWS_EXCEPTION(Error, MixingMonitor(2, 2, {0.5, 0.5}, grid, {1.0, 2.0}));
        const int bad[2] = {0, 5};
        QVERIFY_THROWS_EXCEPTION(Error, whole.add(bad, p.data()));
    }

    void sameOnOneAndTwoThreads()
    {
        ModeTrace modes;
        Draws x, y;
        ringWalk(16, 2000, 8, 0.02, 5, modes, x, y);
        const std::vector<double> weights(8, 0.125);
        setEngineThreads(1);
        const MixingReport a = mixingReport(modes, {x, y}, weights, {}, 1.0);
        setEngineThreads(2);
        const MixingReport b = mixingReport(modes, {x, y}, weights, {}, 1.0);
        for (int i = 0; i < 2; ++i) {
            QVERIFY(sameNumber(a.coordinates[i].rhat.rank, b.coordinates[i].rhat.rank));
            QVERIFY(sameNumber(a.coordinates[i].essBulk, b.coordinates[i].essBulk));
        }
        for (int k = 0; k < 8; ++k)
            QVERIFY(sameNumber(a.modeRhat[k].rank, b.modeRhat[k].rank));
        QCOMPARE(a.switchRatePer100, b.switchRatePer100);
        QCOMPARE(a.firstFullVisit, b.firstFullVisit);
        // Slow mode changes (2% per step, ring neighbours only) over 8 modes: R-hat of the coordinates well above 1.
        QVERIFY2(a.coordinates[0].rhat.rank > 1.05, qPrintable(QString::number(a.coordinates[0].rhat.rank)));
    }
};

QTEST_GUILESS_MAIN(TestMixingMetrics)
#include "tst_mixingmetrics.moc"
