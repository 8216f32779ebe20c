// Non-parametric DAEs (SPEC 2.4): the discrete counting estimator's chain against the exact stationary
// distribution of its transition matrix, the consistency theorem in its exact form, the Parzen
// conditional sampler against its analytic mixture, and the continuous chain on a 2D toy.

#include "daetoyrun.h"
#include "daetoys.h"
#include "error.h"
#include "npdae.h"
#include "parallel.h"
#include "random.h"

#include <Eigen/Eigenvalues>
#include <QtTest>

#include <cmath>
#include <vector>

using namespace gsn;

namespace {

// The data-generating distribution over 10 values (far from uniform, several modes).
Eigen::VectorXd trueDistribution()
{
    Eigen::VectorXd p(10);
    p << 0.02, 0.05, 0.20, 0.25, 0.10, 0.03, 0.05, 0.15, 0.10, 0.05;
    return p;
}

double kl(const Eigen::VectorXd& q, const Eigen::VectorXd& p)
{
    double s = 0.0;
    for (Eigen::Index i = 0; i < q.size(); ++i)
        if (q(i) > 0.0)
            s += q(i) * std::log(q(i) / p(i));
    return s;
}

double totalVariation(const Eigen::VectorXd& a, const Eigen::VectorXd& b)
{
    return 0.5 * (a - b).cwiseAbs().sum();
}

Eigen::VectorXd histogram(const std::vector<int>& states, int k, std::size_t chains, std::size_t steps,
                          std::size_t burnIn)
{
    Eigen::VectorXd h = Eigen::VectorXd::Zero(k);
    for (std::size_t c = 0; c < chains; ++c)
        for (std::size_t t = burnIn; t < steps; ++t)
            h(states[c * steps + t]) += 1.0;
    return h / h.sum();
}

DiscreteNpDae fittedDiscrete(int trainingPairs, std::uint64_t seed)
{
    DiscreteNpDae dae(DiscreteNpDae::ringCorruption(10, 0.5, 1));
    dae.fit(DiscreteNpDae::sampleCategorical(trueDistribution(), trainingPairs, seed), seed + 1);
    return dae;
}

// 2D toy: two Gaussian clusters, centres (-2, 0) (share 0.7) and (2, 0) (share 0.3), sd 0.3.
Matrix twoClusters(int n, std::uint64_t seed)
{
    Matrix x(n, 2);
    for (int i = 0; i < n; ++i) {
        Philox rng(seed, static_cast<std::uint64_t>(i), 0);
        const float cx = rng.uniform() < 0.7f ? -2.0f : 2.0f;
        x(i, 0) = cx + 0.3f * rng.normal();
        x(i, 1) = 0.3f * rng.normal();
    }
    return x;
}

} // namespace

class TestNpDae : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { setEngineThreads(0); }

    void ringCorruptionIsStochastic()
    {
        const Eigen::MatrixXd c = DiscreteNpDae::ringCorruption(10, 0.5, 2);
        for (int x = 0; x < 10; ++x) {
            QVERIFY(std::abs(c.row(x).sum() - 1.0) < 1e-12);
            QCOMPARE(c(x, x), 0.5);
            QCOMPARE(c(x, (x + 2) % 10), 0.125);
            QCOMPARE(c(x, (x + 5) % 10), 0.0);
        }
        QVERIFY_THROWS_EXCEPTION(Error, DiscreteNpDae::ringCorruption(10, 1.5, 1));
        QVERIFY_THROWS_EXCEPTION(Error, DiscreteNpDae::ringCorruption(10, 0.5, 5));
        Eigen::MatrixXd bad = c;
        bad(0, 0) += 0.1;
        QVERIFY_THROWS_EXCEPTION(Error, DiscreteNpDae{bad});
        DiscreteNpDae dae(c);
        QVERIFY_THROWS_EXCEPTION(Error, dae.fit({1, 2, 10}, 1));
        QVERIFY_THROWS_EXCEPTION(Error, dae.transitionMatrix());
    }

    // The counting estimator's rows are distributions and match the training pairs' conditional
    // frequencies: with exactly the pairs drawn in fit(), counts / row totals.
    void countingEstimator()
    {
        const DiscreteNpDae dae = fittedDiscrete(5000, 10);
        const Eigen::MatrixXd& r = dae.reconstruction();
        QCOMPARE(r.rows(), 10);
        for (int xt = 0; xt < 10; ++xt)
            QVERIFY(std::abs(r.row(xt).sum() - 1.0) < 1e-12);
        // With the ring corruption of width 1, x~ is within 1 of x: P(x | x~) = 0 further away.
        for (int xt = 0; xt < 10; ++xt)
            for (int x = 0; x < 10; ++x) {
                const int d = std::min((x - xt + 10) % 10, (xt - x + 10) % 10);
                if (d > 1)
                    QCOMPARE(r(xt, x), 0.0);
            }
        QVERIFY(totalVariation(dae.empirical(), trueDistribution()) < 0.03); // 5000 draws: TV ~ 0.01
    }

    // The chain of the discrete non-parametric DAE (5000 training pairs, as in the paper) against the
    // exact stationary distribution of its transition matrix T = C P.
    // pi is found by power iteration and checked against the eigenvector of T^T for eigenvalue 1.
    // 200 chains x 550 steps, 50 burn-in: N = 100000 correlated draws over K = 10 values. Steps move at
    // most 2 values, so the autocorrelation time is tens of steps: N_eff ~ 3000, E[KL] ~ 9 / (2 N_eff)
    // ~ 0.0015; bound 0.01. Power: the same histogram is > 10x the bound from uniform.
    void discreteChainMatchesStationary()
    {
        const double bound = 0.01;
        const DiscreteNpDae dae = fittedDiscrete(5000, 20);
        const Eigen::MatrixXd t = dae.transitionMatrix();
        for (int x = 0; x < 10; ++x)
            QVERIFY(std::abs(t.row(x).sum() - 1.0) < 1e-12);
        const Eigen::VectorXd pi = dae.stationaryDistribution();
        QVERIFY((pi.transpose() * t - pi.transpose()).cwiseAbs().maxCoeff() < 1e-12);
        Eigen::EigenSolver<Eigen::MatrixXd> eig(t.transpose());
        Eigen::Index best = 0;
        (eig.eigenvalues().array() - 1.0).abs().minCoeff(&best);
        Eigen::VectorXd v = eig.eigenvectors().col(best).real();
        v /= v.sum();
        QVERIFY((v - pi).cwiseAbs().maxCoeff() < 1e-9);

        const std::size_t chains = 200, steps = 550, burnIn = 50;
        std::vector<int> start(chains);
        for (std::size_t c = 0; c < chains; ++c)
            start[c] = static_cast<int>(c % 10);
        const std::vector<int> states = dae.run(start, static_cast<int>(steps), 5);
        const Eigen::VectorXd h = histogram(states, 10, chains, steps, burnIn);
        const double k = kl(h, pi);
        qInfo("KL(chain || stationary) = %.5f (bound %.3f); KL(chain || uniform) = %.3f; TV(stationary, true) = %.4f",
              k, bound, kl(h, Eigen::VectorXd::Constant(10, 0.1)), totalVariation(pi, trueDistribution()));
        QVERIFY(k < bound);
        QVERIFY(kl(h, Eigen::VectorXd::Constant(10, 0.1)) > 10 * bound);
    }

    // The theorem in its exact form: with the Bayes reconstruction of the true distribution
    // (infinite data, P(x | x~) ∝ p(x) C(x~ | x)) the chain's stationary distribution is p itself (to the
    // power iteration's precision). With the counting estimator it converges to p as the number of
    // training pairs n grows, with error ~ 1/sqrt(n) (measured over seeds: TV 0.013-0.039 at n = 5000,
    // 0.003-0.006 at 500000, 0.001-0.0016 at 5e6; no plateau, so no bias). Bounds: TV < 0.05 at 5000,
    // < 0.01 at 500000, and the large fit at least twice as close as the small one.
    void consistency()
    {
        const Eigen::VectorXd p = trueDistribution();
        DiscreteNpDae exact(DiscreteNpDae::ringCorruption(10, 0.5, 1));
        exact.setReconstruction(DiscreteNpDae::bayesReconstruction(p, exact.corruption()));
        QVERIFY((exact.stationaryDistribution() - p).cwiseAbs().maxCoeff() < 1e-10);

        const DiscreteNpDae small = fittedDiscrete(5000, 30);
        const DiscreteNpDae large = fittedDiscrete(500000, 30);
        const double tvSmall = totalVariation(small.stationaryDistribution(), p);
        const double tvLarge = totalVariation(large.stationaryDistribution(), p);
        qInfo("TV(stationary, true): 5000 pairs %.4f, 500000 pairs %.4f", tvSmall, tvLarge);
        QVERIFY(tvLarge < 0.01);
        QVERIFY(tvSmall < 0.05);
        QVERIFY(tvLarge < tvSmall / 2.0);
    }

    // The Parzen conditional P(x | x~) = sum_i w_i N(x; x_i, s^2): with s = 0 every sample is one of the
    // training points, drawn with probability w_i(x~) = softmax(-|x~ - x~_i|^2 / 2h^2), computed here
    // independently. 40000 draws; Pearson chi-square with 3 degrees of freedom must stay below 16.27
    // (the 0.001 critical value); a sampler picking points uniformly would give chi-square in the
    // thousands (checked). With s = 0.5 the sample mean and variance match the mixture's within 4
    // standard errors.
    void parzenConditionalSampler()
    {
        Matrix clean(4, 2), corrupted(4, 2);
        clean << 0, 0, 1, 0, 0, 1, 3, 3;
        corrupted << 0.1f, -0.1f, 0.8f, 0.3f, -0.2f, 0.7f, 2.5f, 2.5f;
        ParzenNpDae::Options o;
        o.inputBandwidth = 0.5;
        o.outputSigma = 0.0;
        ParzenNpDae dae(o);
        dae.setPairs(clean, corrupted);
        RowVector xt(2);
        xt << 0.3f, 0.2f;
        Eigen::VectorXd w(4);
        for (int i = 0; i < 4; ++i)
            w(i) = std::exp(-(corrupted.row(i) - xt).cast<double>().squaredNorm() / (2 * 0.25));
        w /= w.sum();
        QVERIFY((dae.weights(xt) - w).cwiseAbs().maxCoeff() < 1e-6);

        const int n = 40000;
        const Matrix query = xt.replicate(n, 1);
        const Matrix samples = dae.sampleConditional(query, 3, 0);
        Eigen::VectorXd counts = Eigen::VectorXd::Zero(4);
        for (int r = 0; r < n; ++r) {
            int which = -1;
            for (int i = 0; i < 4; ++i)
                if (samples.row(r) == clean.row(i))
                    which = i;
            QVERIFY(which >= 0);
            counts(which) += 1.0;
        }
        auto chiSquare = [&](const Eigen::VectorXd& probs) {
            double c = 0.0;
            for (int i = 0; i < 4; ++i)
                c += std::pow(counts(i) - n * probs(i), 2) / (n * probs(i));
            return c;
        };
        qInfo("chi-square vs weights %.2f, vs uniform %.1f", chiSquare(w), chiSquare(Eigen::VectorXd::Constant(4, 0.25)));
        QVERIFY(chiSquare(w) < 16.27);
        QVERIFY(chiSquare(Eigen::VectorXd::Constant(4, 0.25)) > 1000.0);

        o.outputSigma = 0.5;
        ParzenNpDae smooth(o);
        smooth.setPairs(clean, corrupted);
        const Matrix s2 = smooth.sampleConditional(query, 4, 0);
        for (int j = 0; j < 2; ++j) {
            const double mu = (w.array() * clean.col(j).cast<double>().array()).sum();
            const double var = (w.array() * clean.col(j).cast<double>().array().square()).sum() - mu * mu + 0.25;
            const Eigen::ArrayXd col = s2.col(j).cast<double>().array();
            const double m = col.mean();
            const double v = (col - m).square().mean();
            QVERIFY2(std::abs(m - mu) < 4.0 * std::sqrt(var / n), qPrintable(QString("mean %1 vs %2").arg(m).arg(mu)));
            // Var of the sample variance ~ 2 var^2 / n for near-Gaussian columns; the mixture has heavier
            // tails, so 4 sigma of sqrt(3 var^2 / n).
            QVERIFY2(std::abs(v - var) < 4.0 * std::sqrt(3.0 * var * var / n),
                     qPrintable(QString("var %1 vs %2").arg(v).arg(var)));
        }
    }

    // The continuous chain (SPEC 2.4, in R^2 for checkability) on 5000 training points from two clusters
    // with shares 0.7 / 0.3: corruption sigma 1 (so the chain crosses between clusters), h = 0.2,
    // s = 0.05. 200 chains x 300 steps, 50 burn-in, all started in the left cluster: N = 50000 draws.
    // The chain must reproduce the right cluster's share 0.3 within 0.05 (a chain ignoring the
    // estimator's weights, or stuck where it started, is off by >= 0.2), each cluster's centre within
    // 0.1 and its spread within 25% of the data's 0.3 (the Parzen kernels add about 0.05 in quadrature,
    // the finite-sample estimator smooths a little more).
    void parzenChainReproducesData()
    {
        ParzenNpDae::Options o;
        o.corruptionSigma = 1.0;
        o.inputBandwidth = 0.2;
        o.outputSigma = 0.05;
        ParzenNpDae dae(o);
        dae.fit(twoClusters(5000, 7), 8);
        const int chains = 200, steps = 300, burnIn = 50;
        Matrix x0(chains, 2);
        x0.col(0).setConstant(-2.0f);
        x0.col(1).setZero();
        const Matrix states = dae.run(x0, steps, 9);
        QCOMPARE(states.rows(), chains * steps);
        double right = 0.0, total = 0.0;
        Eigen::Vector2d sumL = Eigen::Vector2d::Zero(), sumR = Eigen::Vector2d::Zero();
        Eigen::Vector2d sqL = Eigen::Vector2d::Zero(), sqR = Eigen::Vector2d::Zero();
        double nL = 0.0, nR = 0.0;
        for (int c = 0; c < chains; ++c)
            for (int t = burnIn; t < steps; ++t) {
                const Eigen::Vector2d p = states.row(c * steps + t).cast<double>().transpose();
                total += 1.0;
                if (p(0) > 0.0) {
                    right += 1.0;
                    sumR += p;
                    sqR += p.cwiseProduct(p);
                    nR += 1.0;
                } else {
                    sumL += p;
                    sqL += p.cwiseProduct(p);
                    nL += 1.0;
                }
            }
        const double share = right / total;
        const Eigen::Vector2d mL = sumL / nL, mR = sumR / nR;
        const Eigen::Vector2d sdL = (sqL / nL - mL.cwiseProduct(mL)).cwiseSqrt();
        const Eigen::Vector2d sdR = (sqR / nR - mR.cwiseProduct(mR)).cwiseSqrt();
        qInfo("right share %.3f; left centre (%.3f, %.3f) sd (%.3f, %.3f); right centre (%.3f, %.3f) sd (%.3f, %.3f)",
              share, mL(0), mL(1), sdL(0), sdL(1), mR(0), mR(1), sdR(0), sdR(1));
        QVERIFY(std::abs(share - 0.3) < 0.05);
        QVERIFY((mL - Eigen::Vector2d(-2.0, 0.0)).cwiseAbs().maxCoeff() < 0.1);
        QVERIFY((mR - Eigen::Vector2d(2.0, 0.0)).cwiseAbs().maxCoeff() < 0.1);
        for (int j = 0; j < 2; ++j) {
            QVERIFY(std::abs(sdL(j) - 0.3) < 0.075);
            QVERIFY(std::abs(sdR(j) - 0.3) < 0.075);
        }
    }

    // Same seed on 1 and 2 threads: identical chains, discrete and continuous.
    void threadCountDoesNotMatter()
    {
        const DiscreteNpDae dae = fittedDiscrete(5000, 40);
        ParzenNpDae::Options o;
        ParzenNpDae parzen(o);
        Matrix data(500, 10);
        Philox rng(1, 2, 3);
        rng.normal(data.data(), static_cast<std::size_t>(data.size()));
        parzen.fit(data, 2);
        std::vector<int> start(100, 3);
        auto run = [&](int threads) {
            setEngineThreads(threads);
            return std::make_pair(dae.run(start, 50, 6), parzen.run(data.topRows(70), 10, 6));
        };
        const auto one = run(1);
        const auto two = run(2);
        QCOMPARE(engineThreads(), 2);
        QVERIFY(one.first == two.first);
        QVERIFY(one.second == two.second);
    }

    // The sliced 1-Wasserstein distance of the Figure 3 window: 0 between a set and itself, the shift for
    // a shifted 1-D set (every direction is +-1 there), symmetric, and refusing empty or mismatched sets.
    void slicedWassersteinKnownCases()
    {
        Matrix a(5, 1), b(5, 1);
        a << 0, 1, 2, 3, 10;
        b = a.array() + 0.75f;
        QCOMPARE(slicedWasserstein1(a, a, 8, 1), 0.0);
        QVERIFY(std::abs(slicedWasserstein1(a, b, 8, 1) - 0.75) < 1e-6);
        Matrix c(4, 3), d(7, 3);
        c.setRandom();
        d.setRandom();
        QVERIFY(std::abs(slicedWasserstein1(c, d, 16, 3) - slicedWasserstein1(d, c, 16, 3)) < 1e-9);
        QVERIFY_THROWS_EXCEPTION(Error, slicedWasserstein1(Matrix(0, 3), d, 8, 1));
        QVERIFY_THROWS_EXCEPTION(Error, slicedWasserstein1(c, Matrix::Zero(3, 2), 8, 1));
    }

    // Figure 3, discrete toy, run as the window runs it: the chains' histogram goes to the estimated
    // chain's stationary distribution, which is close to the truth with 5000 training pairs (SPEC 2.4).
    void discreteToyRunConverges()
    {
        DiscreteToyRun run(DiscreteToyOptions{});
        QVERIFY(std::isnan(run.tvChain()));
        run.advance(10);
        const double early = run.tvChain();
        for (int i = 0; i < 50; ++i)
            run.advance(100);
        QCOMPARE(run.steps(), std::int64_t(5010));
        const double late = run.tvChain();
        const double toStationary = 0.5 * (run.chainHistogram() - run.stationary()).cwiseAbs().sum();
        qInfo("discrete toy: TV to the truth after 10 steps %.4f, after 5010 %.4f (chains vs their stationary %.4f); "
              "empirical %.4f, stationary %.4f", early, late, toStationary, run.tvEmpirical(), run.tvStationary());
        QVERIFY(toStationary < 0.01);
        QVERIFY(run.tvStationary() < 0.03);
        QVERIFY(run.series().size() == 51 && run.series().back().first == 5010);
        QVERIFY_THROWS_EXCEPTION(Error, DiscreteToyRun(DiscreteToyOptions{.samples = 0}));
        QVERIFY_THROWS_EXCEPTION(Error, DiscreteToyRun(DiscreteToyOptions{.keep = 1.5}));
    }

    // Figure 3, continuous 10-D toy, as the window runs it: 2000 chains started at one training point spread
    // over the curve of the data; their sliced W1 to fresh exact draws falls from far to near the distance
    // between two exact sample sets, faster with more corruption (the DAE paper's trade-off).
    void continuousToyRunSpreadsOverTheData()
    {
        ContinuousToyRun run(ContinuousToyOptions{});
        const double start = run.distance();
        run.advance(20);
        const double at20 = run.distance();
        run.advance(80);
        const double at100 = run.distance();
        ContinuousToyOptions low;
        low.corruption = 0.1;
        ContinuousToyRun slow(low);
        slow.advance(100);
        qInfo("continuous toy: sliced W1 at the start %.3f, after 20 steps %.3f, after 100 %.3f (corruption 0.1: %.3f); "
              "noise floor %.4f", start, at20, at100, slow.distance(), run.noiseFloor());
        QCOMPARE(run.states().rows(), Eigen::Index(2000));
        QVERIFY(start > 10.0 * run.noiseFloor());
        QVERIFY(at100 < 2.5 * run.noiseFloor());
        QVERIFY(at20 > at100);
        QVERIFY(slow.distance() > 4.0 * at100);
        QCOMPARE(run.series().front().first, std::int64_t(0));
        QCOMPARE(run.series().back().first, std::int64_t(100));
        // The data scaled by 1.5 (off the curve) is far by the same measure.
        const Matrix off = run.data() * 1.5f;
        QVERIFY(slicedWasserstein1(off, run.data(), ContinuousToyRun::kDirections, 9) > 5.0 * run.noiseFloor());
    }

    void parzenRejectsBadInput()
    {
        ParzenNpDae::Options o;
        o.inputBandwidth = 0.0;
        QVERIFY_THROWS_EXCEPTION(Error, ParzenNpDae{o});
        ParzenNpDae dae(ParzenNpDae::Options{});
        Matrix x0 = Matrix::Zero(2, 2);
        QVERIFY_THROWS_EXCEPTION(Error, dae.run(x0, 3, 1)); // not fitted
        Matrix bad = Matrix::Zero(3, 2);
        bad(1, 1) = std::nanf("");
        QVERIFY_THROWS_EXCEPTION(Error, dae.fit(bad, 1));
        dae.fit(Matrix::Zero(3, 2), 1);
        QVERIFY_THROWS_EXCEPTION(Error, dae.run(Matrix::Zero(2, 3), 3, 1));
    }
};

QTEST_GUILESS_MAIN(TestNpDae)
#include "tst_npdae.moc"
