// Bernoulli RBM and parallel tempering (SPEC 2.3, 3): samplers against exact answers by enumeration,
// CD/PCD gradients against the exact log-likelihood gradient, training, thread-count determinism.

#include "chains.h"
#include "enumerablerbm.h"
#include "clampmask.h"
#include "error.h"
#include "model.h"
#include "parallel.h"
#include "random.h"
#include "randomstreams.h"
#include "rbm.h"
#include "tempering.h"
#include "temperingsampler.h"

#include <QtTest>

#include <cmath>
#include <memory>
#include <vector>

using namespace gsn;
using namespace gsn::test;

namespace {

void addToHistogram(std::vector<double>& hist, const Matrix& x)
{
    for (Eigen::Index c = 0; c < x.rows(); ++c)
        hist[Rbm::indexOf(x.row(c).data(), static_cast<int>(x.cols()))] += 1.0;
}

std::vector<double> normalised(std::vector<double> h)
{
    double s = 0.0;
    for (double x : h)
        s += x;
    for (double& x : h)
        x /= s;
    return h;
}

double maxAbsDiff(const std::vector<Matrix>& a, const std::vector<Matrix>& b)
{
    double m = 0.0;
    for (std::size_t k = 0; k < 3; ++k)
        m = std::max(m, static_cast<double>((a[k] - b[k]).cwiseAbs().maxCoeff()));
    return m;
}

double cosine(const std::vector<Matrix>& a, const std::vector<Matrix>& b)
{
    double dot = 0.0, na = 0.0, nb = 0.0;
    for (std::size_t k = 0; k < 3; ++k) {
        dot += static_cast<double>((a[k].array() * b[k].array()).sum());
        na += static_cast<double>(a[k].squaredNorm());
        nb += static_cast<double>(b[k].squaredNorm());
    }
    return dot / std::sqrt(na * nb);
}

// Training data from a known distribution on 8 bits: one of three prototypes, each bit flipped with
// probability 0.1. Row r from Philox(seed, r, 0).
Matrix prototypeData(int rows, std::uint64_t seed)
{
    const int protos[3][8] = {{1, 1, 1, 1, 0, 0, 0, 0}, {0, 0, 0, 0, 1, 1, 1, 1}, {1, 0, 1, 0, 1, 0, 1, 0}};
    Matrix d(rows, 8);
    for (int r = 0; r < rows; ++r) {
        Philox rng(seed, static_cast<std::uint64_t>(r), 0);
        const int k = static_cast<int>(rng.uniform() * 3.0f) % 3;
        for (int i = 0; i < 8; ++i) {
            const bool flip = rng.uniform() < 0.1f;
            d(r, i) = static_cast<float>(flip ? 1 - protos[k][i] : protos[k][i]);
        }
    }
    return d;
}

NoiseKey keyFor(std::uint64_t seed, std::uint64_t step, Eigen::Index rows, std::uint64_t streamBase = 0)
{
    NoiseKey key;
    key.seed = seed;
    key.step = step;
    for (Eigen::Index r = 0; r < rows; ++r)
        key.rowStream.push_back(streamBase + static_cast<std::uint64_t>(r));
    return key;
}

// The two-mode RBM of the tempering test: one hidden unit "switch" with weight 8 to every visible,
// visible bias -4 and hidden bias -32 + 0.4: the modes are "all visible on" (h = 1) and "all off"
// (h = 0), with masses about 0.6 and 0.4. A second, weakly coupled hidden unit breaks the symmetry
// between the bits. From "all on", plain Gibbs must draw >= 4 off bits from Bernoulli(sigmoid(-4))
// at once to leave (about 1e-5 per step).
std::unique_ptr<Rbm> twoModeRbm()
{
    Rbm::Options o;
    o.visible = 8;
    o.hidden = 2;
    auto rbm = std::make_unique<Rbm>(o, 1);
    Philox rng(99, 0, 0);
    for (int i = 0; i < 8; ++i) {
        rbm->weights()(i, 0) = 8.0f;
        rbm->weights()(i, 1) = 0.5f * rng.normal();
        rbm->visibleBias()(0, i) = -4.0f;
    }
    rbm->hiddenBias()(0, 0) = -32.0f + 0.4f;
    rbm->hiddenBias()(0, 1) = 0.0f;
    return rbm;
}

// Which mode a visible state is in: 1 = mostly on (>= 5 of 8 bits), 0 = mostly off (<= 3), -1 between.
int modeOf(const float* v)
{
    int on = 0;
    for (int i = 0; i < 8; ++i)
        on += v[i] > 0.5f ? 1 : 0;
    return on >= 5 ? 1 : (on <= 3 ? 0 : -1);
}

} // namespace

class TestRbm : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { setEngineThreads(0); }

    void configRoundTrip()
    {
        const nlohmann::json cfg = {{"kind", "rbm"}, {"sizes", {8, 4}}, {"cd_k", 3}, {"persistent", true},
                                    {"pcd_chains", 7}};
        auto rbm = createModel(cfg, 5);
        QCOMPARE(QString::fromStdString(rbm->kind()), QString("rbm"));
        QCOMPARE(rbm->layerSizes(), (std::vector<int>{8, 4}));
        QCOMPARE(rbm->config(), cfg);
        const auto params = rbm->parameters();
        QCOMPARE(params.size(), std::size_t{4});
        QCOMPARE(QString::fromStdString(params[0].name), QString("W0"));
        QCOMPARE(params[0].value->rows(), 8);
        QCOMPARE(params[0].value->cols(), 4);
        QCOMPARE(QString::fromStdString(params[1].name), QString("b0"));
        QCOMPARE(params[1].value->cols(), 8);
        QCOMPARE(QString::fromStdString(params[2].name), QString("b1"));
        QCOMPARE(params[2].value->cols(), 4);
        QCOMPARE(QString::fromStdString(params[3].name), QString("pcd_v"));
        QCOMPARE(params[3].value->rows(), 7);
        // Same seed, same parameters; the clone is independent.
        auto again = createModel(cfg, 5);
        QVERIFY(*again->parameters()[0].value == *params[0].value);
        auto copy = rbm->clone();
        (*params[0].value)(0, 0) += 1.0f;
        QVERIFY(*copy->parameters()[0].value != *params[0].value);
        // CD config has exactly the three trained parameters.
        auto cd = createModel({{"kind", "rbm"}, {"sizes", {3, 2}}, {"cd_k", 1}, {"persistent", false}}, 1);
        QCOMPARE(cd->parameters().size(), std::size_t{3});
    }

    void configRejects_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("field");
        QTest::newRow("no sizes") << R"({"kind":"rbm"})" << "sizes";
        QTest::newRow("three sizes") << R"({"kind":"rbm","sizes":[4,3,2]})" << "sizes";
        QTest::newRow("zero size") << R"({"kind":"rbm","sizes":[0,3]})" << "sizes";
        QTest::newRow("string size") << R"({"kind":"rbm","sizes":["4",3]})" << "sizes";
        QTest::newRow("huge") << R"({"kind":"rbm","sizes":[100000,100000]})" << "sizes";
        QTest::newRow("cd_k zero") << R"({"kind":"rbm","sizes":[4,3],"cd_k":0})" << "cd_k";
        QTest::newRow("cd_k float") << R"({"kind":"rbm","sizes":[4,3],"cd_k":1.5})" << "cd_k";
        QTest::newRow("persistent string") << R"({"kind":"rbm","sizes":[4,3],"persistent":"yes"})" << "persistent";
        QTest::newRow("pcd_chains negative") << R"({"kind":"rbm","sizes":[4,3],"pcd_chains":-1})" << "pcd_chains";
    }

    void configRejects()
    {
        QFETCH(QString, json);
        QFETCH(QString, field);
        try {
            createModel(nlohmann::json::parse(json.toStdString()), 1);
            QFAIL("accepted a bad config");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(field), e.what());
        }
    }

    // log Z from logPartition() (enumerating the smaller layer, both branches) against a brute-force
    // double sum of exp(-E(v, h)) over every joint state; free energy against log sum_h exp(-E).
    void partitionAndEnergy_data()
    {
        QTest::addColumn<int>("nv");
        QTest::addColumn<int>("nh");
        QTest::newRow("enumerate visible (5x7)") << 5 << 7;
        QTest::newRow("enumerate hidden (7x5)") << 7 << 5;
    }

    void partitionAndEnergy()
    {
        QFETCH(int, nv);
        QFETCH(int, nh);
        auto rbm = randomRbm(nv, nh, 1.0f, 11);
        const int V = 1 << nv;
        const int H = 1 << nh;
        Matrix vs(V * H, nv);
        Matrix hs(V * H, nh);
        for (int a = 0; a < V; ++a)
            for (int b = 0; b < H; ++b) {
                vs.row(a * H + b) = Rbm::stateOf(static_cast<std::uint64_t>(a), nv);
                hs.row(a * H + b) = Rbm::stateOf(static_cast<std::uint64_t>(b), nh);
            }
        const std::vector<double> e = rbm->energy(vs, hs);
        double z = 0.0;
        std::vector<double> marg(static_cast<std::size_t>(V), 0.0);
        for (int a = 0; a < V; ++a)
            for (int b = 0; b < H; ++b) {
                z += std::exp(-e[static_cast<std::size_t>(a * H + b)]);
                marg[static_cast<std::size_t>(a)] += std::exp(-e[static_cast<std::size_t>(a * H + b)]);
            }
        // Float parameters, double sums: agreement to 1e-9 relative is the double round-off level.
        QVERIFY2(std::abs(rbm->logPartition() - std::log(z)) < 1e-9 * std::max(1.0, std::abs(std::log(z))),
                 qPrintable(QString("%1 vs %2").arg(rbm->logPartition()).arg(std::log(z))));
        Matrix allV(V, nv);
        for (int a = 0; a < V; ++a)
            allV.row(a) = Rbm::stateOf(static_cast<std::uint64_t>(a), nv);
        const std::vector<double> f = rbm->freeEnergy(allV);
        for (int a = 0; a < V; ++a)
            QVERIFY(std::abs(-f[static_cast<std::size_t>(a)] - std::log(marg[static_cast<std::size_t>(a)])) < 1e-9);
        const std::vector<double> p = exactProbabilities(*rbm);
        double total = 0.0;
        for (double x : p)
            total += x;
        QVERIFY(std::abs(total - 1.0) < 1e-9);
    }

    // The Gibbs chain of an enumerable RBM (8 visible, 4 hidden, weights N(0, 1)) against the exact P(v)
    // over the 256 visible states. 256 chains from noise, 50 burn-in steps, then 300 steps counted:
    // N = 76800 draws. For N independent draws E[KL(empirical || p)] ~ (K - 1) / (2N) = 0.0017 with
    // K = 256; Gibbs draws are correlated (integrated autocorrelation time of a few steps here), so the
    // bound is 0.01. The "perturbed" row samples an RBM whose weights are 15% larger and checks the same
    // statistic then exceeds the bound: the test has the power to catch a sampler of the wrong model.
    void gibbsMatchesExact_data()
    {
        QTest::addColumn<float>("sampledScale");
        QTest::addColumn<bool>("expectMatch");
        QTest::newRow("exact model") << 1.0f << true;
        QTest::newRow("perturbed weights (must fail the bound)") << 1.15f << false;
    }

    void gibbsMatchesExact()
    {
        QFETCH(float, sampledScale);
        QFETCH(bool, expectMatch);
        const double bound = 0.01;
        auto rbm = randomRbm(8, 4, 1.0f, 2024);
        auto sampled = std::make_unique<Rbm>(*rbm);
        sampled->weights() *= sampledScale;
        const std::vector<double> p = exactProbabilities(*rbm);
        ChainState s = sampled->startChains(noiseStart(256, 8, 3));
        std::vector<double> hist(256, 0.0);
        for (int t = 0; t < 350; ++t) {
            sampled->stepChains(s, 77);
            if (t >= 50)
                addToHistogram(hist, s.x);
        }
        QCOMPARE(s.step, std::uint64_t{350});
        const double kl = klDivergence(normalised(hist), p);
        qInfo("KL(chain || exact) = %.5f (bound %.3f)", kl, bound);
        QCOMPARE(kl < bound, expectMatch);
        // The displayed mean is P(v | h) of the last hidden sample.
        Matrix a = s.h[0] * sampled->weights().transpose();
        a.rowwise() += sampled->visibleBias().row(0);
        const Matrix mean = (1.0f + (-a.array()).exp()).inverse().matrix();
        QVERIFY((mean - s.mean).cwiseAbs().maxCoeff() < 1e-5f);
    }

    // A clamped chain samples the exact conditional P(v_free | v_clamped): visible units 0, 3, 5 held
    // at (1, 0, 1) on an RBM with strong weights (N(0, 4)), so the clamp matters. Exact conditional over
    // the 32 free states by enumeration. 256 chains, 30 burn-in, 200 counted steps (N = 51200, K = 32:
    // E[KL] ~ (K-1)/(2N) = 3e-4 for independent draws); bound 0.002 leaves room for autocorrelation.
    // Power: the chain's histogram must be > 5x the bound away from the unconditional marginal of the
    // free units (what a chain that only overwrote the display, not the fed-back state, would sample).
    // Both clamping paths: restoring the clamped pixels after stepChains (what ChainSet does), and
    // gibbsSweep's clamp argument (what tempering uses). The clamped pixels never change.
    void clampedChainSamplesConditional_data()
    {
        QTest::addColumn<bool>("viaSweep");
        QTest::newRow("restore after stepChains") << false;
        QTest::newRow("gibbsSweep clamp argument") << true;
    }

    void clampedChainSamplesConditional()
    {
        QFETCH(bool, viaSweep);
        const int nv = 8;
        const double bound = 0.002;
        auto rbm = randomRbm(nv, 4, 2.0f, 31);
        const int clampIdx[3] = {0, 3, 5};
        const float clampVal[3] = {1.0f, 0.0f, 1.0f};
        const int chains = 256;
        Matrix mask = Matrix::Zero(chains, nv);
        Matrix values = Matrix::Zero(chains, nv);
        for (int k = 0; k < 3; ++k) {
            mask.col(clampIdx[k]).setOnes();
            values.col(clampIdx[k]).setConstant(clampVal[k]);
        }
        // Exact conditional: P(v) restricted to states matching the clamp, renormalised.
        const std::vector<double> p = exactProbabilities(*rbm);
        std::vector<double> cond(256, 0.0);
        for (std::uint64_t idx = 0; idx < 256; ++idx) {
            bool match = true;
            for (int k = 0; k < 3; ++k)
                match = match && (((idx >> clampIdx[k]) & 1u) == static_cast<std::uint64_t>(clampVal[k]));
            if (match)
                cond[idx] = p[idx];
        }
        cond = normalised(cond);

        Matrix x0 = noiseStart(chains, nv, 5);
        x0 = (mask.array() > 0.5f).select(values, x0);
        ChainState s = rbm->startChains(x0);
        std::vector<std::uint64_t> streams(chains);
        for (int c = 0; c < chains; ++c)
            streams[static_cast<std::size_t>(c)] = static_cast<std::uint64_t>(c);
        std::vector<double> hist(256, 0.0);
        for (int t = 0; t < 230; ++t) {
            if (viaSweep) {
                rbm->gibbsSweep(s.x, s.h[0], s.mean, {}, streams, 9, s.step, &mask, &values);
                ++s.step;
            } else {
                rbm->stepChains(s, 9);
                s.x = (mask.array() > 0.5f).select(values, s.x);
                s.mean = (mask.array() > 0.5f).select(values, s.mean);
            }
            for (int k = 0; k < 3; ++k) {
                QVERIFY(s.x.col(clampIdx[k]).isConstant(clampVal[k]));
                QVERIFY(s.mean.col(clampIdx[k]).isConstant(clampVal[k]));
            }
            if (t >= 30)
                addToHistogram(hist, s.x);
        }
        const std::vector<double> q = normalised(hist);
        const double kl = klDivergence(q, cond);
        qInfo("KL(clamped chain || exact conditional) = %.5f (bound %.4f)", kl, bound);
        QVERIFY(std::isfinite(kl)); // a clamped pixel that moved would put mass where cond = 0
        QVERIFY(kl < bound);
        std::vector<double> marginal(256, 0.0);
        for (std::uint64_t idx = 0; idx < 256; ++idx) {
            std::uint64_t proj = idx;
            for (int k = 0; k < 3; ++k)
                proj = (proj & ~(std::uint64_t{1} << clampIdx[k]))
                       | (static_cast<std::uint64_t>(clampVal[k]) << clampIdx[k]);
            marginal[proj] += p[idx];
        }
        qInfo("KL(clamped chain || unconditional marginal) = %.5f", klDivergence(q, marginal));
        QVERIFY(klDivergence(q, marginal) > 5 * bound);
    }

    // Parallel tempering on a two-mode RBM (see twoModeRbm): 16 chains all start in the "on" mode and
    // run 3000 steps. Plain Gibbs never leaves it (off-mode share < 1%, while the exact off-mode mass
    // is about 0.4); tempering with 8 replicas (beta geometric from 1 to 0.08) visits both modes in
    // every chain, matches the exact off-mode mass within 0.06 (16 chains, each switching modes a few
    // hundred times: the standard error of the share is about 0.02), and its histogram over the 256
    // states is within KL 0.03 of the exact P(v) (N = 48000 correlated draws, K = 256).
    void temperingMixesTwoModes()
    {
        auto rbm = twoModeRbm();
        const std::vector<double> p = exactProbabilities(*rbm);
        double exactOff = 0.0;
        for (std::uint64_t idx = 0; idx < 256; ++idx) {
            const RowVector v = Rbm::stateOf(idx, 8);
            if (modeOf(v.data()) == 0)
                exactOff += p[idx];
        }
        qInfo("exact off-mode mass %.4f", exactOff);
        QVERIFY(exactOff > 0.2 && exactOff < 0.8);

        const int chains = 16;
        const int steps = 3000;
        const Matrix x0 = Matrix::Ones(chains, 8);

        // Plain Gibbs.
        ChainState g = rbm->startChains(x0);
        double gibbsOff = 0.0;
        for (int t = 0; t < steps; ++t) {
            rbm->stepChains(g, 4);
            for (int c = 0; c < chains; ++c)
                gibbsOff += modeOf(g.x.row(c).data()) == 0 ? 1.0 : 0.0;
        }
        gibbsOff /= static_cast<double>(chains) * steps;

        // Parallel tempering, same number of steps.
        ParallelTempering pt(ParallelTempering::geometricBetas(8, 0.08f));
        TemperingState s = pt.start(*rbm, x0);
        std::vector<double> hist(256, 0.0);
        double ptOff = 0.0;
        std::vector<int> sawOn(chains, 0), sawOff(chains, 0);
        for (int t = 0; t < steps; ++t) {
            pt.step(*rbm, s, 4);
            addToHistogram(hist, s.chains.x);
            for (int c = 0; c < chains; ++c) {
                const int m = modeOf(s.chains.x.row(c).data());
                ptOff += m == 0 ? 1.0 : 0.0;
                sawOn[static_cast<std::size_t>(c)] |= m == 1;
                sawOff[static_cast<std::size_t>(c)] |= m == 0;
            }
        }
        ptOff /= static_cast<double>(chains) * steps;
        const double kl = klDivergence(normalised(hist), p);
        const std::vector<double> rates = s.acceptanceRates();
        QString r;
        for (double x : rates)
            r += QString::number(x, 'f', 2) + " ";
        qInfo("off-mode share: exact %.3f, Gibbs %.4f, tempering %.3f; tempering KL %.4f; swap rates %s", exactOff,
              gibbsOff, ptOff, kl, qPrintable(r));
        QVERIFY(gibbsOff < 0.01);
        QVERIFY(std::abs(ptOff - exactOff) < 0.06);
        QVERIFY(kl < 0.03);
        for (int c = 0; c < chains; ++c)
            QVERIFY(sawOn[static_cast<std::size_t>(c)] && sawOff[static_cast<std::size_t>(c)]);
        QCOMPARE(rates.size(), std::size_t{7});
        QCOMPARE(s.swapAttempts[0], std::uint64_t{chains * steps});
        for (double x : rates)
            QVERIFY(x > 0.05 && x <= 1.0);
        // Replica 0's displayed mean is P(v | h) at beta = 1 even after swaps.
        Matrix a = s.chains.h[0] * rbm->weights().transpose();
        a.rowwise() += rbm->visibleBias().row(0);
        const Matrix mean = (1.0f + (-a.array()).exp()).inverse().matrix();
        QVERIFY((mean - s.chains.mean).cwiseAbs().maxCoeff() < 1e-5f);
    }

    // Clamped tempering samples the exact conditional too (clamp on every replica): the two-mode RBM
    // with bit 0 clamped off and bit 1 clamped on; KL bound 0.01 over the 64 free states.
    void temperingClamped()
    {
        auto rbm = twoModeRbm();
        const std::vector<double> p = exactProbabilities(*rbm);
        const int chains = 16;
        Matrix mask = Matrix::Zero(chains, 8);
        Matrix values = Matrix::Zero(chains, 8);
        mask.col(0).setOnes();
        mask.col(1).setOnes();
        values.col(1).setOnes();
        std::vector<double> cond(256, 0.0);
        for (std::uint64_t idx = 0; idx < 256; ++idx)
            if ((idx & 3u) == 2u)
                cond[idx] = p[idx];
        cond = normalised(cond);
        ParallelTempering pt(ParallelTempering::geometricBetas(8, 0.08f));
        Matrix x0 = Matrix::Ones(chains, 8);
        x0.col(0).setZero();
        TemperingState s = pt.start(*rbm, x0);
        std::vector<double> hist(256, 0.0);
        for (int t = 0; t < 3000; ++t) {
            pt.step(*rbm, s, 6, &mask, &values);
            QVERIFY(s.chains.x.col(0).isZero() && s.chains.x.col(1).isOnes());
            QVERIFY(s.chains.mean.col(0).isZero() && s.chains.mean.col(1).isOnes());
            addToHistogram(hist, s.chains.x);
        }
        const double kl = klDivergence(normalised(hist), cond);
        qInfo("clamped tempering KL %.4f", kl);
        QVERIFY(kl < 0.01);
    }

    // With one replica, tempering is plain Gibbs with the same noise.
    void temperingOneReplicaIsGibbs()
    {
        auto rbm = randomRbm(8, 4, 1.0f, 3);
        const Matrix x0 = noiseStart(10, 8, 1);
        ParallelTempering pt({1.0f});
        TemperingState s = pt.start(*rbm, x0);
        ChainState g = rbm->startChains(x0);
        for (int t = 0; t < 20; ++t) {
            pt.step(*rbm, s, 12);
            rbm->stepChains(g, 12);
        }
        QVERIFY(s.chains.x == g.x);
        QVERIFY(s.chains.mean == g.mean);
        QVERIFY(s.chains.h[0] == g.h[0]);
        QCOMPARE(s.chains.step, g.step);
    }

    // TemperingSampler (the Sampler around ParallelTempering) gives exactly ParallelTempering's chains
    // and swap counts, and counts as integers: every chain attempts every pair once per step.
    void temperingSamplerMatchesDirect()
    {
        auto rbm = std::shared_ptr<const Rbm>(twoModeRbm());
        const std::vector<float> betas = ParallelTempering::geometricBetas(5, 0.1f);
        const Matrix x0 = noiseStart(12, 8, 4);
        TemperingSampler sampler(betas);
        QCOMPARE(QString::fromStdString(sampler.kind()), QString("rbm-pt"));
        QCOMPARE(sampler.dimension(rbm.get()), 8);
        std::unique_ptr<SamplerState> a = sampler.start(rbm.get(), x0);
        ParallelTempering pt(betas);
        TemperingState b = pt.start(*rbm, x0);
        const int steps = 50;
        for (int t = 0; t < steps; ++t) {
            sampler.step(rbm.get(), *a, 21, nullptr);
            pt.step(*rbm, b, 21);
        }
        const auto& s = dynamic_cast<const TemperingChainState&>(*a);
        QVERIFY(s.x == b.chains.x);
        QVERIFY(s.mean == b.chains.mean);
        QVERIFY(s.h[0] == b.chains.h[0]);
        QVERIFY(s.replicaV == b.v);
        QVERIFY(s.replicaH == b.h);
        QCOMPARE(s.step, b.chains.step);
        const SamplerDiagnostics d = sampler.diagnostics(s);
        QCOMPARE(d.steps, std::uint64_t(steps));
        QCOMPARE(d.chains, std::uint64_t(12));
        QCOMPARE(d.swapAttempts, b.swapAttempts);
        QCOMPARE(d.swapAccepts, b.swapAccepts);
        QCOMPARE(d.swapRates(), b.acceptanceRates());
        QCOMPARE(d.swapAttempts.size(), std::size_t{4});
        std::uint64_t attempts = 0;
        for (std::size_t r = 0; r < d.swapAttempts.size(); ++r) {
            QCOMPARE(d.swapAttempts[r], std::uint64_t(steps) * 12);
            QVERIFY(d.swapAccepts[r] <= d.swapAttempts[r]);
            attempts += d.swapAttempts[r];
        }
        QCOMPARE(attempts / 12, std::uint64_t(steps) * (betas.size() - 1)); // per chain: steps * (R-1)
        // The energy interface: the joint energy of replica 0.
        QVERIFY(sampler.energy() == &sampler);
        QCOMPARE(sampler.energies(rbm.get(), s), rbm->energy(s.x, s.h[0]));
        // Not an RBM: refused.
        const std::shared_ptr<const Model> dae = createModel({{"kind", "dae"}, {"sizes", {8, 4}}}, 1);
        QVERIFY_THROWS_EXCEPTION(Error, sampler.checkModel(dae.get()));
        QVERIFY_THROWS_EXCEPTION(Error, sampler.checkModel(nullptr));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(dae, std::make_shared<TemperingSampler>(betas), FrameLayout::image(4, 2)));
    }

    // Tempered chains inside a ChainSet with a clamp (the ChainSet restores replica 0 and hands the
    // clamp to the sampler, which clamps every replica): clamped pixels never change and the chains
    // sample the exact conditional (bound as in temperingClamped).
    void temperedChainSetWithClamp()
    {
        auto rbm = std::shared_ptr<const Rbm>(twoModeRbm());
        const std::vector<float> betas = ParallelTempering::geometricBetas(8, 0.08f);
        ChainSet set(rbm, std::make_shared<TemperingSampler>(betas), FrameLayout::image(4, 2));
        set.resetAt(Matrix::Ones(16, 8), 6);
        ClampMask cm(4, 2);
        cm.clamped[0] = cm.clamped[1] = 1;
        set.setClampAll(cm, {0, 1, 0, 0, 0, 0, 0, 0});
        const std::vector<double> p = exactProbabilities(*rbm);
        std::vector<double> cond(256, 0.0);
        for (std::uint64_t idx = 0; idx < 256; ++idx)
            if ((idx & 3u) == 2u)
                cond[idx] = p[idx];
        cond = normalised(cond);
        std::vector<double> hist(256, 0.0);
        for (int t = 0; t < 3000; ++t) {
            set.step();
            const auto& s = set.stateAs<TemperingChainState>();
            QVERIFY(s.x.col(0).isZero() && s.x.col(1).isOnes());
            // Every replica holds the clamp, not only the shown one.
            QVERIFY(s.replicaV.col(0).isZero() && s.replicaV.col(1).isOnes());
            addToHistogram(hist, s.x);
        }
        const double kl = klDivergence(normalised(hist), cond);
        const std::vector<double> rates = set.diagnostics().swapRates();
        qInfo("tempered ChainSet, clamped: KL %.4f, swap rate (0,1) %.2f", kl, rates[0]);
        QVERIFY(kl < 0.01);
        QVERIFY(rates[0] > 0.05);
    }

    // Replica 0 of the tempering sampler in a ChainSet samples the enumerable two-mode RBM's exact
    // P(v): the set-up and bound of temperingMixesTwoModes (16 chains from the "on" mode, 3000 steps,
    // 8 replicas, KL < 0.03 over the 256 states), frames as the means, counts from diagnostics().
    void temperedChainSetMatchesExactMarginal()
    {
        auto rbm = std::shared_ptr<const Rbm>(twoModeRbm());
        const std::vector<double> p = exactProbabilities(*rbm);
        const int chains = 16, steps = 3000;
        ChainSet set(rbm, std::make_shared<TemperingSampler>(ParallelTempering::geometricBetas(8, 0.08f)),
                     FrameLayout::image(4, 2));
        set.resetAt(Matrix::Ones(chains, 8), 4);
        std::vector<double> hist(256, 0.0);
        for (int t = 0; t < steps; ++t) {
            set.step();
            addToHistogram(hist, set.state().x);
        }
        const double kl = klDivergence(normalised(hist), p);
        qInfo("tempered ChainSet KL(replica 0 || exact) %.4f", kl);
        QVERIFY(kl < 0.03);
        const SamplerDiagnostics d = set.diagnostics();
        QCOMPARE(d.steps, std::uint64_t(steps));
        QCOMPARE(d.swapAttempts.size(), std::size_t{7});
        for (std::uint64_t a : d.swapAttempts)
            QCOMPARE(a, std::uint64_t(steps) * chains);
    }

    void temperingRejectsBadBetas()
    {
        QVERIFY_THROWS_EXCEPTION(Error, ParallelTempering({}));
        QVERIFY_THROWS_EXCEPTION(Error, ParallelTempering({0.9f, 0.5f}));
        QVERIFY_THROWS_EXCEPTION(Error, ParallelTempering({1.0f, 0.5f, 0.5f}));
        QVERIFY_THROWS_EXCEPTION(Error, ParallelTempering({1.0f, 0.0f}));
        QVERIFY_THROWS_EXCEPTION(Error, ParallelTempering::geometricBetas(3, 0.0f));
    }

    // CD-1's gradient against the exact gradient of the mean NLL (enumeration) on a tiny RBM. CD-1 is
    // biased, so the check is of direction: the expectation of the CD-1 estimate (averaged over 200
    // noise draws of the batch) has cosine > 0.8 with the exact gradient, and every component larger
    // than 0.05 has the exact gradient's sign. The positive phase of CD uses the exact P(h|v), so the
    // b1 and data halves carry no noise.
    void cdGradientDirection()
    {
        auto rbm = randomRbm(8, 4, 0.7f, 17);
        const Matrix data = prototypeData(200, 1);
        const std::vector<Matrix> exact = rbm->exactGradient(data);
        std::vector<Matrix> mean;
        const int draws = 200;
        for (int d = 0; d < draws; ++d) {
            std::vector<Matrix> g;
            rbm->lossAndGradient(data, keyFor(3, static_cast<std::uint64_t>(d), data.rows()), g);
            QCOMPARE(g.size(), std::size_t{3});
            if (mean.empty())
                mean = g;
            else
                for (std::size_t k = 0; k < 3; ++k)
                    mean[k] += g[k];
        }
        for (auto& m : mean)
            m /= static_cast<float>(draws);
        const double cos = cosine(mean, exact);
        qInfo("cosine(E[CD-1 gradient], exact gradient) = %.3f", cos);
        QVERIFY(cos > 0.8);
        for (std::size_t k = 0; k < 3; ++k)
            for (Eigen::Index i = 0; i < exact[k].size(); ++i)
                if (std::abs(exact[k](i)) > 0.05f)
                    QVERIFY(mean[k](i) * exact[k](i) > 0.0f);
    }

    // PCD with many Gibbs steps draws its negative phase from (almost) the model itself, so its gradient
    // is the exact one up to Monte Carlo error: 4000 persistent chains, 300 steps (from Bernoulli(1/2)
    // starts; this RBM mixes within a few dozen steps). Each negative-phase mean over 4000 independent
    // chains of a quantity in [0, 1] has standard deviation <= 0.5 / sqrt(4000) = 0.008; the bound on the
    // largest component error is 0.04 (5 sigma). CD-1's error on the same RBM is checked to be larger:
    // the test can tell an exact negative phase from a biased one.
    void pcdGradientNearExact()
    {
        auto base = randomRbm(8, 4, 0.7f, 17);
        const Matrix data = prototypeData(200, 1);
        const std::vector<Matrix> exact = base->exactGradient(data);
        auto pcd = createModel({{"kind", "rbm"}, {"sizes", {8, 4}}, {"cd_k", 300}, {"persistent", true},
                                {"pcd_chains", 4000}},
                               8);
        auto* r = dynamic_cast<Rbm*>(pcd.get());
        QVERIFY(r);
        r->weights() = base->weights();
        r->visibleBias() = base->visibleBias();
        r->hiddenBias() = base->hiddenBias();
        std::vector<Matrix> g;
        const Matrix before = r->persistentChains();
        const double loss = r->lossAndGradient(data, keyFor(5, 0, data.rows()), g);
        QVERIFY(std::isfinite(loss) && loss > 0.0);
        QCOMPARE(g.size(), std::size_t{4});
        QVERIFY(g[3].isZero());
        QVERIFY(r->persistentChains() != before); // the chains persisted their new state
        const double err = maxAbsDiff(g, exact);
        std::vector<Matrix> cd;
        base->lossAndGradient(data, keyFor(5, 0, data.rows()), cd);
        qInfo("max |PCD-300 - exact| = %.4f, max |CD-1 - exact| = %.4f", err, maxAbsDiff(cd, exact));
        QVERIFY(err < 0.04);
        QVERIFY(maxAbsDiff(cd, exact) > err);
    }

    // Training a tiny RBM (8 visible, 6 hidden) on a known distribution (three prototypes with 10% bit
    // flips) by theta -= lr * grad raises the exact log-likelihood of the data by more than 1 nat per
    // example (from about -10 nats at the initial weights) in 300 updates of batch 50.
    void trainingRaisesLikelihood_data()
    {
        QTest::addColumn<bool>("persistent");
        QTest::newRow("CD-1") << false;
        QTest::newRow("PCD-1") << true;
    }

    void trainingRaisesLikelihood()
    {
        QFETCH(bool, persistent);
        auto model = createModel({{"kind", "rbm"}, {"sizes", {8, 6}}, {"cd_k", 1}, {"persistent", persistent},
                                  {"pcd_chains", 50}},
                                 21);
        auto* rbm = dynamic_cast<Rbm*>(model.get());
        const Matrix data = prototypeData(1000, 2);
        const double before = rbm->exactLogLikelihood(data);
        const float lr = 0.1f;
        std::vector<Matrix> grads;
        double firstLoss = 0.0, lastLoss = 0.0;
        for (int u = 0; u < 300; ++u) {
            const int start = (u * 50) % 1000;
            const Matrix batch = data.middleRows(start, 50);
            const double loss = model->lossAndGradient(batch, keyFor(4, static_cast<std::uint64_t>(u), 50, start), grads);
            if (u < 20)
                firstLoss += loss / 20;
            if (u >= 280)
                lastLoss += loss / 20;
            auto params = model->parameters();
            for (std::size_t k = 0; k < params.size(); ++k)
                *params[k].value -= lr * grads[k];
        }
        const double after = rbm->exactLogLikelihood(data);
        qInfo("exact log-likelihood %.3f -> %.3f nats; reconstruction loss %.3f -> %.3f", before, after, firstLoss,
              lastLoss);
        QVERIFY(after > before + 1.0);
        QVERIFY(lastLoss < firstLoss);
    }

    // Same seed on 1 and 2 threads: identical chains (plain and tempered) and identical gradients.
    void threadCountDoesNotMatter()
    {
        auto rbm = randomRbm(784, 64, 0.05f, 8);
        const Matrix x0 = noiseStart(100, 784, 2);
        auto run = [&](int threads) {
            setEngineThreads(threads);
            ChainState s = rbm->startChains(x0);
            for (int t = 0; t < 10; ++t)
                rbm->stepChains(s, 42);
            ParallelTempering pt(ParallelTempering::geometricBetas(4, 0.3f));
            TemperingState ts = pt.start(*rbm, x0.topRows(40));
            for (int t = 0; t < 10; ++t)
                pt.step(*rbm, ts, 42);
            auto pcd = std::make_unique<Rbm>(Rbm::Options{784, 64, 2, true, 70}, 3);
            std::vector<Matrix> g;
            const double loss = pcd->lossAndGradient(x0, keyFor(1, 2, x0.rows()), g);
            std::vector<Matrix> out{s.x, s.mean, s.h[0], ts.chains.x, ts.chains.mean, ts.v, ts.h,
                                    pcd->persistentChains(), Matrix::Constant(1, 1, static_cast<float>(loss))};
            out.insert(out.end(), g.begin(), g.end());
            return std::make_pair(out, ts.swapAccepts);
        };
        const auto one = run(1);
        const auto two = run(2);
        QCOMPARE(engineThreads(), 2);
        QCOMPARE(one.first.size(), two.first.size());
        for (std::size_t k = 0; k < one.first.size(); ++k)
            QVERIFY2(one.first[k] == two.first[k], qPrintable(QString("output %1 differs").arg(k)));
        QCOMPARE(one.second, two.second);
    }

    void rejectsBadShapes()
    {
        auto rbm = randomRbm(8, 4, 1.0f, 1);
        std::vector<Matrix> g;
        QVERIFY_THROWS_EXCEPTION(Error, rbm->lossAndGradient(Matrix::Zero(3, 7), keyFor(1, 1, 3), g));
        QVERIFY_THROWS_EXCEPTION(Error, rbm->lossAndGradient(Matrix::Zero(3, 8), keyFor(1, 1, 2), g));
        QVERIFY_THROWS_EXCEPTION(Error, rbm->startChains(Matrix::Zero(3, 9)));
        auto big = randomRbm(30, 30, 0.1f, 1);
        QVERIFY_THROWS_EXCEPTION(Error, big->logPartition());
    }
};

QTEST_GUILESS_MAIN(TestRbm)
#include "tst_rbm.moc"
