// One conformance table for every sampler (sampler.h) run by a ChainSet, in several modes: the same
// frames on 1 and 2 threads, step counting, frame layouts, clamped values unchanged at every step, the
// chains equal to the sampler's underlying engine code, and the discrete non-parametric DAE's chain
// against the exact stationary distribution of its transition matrix. Bad configs and mismatched
// (model, sampler, layout) triples are refused.

#include "chains.h"
#include "clampmask.h"
#include "error.h"
#include "npdaesampler.h"
#include "parallel.h"
#include "random.h"
#include "rbm.h"
#include "sampler.h"
#include "temperingsampler.h"

#include <QtTest>

#include <cmath>
#include <functional>
#include <memory>
#include <vector>

using namespace gsn;

namespace {

constexpr int kChains = 40; // more than two blocks of 16 (the samplers' parallel block) and of the models'

// 2D toy data: two Gaussian clusters at (-2, 0) and (2, 0), sd 0.3.
Matrix twoClusters(int n, std::uint64_t seed)
{
    Matrix x(n, 2);
    for (int i = 0; i < n; ++i) {
        Philox rng(seed, static_cast<std::uint64_t>(i), 0);
        const float centre = rng.uniform() < 0.7 ? -2.0f : 2.0f;
        x(i, 0) = centre + 0.3f * rng.normal();
        x(i, 1) = 0.3f * rng.normal();
    }
    return x;
}

Eigen::VectorXd trueDistribution()
{
    Eigen::VectorXd p(10);
    p << 0.02, 0.05, 0.20, 0.25, 0.10, 0.03, 0.05, 0.15, 0.10, 0.05;
    return p;
}

std::shared_ptr<const DiscreteNpDae> fittedDiscrete(int pairs, std::uint64_t seed)
{
    auto dae = std::make_shared<DiscreteNpDae>(DiscreteNpDae::ringCorruption(10, 0.5, 1));
    dae->fit(DiscreteNpDae::sampleCategorical(trueDistribution(), pairs, seed), seed + 1);
    return dae;
}

// One row of the table: a (model, sampler, layout) triple, a start state and a clamp to try.
struct Setup {
    std::shared_ptr<const Model> model; // null for samplers with a target of their own
    std::shared_ptr<const Sampler> sampler;
    FrameLayout layout;
    Matrix x0;                          // shape = [kChains, layout.values()]
    ClampMask clampMask;                // what the clamping mode clamps (samplers that can clamp)
    std::vector<float> clampValues;     // shape = [layout.values()]
};

Setup imageSetup(std::shared_ptr<const Model> model, std::shared_ptr<const Sampler> sampler)
{
    Setup s;
    s.model = std::move(model);
    s.sampler = std::move(sampler);
    s.layout = FrameLayout::image(6, 6);
    s.x0 = initialState(std::vector<ChainInit>(kChains, ChainInit::noise()), 36, 5);
    s.clampMask = ClampMask(6, 6);
    for (int y = 0; y < 6; ++y)
        for (int x = 0; x < 3; ++x)
            s.clampMask.clamped[static_cast<std::size_t>(y * 6 + x)] = 1;
    s.clampValues.resize(36);
    for (int i = 0; i < 36; ++i)
        s.clampValues[static_cast<std::size_t>(i)] = (i % 3) * 0.5f;
    return s;
}

std::shared_ptr<const Model> smallModel(const char* kind)
{
    if (std::string(kind) == "dae")
        return createModel({{"kind", "dae"}, {"sizes", {36, 16}}}, 3);
    if (std::string(kind) == "gsn2")
        return createModel({{"kind", "gsn2"}, {"sizes", {36, 12, 10}}}, 3);
    return createModel({{"kind", "rbm"}, {"sizes", {36, 14}}}, 3);
}

Setup makeSetup(const QString& name)
{
    if (name == "model-chain dae")
        return imageSetup(smallModel("dae"), modelChainsSampler());
    if (name == "model-chain gsn2")
        return imageSetup(smallModel("gsn2"), modelChainsSampler());
    if (name == "model-chain rbm")
        return imageSetup(smallModel("rbm"), modelChainsSampler());
    if (name == "rbm-pt")
        return imageSetup(smallModel("rbm"),
                          std::make_shared<TemperingSampler>(ParallelTempering::geometricBetas(4, 0.2f)));
    Setup s;
    if (name == "npdae-parzen") {
        ParzenNpDae::Options o;
        o.inputBandwidth = 0.2;
        auto dae = std::make_shared<ParzenNpDae>(o);
        dae->fit(twoClusters(300, 1), 2);
        s.sampler = std::make_shared<ParzenNpDaeSampler>(dae);
        s.layout = FrameLayout::points(2);
        s.x0 = twoClusters(kChains, 9);
        s.clampMask = ClampMask(2, 1);
        s.clampMask.clamped[1] = 1; // hold the second coordinate
        s.clampValues = {0.0f, 0.4f};
        return s;
    }
    // npdae-discrete
    s.sampler = std::make_shared<DiscreteNpDaeSampler>(fittedDiscrete(5000, 20));
    s.layout = FrameLayout::points(1);
    s.x0.resize(kChains, 1);
    for (int c = 0; c < kChains; ++c)
        s.x0(c, 0) = static_cast<float>(c % 10);
    return s;
}

const char* const kCases[] = {"model-chain dae", "model-chain gsn2", "model-chain rbm", "rbm-pt", "npdae-parzen",
                              "npdae-discrete"};

void addCases()
{
    QTest::addColumn<QString>("name");
    for (const char* c : kCases)
        QTest::newRow(c) << QString(c);
}

ChainSet chainSetOf(const Setup& s, std::uint64_t seed)
{
    ChainSet set(s.model, s.sampler, s.layout);
    set.resetAt(s.x0, seed);
    set.setRecordSamples(true);
    return set;
}

// Every frame (cells and samples) of `steps` steps, the start frame first.
std::vector<FramePtr> runFrames(const Setup& s, int steps, std::uint64_t seed)
{
    ChainSet set = chainSetOf(s, seed);
    std::vector<FramePtr> frames{set.frame()};
    for (int t = 0; t < steps; ++t) {
        set.step();
        frames.push_back(set.frame());
    }
    return frames;
}

} // namespace

class TestSamplers : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { setEngineThreads(0); }

    void sameFramesOnOneAndTwoThreads_data() { addCases(); }
    void sameFramesOnOneAndTwoThreads()
    {
        QFETCH(QString, name);
        const Setup s = makeSetup(name);
        setEngineThreads(1);
        const std::vector<FramePtr> one = runFrames(s, 15, 11);
        setEngineThreads(2);
        const std::vector<FramePtr> two = runFrames(s, 15, 11);
        QCOMPARE(one.size(), two.size());
        for (std::size_t t = 0; t < one.size(); ++t) {
            QVERIFY2(one[t]->cells == two[t]->cells, qPrintable(QString("step %1").arg(t)));
            QVERIFY(one[t]->samples == two[t]->samples);
        }
        // The chains move (a test of a frozen chain would pass trivially).
        QVERIFY(one.back()->samples != one.front()->samples);
        // Another seed gives other chains.
        QVERIFY(runFrames(s, 15, 12).back()->samples != one.back()->samples);
    }

    void stepsAndLayoutAreCounted_data() { addCases(); }
    void stepsAndLayoutAreCounted()
    {
        QFETCH(QString, name);
        const Setup s = makeSetup(name);
        ChainSet set = chainSetOf(s, 3);
        QCOMPARE(set.steps(), std::uint64_t{0});
        QVERIFY(set.frame()->cells == s.x0); // the start frame shows the start state
        for (int t = 1; t <= 7; ++t) {
            set.step();
            const FramePtr f = set.frame();
            QCOMPARE(set.steps(), std::uint64_t(t));
            QCOMPARE(f->step, std::int64_t(t));
            QVERIFY(f->layout == s.layout);
            QVERIFY(f->valid());
            QCOMPARE(f->chainCount(), kChains);
            const SamplerDiagnostics d = set.diagnostics();
            QCOMPARE(d.steps, std::uint64_t(t));
            QCOMPARE(d.chains, std::uint64_t(kChains));
        }
        QCOMPARE(set.dimension(), static_cast<int>(s.layout.values()));
        QCOMPARE(QString::fromStdString(set.sampler()->config().at("kind").get<std::string>()),
                 QString::fromStdString(set.sampler()->kind()));
        // restart() goes back to step 0 and reproduces the same chain.
        const FramePtr seventh = set.frame();
        set.restart();
        QCOMPARE(set.steps(), std::uint64_t{0});
        for (int t = 0; t < 7; ++t)
            set.step();
        QVERIFY(set.frame()->samples == seventh->samples);
    }

    void clampedValuesHoldAtEveryStep_data() { addCases(); }
    void clampedValuesHoldAtEveryStep()
    {
        QFETCH(QString, name);
        const Setup s = makeSetup(name);
        ChainSet set = chainSetOf(s, 8);
        if (!s.sampler->capabilities().clamping) {
            QVERIFY_THROWS_EXCEPTION(Error, set.setClamp(0, ClampMask(static_cast<int>(s.layout.values()), 1),
                                                         std::vector<float>(static_cast<std::size_t>(s.layout.values()), 0.0f)));
            return;
        }
        // Chain 1 stays free; every other chain holds the clamp.
        for (int c = 0; c < kChains; ++c)
            if (c != 1)
                set.setClamp(c, s.clampMask, s.clampValues);
        const std::vector<int> idx = s.clampMask.clampedIndices();
        QVERIFY(!idx.empty());
        bool freeMoved = false;
        for (int t = 0; t <= 25; ++t) {
            if (t > 0)
                set.step();
            const FramePtr f = set.frame();
            for (int c = 0; c < kChains; ++c) {
                if (c == 1)
                    continue;
                for (int i : idx) {
                    const float v = s.clampValues[static_cast<std::size_t>(i)];
                    if (f->cells(c, i) != v || f->samples(c, i) != v || set.state().x(c, i) != v)
                        QFAIL(qPrintable(QString("chain %1 value %2 moved at step %3").arg(c).arg(i).arg(t)));
                }
            }
            for (int i : idx)
                freeMoved |= f->samples(1, i) != s.x0(1, i);
        }
        QVERIFY(freeMoved); // the same coordinates of the free chain do move
        if (const auto* pt = dynamic_cast<const TemperingChainState*>(&set.state())) {
            // Tempering clamps every replica, not only the shown one.
            for (Eigen::Index r = 0; r < pt->replicaV.rows(); ++r) {
                if (r % kChains == 1)
                    continue;
                for (int i : idx)
                    QCOMPARE(pt->replicaV(r, i), s.clampValues[static_cast<std::size_t>(i)]);
            }
        }
    }

    // A ChainSet reproduces the sampler's engine code exactly: the model's own stepChains, and the
    // non-parametric DAEs' run().
    void chainSetMatchesDirectCode_data() { addCases(); }
    void chainSetMatchesDirectCode()
    {
        QFETCH(QString, name);
        const Setup s = makeSetup(name);
        const int steps = 12;
        const std::uint64_t seed = 4;
        ChainSet set = chainSetOf(s, seed);
        std::vector<Matrix> got;
        for (int t = 0; t < steps; ++t) {
            set.step();
            got.push_back(set.state().x);
        }
        if (name.startsWith("model-chain")) {
            ChainState direct = s.model->startChains(s.x0);
            for (int t = 0; t < steps; ++t) {
                s.model->stepChains(direct, seed);
                QVERIFY(direct.x == got[static_cast<std::size_t>(t)]);
            }
        } else if (name == "rbm-pt") {
            const auto& rbm = dynamic_cast<const Rbm&>(*s.model);
            const auto& sampler = dynamic_cast<const TemperingSampler&>(*s.sampler);
            TemperingState direct = sampler.tempering().start(rbm, s.x0);
            for (int t = 0; t < steps; ++t) {
                sampler.tempering().step(rbm, direct, seed);
                QVERIFY(direct.chains.x == got[static_cast<std::size_t>(t)]);
            }
            QCOMPARE(set.diagnostics().swapAccepts, direct.swapAccepts);
        } else if (name == "npdae-parzen") {
            const auto& dae = dynamic_cast<const ParzenNpDaeSampler&>(*s.sampler).dae();
            const Matrix all = dae.run(s.x0, steps, seed);
            for (int t = 0; t < steps; ++t)
                for (int c = 0; c < kChains; ++c)
                    QVERIFY(all.row(c * steps + t) == got[static_cast<std::size_t>(t)].row(c));
        } else {
            const auto& dae = dynamic_cast<const DiscreteNpDaeSampler&>(*s.sampler).dae();
            std::vector<int> start(kChains);
            for (int c = 0; c < kChains; ++c)
                start[static_cast<std::size_t>(c)] = static_cast<int>(s.x0(c, 0));
            const std::vector<int> all = dae.run(start, steps, seed);
            for (int t = 0; t < steps; ++t)
                for (int c = 0; c < kChains; ++c)
                    QCOMPARE(got[static_cast<std::size_t>(t)](c, 0), static_cast<float>(all[c * steps + t]));
        }
    }

    // The discrete non-parametric DAE's chain, run by a ChainSet, against the exact stationary
    // distribution of its transition matrix T = C P (power iteration): 200 chains x 550 steps, 50
    // burn-in, N = 100000 correlated draws over K = 10 values with N_eff ~ 3000, E[KL] ~ 0.0015; bound
    // 0.01 (the bound of tst_npdae's direct test). Power: the same histogram is > 10x the bound from uniform.
    void discreteSamplerMatchesStationary()
    {
        const double bound = 0.01;
        auto dae = fittedDiscrete(5000, 20);
        const Eigen::VectorXd pi = dae->stationaryDistribution();
        const int chains = 200, steps = 550, burnIn = 50;
        Matrix x0(chains, 1);
        for (int c = 0; c < chains; ++c)
            x0(c, 0) = static_cast<float>(c % 10);
        ChainSet set(nullptr, std::make_shared<DiscreteNpDaeSampler>(dae), FrameLayout::points(1));
        set.resetAt(x0, 5);
        Eigen::VectorXd h = Eigen::VectorXd::Zero(10);
        for (int t = 0; t < steps; ++t) {
            set.step();
            if (t < burnIn)
                continue;
            for (int c = 0; c < chains; ++c)
                h(static_cast<int>(set.state().x(c, 0))) += 1.0;
        }
        h /= h.sum();
        const auto kl = [](const Eigen::VectorXd& q, const Eigen::VectorXd& p) {
            double s = 0.0;
            for (Eigen::Index i = 0; i < q.size(); ++i)
                if (q(i) > 0.0)
                    s += q(i) * std::log(q(i) / p(i));
            return s;
        };
        qInfo("KL(ChainSet chain || stationary) = %.5f (bound %.3f)", kl(h, pi), bound);
        QVERIFY(kl(h, pi) < bound);
        QVERIFY(kl(h, Eigen::VectorXd::Constant(10, 0.1)) > 10 * bound);
    }

    // Point layouts: no width x height = n_visible requirement, any finite start; frames say points.
    void pointFrames()
    {
        const Setup s = makeSetup("npdae-parzen");
        ChainSet set(nullptr, s.sampler, FrameLayout::points(2));
        Matrix x0 = Matrix::Constant(3, 2, -5.0f); // outside [0, 1]: fine for points
        set.resetAt(x0, 1);
        QVERIFY(set.frame()->layout.isPoints());
        QCOMPARE(set.frame()->layout.dimension, 2);
        QCOMPARE(set.width(), 0);
        set.step();
        QVERIFY(set.frame()->valid());
        Frame bad;
        bad.layout = FrameLayout::points(3);
        bad.cells.resize(2, 2);
        QVERIFY(!bad.valid());
        bad.layout = FrameLayout::points(2);
        QVERIFY(bad.valid());
        bad.layout = FrameLayout::image(1, 2);
        QVERIFY(bad.valid());
        bad.layout = FrameLayout::image(0, 2);
        QVERIFY(!bad.valid());
    }

    void badInputIsRefused()
    {
        const Setup parzen = makeSetup("npdae-parzen");
        const Setup discrete = makeSetup("npdae-discrete");
        const auto rbm = smallModel("rbm");
        // Layout that does not fit the sampler's dimension; a model where none is expected; none where one is.
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(nullptr, parzen.sampler, FrameLayout::points(3)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(nullptr, parzen.sampler, FrameLayout::image(1, 3)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(rbm, parzen.sampler, FrameLayout::points(2)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(nullptr, modelChainsSampler(), FrameLayout::image(6, 6)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(rbm, modelChainsSampler(), FrameLayout::image(6, 5)));
        QVERIFY_THROWS_EXCEPTION(Error, ChainSet(rbm, nullptr, FrameLayout::image(6, 6)));
        // setModel on a sampler without a model.
        ChainSet p(nullptr, parzen.sampler, FrameLayout::points(2));
        QVERIFY_THROWS_EXCEPTION(Error, p.setModel(rbm));
        QVERIFY(!p.model());
        QVERIFY_THROWS_EXCEPTION(Error, p.resetAt(Matrix::Constant(2, 2, NAN), 1));
        // Discrete starts must be values in [0, K).
        ChainSet d(nullptr, discrete.sampler, FrameLayout::points(1));
        QVERIFY_THROWS_EXCEPTION(Error, d.resetAt(Matrix::Constant(2, 1, 0.5f), 1));
        QVERIFY_THROWS_EXCEPTION(Error, d.resetAt(Matrix::Constant(2, 1, 10.0f), 1));
        d.resetAt(Matrix::Constant(2, 1, 9.0f), 1);
        QVERIFY_THROWS_EXCEPTION(Error, d.stateAs<ChainState>());
        QCOMPARE(d.stateAs<DiscreteChainState>().values, (std::vector<int>{9, 9}));
        // Clamp masks of the wrong shape for points.
        p.resetAt(parzen.x0, 1);
        QVERIFY_THROWS_EXCEPTION(Error, p.setClamp(0, ClampMask(1, 2), {0.0f, 0.0f}));
        QVERIFY_THROWS_EXCEPTION(Error, p.setClamp(0, parzen.clampMask, {0.0f, NAN}));
    }

    // The factories a registry will call build the same samplers from their configs and name bad fields.
    void factories()
    {
        const Matrix points = twoClusters(300, 1);
        const SamplerInputs inputs{&points, 2};
        auto parzen = createParzenNpDaeSampler({{"kind", "npdae-parzen"}, {"input_bandwidth", 0.2}}, inputs);
        QCOMPARE(QString::fromStdString(parzen->kind()), QString("npdae-parzen"));
        QCOMPARE(parzen->config().at("input_bandwidth").get<double>(), 0.2);
        // Same estimator as fitting by hand: same chains.
        const Setup s = makeSetup("npdae-parzen");
        ChainSet a(nullptr, std::shared_ptr<const Sampler>(std::move(parzen)), FrameLayout::points(2));
        ChainSet b(nullptr, s.sampler, FrameLayout::points(2));
        a.resetAt(s.x0, 3);
        b.resetAt(s.x0, 3);
        for (int t = 0; t < 5; ++t) {
            a.step();
            b.step();
        }
        QVERIFY(a.state().x == b.state().x);

        auto pt = createTemperingSampler({{"kind", "rbm-pt"}, {"replicas", 4}, {"beta_min", 0.2}}, {});
        QCOMPARE(pt->config().at("betas").size(), std::size_t{4});
        auto pt2 = createTemperingSampler(pt->config(), {});
        QVERIFY(pt2->config() == pt->config());
        QVERIFY(createModelChainsSampler({{"kind", "model-chain"}}, {})->capabilities().needsModel);

        Matrix values(1000, 1);
        for (int i = 0; i < 1000; ++i)
            values(i, 0) = static_cast<float>(i % 10);
        auto discrete = createDiscreteNpDaeSampler({{"kind", "npdae-discrete"}, {"values", 10}}, {&values, 1});
        QCOMPARE(discrete->dimension(nullptr), 1);

        QVERIFY_THROWS_EXCEPTION(Error, createParzenNpDaeSampler({{"kind", "npdae-parzen"}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createParzenNpDaeSampler({{"input_bandwidth", "wide"}}, inputs));
        QVERIFY_THROWS_EXCEPTION(Error, createParzenNpDaeSampler({{"input_bandwidth", -1.0}}, inputs));
        QVERIFY_THROWS_EXCEPTION(Error, createTemperingSampler({{"kind", "rbm-pt"}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createTemperingSampler({{"betas", {0.5, 0.2}}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createTemperingSampler({{"kind", "gibbs"}, {"betas", {1.0}}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createModelChainsSampler({{"kind", "rbm-pt"}}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, createDiscreteNpDaeSampler({{"kind", "npdae-discrete"}}, {&values, 1}));
        QVERIFY_THROWS_EXCEPTION(Error, createDiscreteNpDaeSampler({{"values", 5}}, {&values, 1})); // 9 >= K
    }
};

QTEST_GUILESS_MAIN(TestSamplers)
#include "tst_samplers.moc"
