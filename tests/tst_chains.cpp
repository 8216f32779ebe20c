// Markov chains with clamping (SPEC 1, 3), clamp-mask presets, and the chain worker thread.

#include "chains.h"
#include "checkpoint.h"
#include "clampmask.h"
#include "datasets.h"
#include "error.h"
#include "gemmkernel.h"
#include "gsnk.h"
#include "modelmath.h"
#include "parallel.h"
#include "parzen.h"
#include "random.h"
#include "randomstreams.h"
#include "rbm.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <thread>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace gsn;

namespace {

// A small stochastic model with a real chain: one hidden layer of size 1 (the chain's mean pixel),
// mean_i = sigmoid(a * x_i + b_i + 0.5 * h), x_i ~ Bernoulli(mean_i). Its noise is Philox(seed, c, step)
// per chain and it runs chains in parallel blocks of 3, like the real models, so thread-count
// independence and parameter switches are observable. `b` is the parameter a switch changes.
class ToyModel : public Model {
public:
    ToyModel(int n, float a, float b) : m_a(a), m_b(RowVector::Constant(n, b)) {}
    std::string kind() const override { return "toy"; }
    std::vector<int> layerSizes() const override { return {static_cast<int>(m_b.cols()), 1}; }
    nlohmann::json config() const override { return {{"kind", "toy"}}; }
    std::vector<ParamRef> parameters() override { return {}; }
    std::unique_ptr<Model> clone() const override { return std::make_unique<ToyModel>(*this); }
    double lossAndGradient(const Matrix&, const NoiseKey&, std::vector<Matrix>&) override { return 0.0; }

    ChainState startChains(const Matrix& x0) const override
    {
        ChainState s;
        s.x = x0;
        s.mean = Matrix::Zero(x0.rows(), x0.cols()); // deliberately not x0: ChainSet shows the start images
        s.h.push_back(Matrix::Zero(x0.rows(), 1));
        return s;
    }
    void stepChains(ChainState& s, std::uint64_t seed) const override
    {
        const std::uint64_t step = s.step;
        parallelFor(static_cast<std::size_t>(s.x.rows()), 3, [&](std::size_t begin, std::size_t end) {
            for (std::size_t c = begin; c < end; ++c) {
                Philox rng(seed, streams::chainStream(c), step);
                const auto r = static_cast<Eigen::Index>(c);
                const float h = s.h[0](r, 0);
                for (Eigen::Index i = 0; i < s.x.cols(); ++i) {
                    const float m = 1.0f / (1.0f + std::exp(-(m_a * s.x(r, i) + m_b(0, i) + 0.5f * h)));
                    s.mean(r, i) = m;
                    s.x(r, i) = rng.uniform() < m ? 1.0f : 0.0f;
                }
                s.h[0](r, 0) = s.x.row(r).mean();
            }
        });
        ++s.step;
    }

private:
    float m_a;
    RowVector m_b;
};

std::shared_ptr<const Model> makeModel(const QString& kind, int w, int h, std::uint64_t seed = 7)
{
    if (kind == "toy")
        return std::make_shared<ToyModel>(w * h, 2.0f, -1.0f);
    if (kind == "dae")
        return createModel({{"kind", "dae"}, {"sizes", {w * h, 16}}}, seed);
    if (kind == "gsn2")
        return createModel({{"kind", "gsn2"}, {"sizes", {w * h, 12, 10}}}, seed);
    if (kind == "gsn3")
        return createModel({{"kind", "gsn3"}, {"sizes", {w * h, 12, 10, 8}}}, seed);
    Rbm::Options o;
    o.visible = w * h;
    o.hidden = 16;
    return std::make_shared<Rbm>(o, seed);
}

std::vector<float> testImage(int n, std::uint64_t seed)
{
    // A fixed image with values spread over [0, 1], including exact 0 and 1.
    std::vector<float> v(static_cast<std::size_t>(n));
    Philox rng(seed, 99, 0);
    for (int i = 0; i < n; ++i)
        v[static_cast<std::size_t>(i)] = i % 7 == 0 ? float(i % 2) : rng.uniform();
    return v;
}

std::vector<ChainInit> noiseInits(int c)
{
    return std::vector<ChainInit>(static_cast<std::size_t>(c), ChainInit::noise());
}

bool sameFrames(const std::vector<FramePtr>& a, const std::vector<FramePtr>& b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i]->step != b[i]->step || a[i]->cells != b[i]->cells || a[i]->samples != b[i]->samples ||
            a[i]->top != b[i]->top)
            return false;
    return true;
}

} // namespace

// The chain paths' numerics on 1500-unit GSNs (row sums against the GEMM, half-precision weights, a
// Parzen figure): no thread of ours, seconds in Release, many minutes under ThreadSanitizer, whose CI
// stage runs tst_chains for the chain runner's threads. The Release and ASan+UBSan stages run them.
#if defined(__SANITIZE_THREAD__)
#define SKIP_NUMERICS_UNDER_TSAN() QSKIP("numerics of 1500-unit chains, no thread of ours: too slow under ThreadSanitizer")
#else
#define SKIP_NUMERICS_UNDER_TSAN() static_cast<void>(0)
#endif

class TestChains : public QObject {
    Q_OBJECT

private slots:
    void cleanup() { setEngineThreads(0); }

    // ---- clamp masks ---------------------------------------------------------------------
    void presetsAreExactPixelSets_data();
    void presetsAreExactPixelSets();
    void randomMaskCountAndSeed();
    void maskFromGreyBuffer();
    void maskBadInput();

    // ---- chain set ------------------------------------------------------------------------
    void initialStates();
    void clampedPixelsNeverChange_data();
    void clampedPixelsNeverChange();
    void clampedChainSamplesExactConditional();
    void sameFramesOnOneAndTwoThreads_data();
    void sameFramesOnOneAndTwoThreads();
    void modelSwitchBetweenSteps();
    void modelSwitchRefusesOtherArchitecture();
    void frameContents();
    void badInputIsRefused();
    void gsnSparseInputMatchesDense();
    void gsnSparseInputKeepsStatistics();
    void packedProductMatchesReference();
    void gsnPackedProductsMatchBlas();
    void gsnStepKeepsItsBuffers();
    void gsnHalfWeightsStayCloseToFloat();
    void gsnHalfWeightsKeepParzenAndClamps();

    // ---- runner ---------------------------------------------------------------------------
    void runnerStartPauseStepReset();
    void runnerRate();
    void runnerSwitchesModelWhileRunning();
    void runnerDestroyWhileRunningJoins();
    void runnerReportsErrors();
    void workerNiceReachesComputeThreads(); // last: it lowers this process's compute threads for good
};

void TestChains::presetsAreExactPixelSets_data()
{
    QTest::addColumn<QString>("preset");
    QTest::addColumn<int>("w");
    QTest::addColumn<int>("h");
    QTest::newRow("left 28x28") << "left" << 28 << 28;
    QTest::newRow("right 28x28") << "right" << 28 << 28;
    QTest::newRow("top 28x28") << "top" << 28 << 28;
    QTest::newRow("bottom 28x28") << "bottom" << 28 << 28;
    QTest::newRow("centre 28x28") << "centre" << 28 << 28;
    QTest::newRow("border 28x28") << "border" << 28 << 28;
    QTest::newRow("left 25x25 odd") << "left" << 25 << 25;
    QTest::newRow("right 25x25 odd") << "right" << 25 << 25;
    QTest::newRow("centre 48x30") << "centre" << 48 << 30;
    QTest::newRow("border 5x3") << "border" << 5 << 3;
}

void TestChains::presetsAreExactPixelSets()
{
    QFETCH(QString, preset);
    QFETCH(int, w);
    QFETCH(int, h);
    MaskPreset p;
    QVERIFY(parseMaskPreset(preset.toStdString(), &p));
    QCOMPARE(QString::fromStdString(maskPresetName(p)), preset);
    MaskPresetOptions opt;
    opt.borderThickness = 4;
    const ClampMask m = makeMask(p, w, h, opt);
    QCOMPARE(m.width, w);
    QCOMPARE(m.height, h);
    // The documented definition of each preset, pixel by pixel.
    const int side = std::min(w, h) / 2;
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            bool expected = false;
            if (preset == "left") expected = x < w / 2;
            if (preset == "right") expected = x >= w / 2;
            if (preset == "top") expected = y < h / 2;
            if (preset == "bottom") expected = y >= h / 2;
            if (preset == "centre")
                expected = x >= (w - side) / 2 && x < (w - side) / 2 + side && y >= (h - side) / 2 &&
                           y < (h - side) / 2 + side;
            if (preset == "border") expected = x < 4 || y < 4 || x >= w - 4 || y >= h - 4;
            QVERIFY2(m.isClamped(x, y) == expected, qPrintable(QString("pixel %1,%2").arg(x).arg(y)));
        }
    }
    if (preset == "left" && w == 28)
        QCOMPARE(m.clampedCount(), 14 * 28);
    if (preset == "centre" && w == 28)
        QCOMPARE(m.clampedCount(), 14 * 14);
    // Left/right and top/bottom are exact complements.
    if (preset == "left")
        QCOMPARE(makeMask(MaskPreset::RightHalf, w, h), m.inverted());
    if (preset == "top")
        QCOMPARE(makeMask(MaskPreset::BottomHalf, w, h), m.inverted());
}

void TestChains::randomMaskCountAndSeed()
{
    for (double f : {0.0, 0.1, 0.37, 0.5, 1.0}) {
        MaskPresetOptions opt;
        opt.fraction = f;
        opt.seed = 11;
        const ClampMask a = makeMask(MaskPreset::Random, 28, 28, opt);
        QCOMPARE(a.clampedCount(), static_cast<int>(std::lround(f * 784)));
        QCOMPARE(makeMask(MaskPreset::Random, 28, 28, opt), a); // same seed, same pixels
        opt.seed = 12;
        if (f > 0.0 && f < 1.0)
            QVERIFY(makeMask(MaskPreset::Random, 28, 28, opt) != a);
    }
    // Uniform choice: over many seeds every pixel is clamped about fraction of the time.
    std::vector<int> hits(100, 0);
    const int seeds = 2000;
    for (int s = 0; s < seeds; ++s) {
        MaskPresetOptions opt;
        opt.fraction = 0.3;
        opt.seed = static_cast<std::uint64_t>(s);
        const ClampMask m = makeMask(MaskPreset::Random, 10, 10, opt);
        for (int i = 0; i < 100; ++i)
            hits[static_cast<std::size_t>(i)] += m.clamped[static_cast<std::size_t>(i)];
    }
    // Binomial(2000, 0.3): sd = 20.5; 5 sd over 100 pixels fails with probability ~ 6e-5 for a fair chooser.
    for (int i = 0; i < 100; ++i)
        QVERIFY2(std::abs(hits[static_cast<std::size_t>(i)] - 600) < 103, qPrintable(QString::number(hits[i])));
}

void TestChains::maskFromGreyBuffer()
{
    // 3x2 image in a buffer with stride 5; padding bytes are non-zero and must be ignored.
    const std::uint8_t buf[] = {0, 1, 255, 9, 9, 128, 0, 0, 9, 9};
    const ClampMask m = maskFromGrey(buf, 3, 2, 5);
    QCOMPARE(m.clamped, (std::vector<std::uint8_t>{0, 1, 1, 1, 0, 0}));
    QCOMPARE(maskToGrey(m), (std::vector<std::uint8_t>{0, 255, 255, 255, 0, 0}));
    const auto grey = maskToGrey(m);
    QCOMPARE(maskFromGrey(grey.data(), 3, 2, 3), m);
    QCOMPARE(m.clampedIndices(), (std::vector<int>{1, 2, 3}));
}

void TestChains::maskBadInput()
{
    const std::uint8_t buf[4] = {};
    QVERIFY_THROWS_EXCEPTION(Error, maskFromGrey(nullptr, 2, 2, 2));
    QVERIFY_THROWS_EXCEPTION(Error, maskFromGrey(buf, 2, 2, 1));
    QVERIFY_THROWS_EXCEPTION(Error, maskFromGrey(buf, 0, 2, 2));
    QVERIFY_THROWS_EXCEPTION(Error, makeMask(MaskPreset::LeftHalf, -1, 28));
    MaskPresetOptions opt;
    opt.fraction = 1.5;
    QVERIFY_THROWS_EXCEPTION(Error, makeMask(MaskPreset::Random, 28, 28, opt));
    opt.borderThickness = 0;
    QVERIFY_THROWS_EXCEPTION(Error, makeMask(MaskPreset::Border, 28, 28, opt));
    MaskPreset p;
    QVERIFY(!parseMaskPreset("diagonal", &p));
}

void TestChains::initialStates()
{
    const int n = 20;
    const std::vector<float> img = testImage(n, 3);
    const Matrix x = initialState({ChainInit::noise(), ChainInit::zeros(), ChainInit::fromImage(img), ChainInit::noise()},
                                  n, 5);
    QCOMPARE(x.rows(), 4);
    QVERIFY(x.row(0).minCoeff() > 0.0f && x.row(0).maxCoeff() < 1.0f);
    QVERIFY(x.row(1).isZero());
    for (int i = 0; i < n; ++i)
        QCOMPARE(x(2, i), img[static_cast<std::size_t>(i)]);
    QVERIFY(x.row(0) != x.row(3)); // each chain its own stream
    // Chain c's noise depends on (seed, c) only, not on how many chains there are.
    const Matrix y = initialState(noiseInits(7), n, 5);
    QCOMPARE(Matrix(y.row(3)), Matrix(x.row(3)));
    QVERIFY(initialState(noiseInits(1), n, 6).row(0) != y.row(0));
    // Mean of uniform noise is about 1/2 (7 * 20 values: sd 0.024).
    QVERIFY(std::abs(y.mean() - 0.5f) < 0.1f);
}

void TestChains::clampedPixelsNeverChange_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("preset");
    QTest::addColumn<QString>("init");
    QTest::newRow("toy right half, noise start") << "toy" << "right" << "noise";
    QTest::newRow("toy random 30%, zero start") << "toy" << "random" << "zeros";
    QTest::newRow("rbm right half, noise start") << "rbm" << "right" << "noise";
    QTest::newRow("rbm left half, image start") << "rbm" << "left" << "image";
    QTest::newRow("rbm border, noise start") << "rbm" << "border" << "noise";
    QTest::newRow("rbm random 30%, zero start") << "rbm" << "random" << "zeros";
    QTest::newRow("dae right half, noise start") << "dae" << "right" << "noise";
    QTest::newRow("dae centre, image start") << "dae" << "centre" << "image";
    QTest::newRow("gsn2 right half, noise start") << "gsn2" << "right" << "noise";
    QTest::newRow("gsn2 random 30%, image start") << "gsn2" << "random" << "image";
    QTest::newRow("gsn3 bottom half, zero start") << "gsn3" << "bottom" << "zeros";
}

void TestChains::clampedPixelsNeverChange()
{
    QFETCH(QString, model);
    QFETCH(QString, preset);
    QFETCH(QString, init);
    const int w = 8, h = 6, n = w * h, chains = 9;
    ChainSet set(makeModel(model, w, h), w, h);
    set.setRecordSamples(true);
    std::vector<ChainInit> inits;
    for (int c = 0; c < chains; ++c)
        inits.push_back(init == "noise" ? ChainInit::noise()
                        : init == "zeros" ? ChainInit::zeros()
                                          : ChainInit::fromImage(testImage(n, 100 + c)));
    set.reset(inits, 42);
    MaskPreset p;
    QVERIFY(parseMaskPreset(preset.toStdString(), &p));
    MaskPresetOptions opt;
    opt.fraction = 0.3;
    opt.borderThickness = 1;
    // Every chain but chain 4 is clamped; each to its own values and (for odd chains) the inverted mask.
    std::vector<ClampMask> masks(chains);
    std::vector<std::vector<float>> values(chains);
    for (int c = 0; c < chains; ++c) {
        if (c == 4)
            continue;
        opt.seed = static_cast<std::uint64_t>(c);
        masks[c] = c % 2 ? makeMask(p, w, h, opt).inverted() : makeMask(p, w, h, opt);
        values[c] = testImage(n, static_cast<std::uint64_t>(c));
        set.setClamp(c, masks[c], values[c]);
    }
    QVERIFY(!set.isClamped(4) && set.isClamped(3));

    std::vector<int> freeChanges(chains, 0);
    Matrix previous = set.state().x;
    for (int s = 0; s <= 40; ++s) {
        if (s > 0)
            set.step();
        const FramePtr f = set.frame();
        QCOMPARE(f->step, static_cast<std::int64_t>(s));
        for (int c = 0; c < chains; ++c) {
            for (int i = 0; i < n; ++i) {
                if (c != 4 && masks[c].clamped[static_cast<std::size_t>(i)]) {
                    const float v = values[c][static_cast<std::size_t>(i)];
                    // Exact equality: displayed and fed-back state, at every step.
                    if (f->cells(c, i) != v || f->samples(c, i) != v || set.state().x(c, i) != v)
                        QFAIL(qPrintable(QString("step %1 chain %2 pixel %3: mean %4 state %5, clamped %6")
                                             .arg(s).arg(c).arg(i).arg(f->cells(c, i)).arg(f->samples(c, i)).arg(v)));
                } else if (s > 0 && set.state().x(c, i) != previous(c, i)) {
                    ++freeChanges[c];
                }
            }
        }
        previous = set.state().x;
    }
    // The free pixels do move (the chain is not frozen), so the check above is not vacuous.
    for (int c = 0; c < chains; ++c)
        QVERIFY2(freeChanges[c] > 10, qPrintable(QString("chain %1 free changes %2").arg(c).arg(freeChanges[c])));
}

void TestChains::clampedChainSamplesExactConditional()
{
    // SPEC 3 / Proposition 1: clamping after every step makes the chain sample P(x_free | x_clamped).
    // An RBM with 8 visible units is small enough to enumerate: clamp 3 pixels, histogram the other 5
    // over 100 chains x 2000 steps and compare with the exact conditional.
    const int w = 4, h = 2, n = 8;
    Rbm::Options o;
    o.visible = n;
    o.hidden = 4;
    auto rbm = std::make_shared<Rbm>(o, 2024);
    const std::vector<double> logp = rbm->exactLogProbabilities();
    const std::vector<int> clampedPixels = {0, 3, 6};
    const std::vector<float> clampedValues = {1, 0, 1};
    ClampMask mask(w, h);
    std::vector<float> values(n, 0.0f);
    for (std::size_t k = 0; k < clampedPixels.size(); ++k) {
        mask.clamped[static_cast<std::size_t>(clampedPixels[k])] = 1;
        values[static_cast<std::size_t>(clampedPixels[k])] = clampedValues[k];
    }
    // Exact conditional over the 256 states consistent with the clamp.
    std::map<std::uint64_t, double> exact;
    double z = 0;
    for (std::uint64_t s = 0; s < 256; ++s) {
        bool ok = true;
        for (std::size_t k = 0; k < clampedPixels.size(); ++k)
            ok = ok && ((s >> clampedPixels[k]) & 1u) == static_cast<std::uint64_t>(clampedValues[k]);
        if (ok) {
            exact[s] = std::exp(logp[s]);
            z += exact[s];
        }
    }
    QCOMPARE(exact.size(), std::size_t{32});
    for (auto& [s, p] : exact)
        p /= z;

    const int chains = 100, burn = 50, steps = 2000;
    ChainSet set(rbm, w, h);
    set.reset(noiseInits(chains), 77);
    set.setClampAll(mask, values);
    std::map<std::uint64_t, double> counts;
    for (int t = 0; t < burn + steps; ++t) {
        set.step();
        if (t < burn)
            continue;
        for (int c = 0; c < chains; ++c) {
            const std::uint64_t s = Rbm::indexOf(set.state().x.row(c).data(), n);
            QVERIFY2(exact.count(s), "the chain left the clamped slice");
            counts[s] += 1.0;
        }
    }
    double kl = 0;
    const double total = double(chains) * steps;
    for (const auto& [s, p] : exact) {
        const double q = (counts[s] + 0.5) / (total + 16.0); // add-1/2 smoothing: no log(0)
        kl += p * std::log(p / q);
    }
    // 32 states, 200000 correlated samples: the sampling KL is ~ 31 / (2 N_eff) ~ 1e-4 for N_eff ~ 1e5;
    // a chain that ignored the clamp on the fed-back state (sampling the joint instead) is far off.
    qInfo("KL(exact conditional || clamped chain histogram) = %.5f", kl);
    QVERIFY2(kl < 0.005, qPrintable(QString::number(kl)));
}

void TestChains::sameFramesOnOneAndTwoThreads_data()
{
    QTest::addColumn<QString>("model");
    QTest::newRow("toy") << "toy";
    QTest::newRow("rbm") << "rbm";
    QTest::newRow("dae") << "dae";
    QTest::newRow("gsn2") << "gsn2";
    QTest::newRow("gsn3") << "gsn3";
}

void TestChains::sameFramesOnOneAndTwoThreads()
{
    QFETCH(QString, model);
    const int w = 7, h = 5, chains = 37;
    auto run = [&](int threads) {
        setEngineThreads(threads);
        ChainSet set(makeModel(model, w, h), w, h);
        set.setRecordSamples(true);
        set.setRecordTop(true);
        set.reset(noiseInits(chains), 1234);
        set.setClamp(5, makeMask(MaskPreset::LeftHalf, w, h), testImage(w * h, 5));
        std::vector<FramePtr> frames{set.frame()};
        for (int s = 0; s < 25; ++s) {
            set.step();
            frames.push_back(set.frame());
        }
        return frames;
    };
    const auto one = run(1);
    const auto two = run(2);
    QCOMPARE(engineThreads(), 2);
    QVERIFY(sameFrames(one, two));
    QVERIFY(one.back()->top.rows() == (model == "dae" ? 0 : chains)); // a DAE keeps no hidden state between steps
    // ... and a different seed gives different frames (the comparison can fail).
    setEngineThreads(2);
    ChainSet other(makeModel(model, w, h), w, h);
    other.reset(noiseInits(chains), 1235);
    other.step();
    QVERIFY(other.frame()->cells != one[1]->cells);
}

void TestChains::modelSwitchBetweenSteps()
{
    // Model A pushes every pixel to ~0, model B to ~1 (bias -12 / +12): the first frame after a switch
    // shows B's means; the step counter and hidden state carry on (no restart).
    const int w = 4, h = 4;
    auto a = std::make_shared<ToyModel>(w * h, 0.0f, -12.0f);
    auto b = std::make_shared<ToyModel>(w * h, 0.0f, 12.0f);
    ChainSet set(a, w, h);
    set.setRecordTop(true);
    set.reset(noiseInits(3), 9);
    for (int s = 0; s < 5; ++s)
        set.step();
    QVERIFY(set.frame()->cells.maxCoeff() < 1e-4f);
    QCOMPARE(set.modelGeneration(), std::uint64_t{0});
    const Matrix hiddenBefore = set.stateAs<ChainState>().h[0];

    // Install B from another thread, between steps.
    std::thread other([&] { set.setModel(b); });
    other.join();
    QCOMPARE(set.modelGeneration(), std::uint64_t{1});
    QCOMPARE(set.stateAs<ChainState>().h[0], hiddenBefore); // state untouched until the next step
    set.step();
    const FramePtr f = set.frame();
    QCOMPARE(f->step, std::int64_t{6});
    QCOMPARE(f->modelGeneration, std::uint64_t{1});
    // B's mean for every pixel: sigmoid(12 + 0.5 * h_prev) with h_prev = 0 (all pixels were 0 under A).
    QVERIFY(hiddenBefore.isZero());
    QVERIFY(f->cells.minCoeff() > 0.9999f);
    QVERIFY(f->top.minCoeff() > 0.9f);
    set.setModel(a);
    set.step();
    QVERIFY(set.frame()->cells.maxCoeff() < 1e-4f);
    QCOMPARE(set.frame()->step, std::int64_t{7});
}

void TestChains::modelSwitchRefusesOtherArchitecture()
{
    ChainSet set(makeModel("rbm", 4, 4), 4, 4);
    set.reset(noiseInits(2), 1);
    Rbm::Options o;
    o.visible = 16;
    o.hidden = 17;
    QVERIFY_THROWS_EXCEPTION(Error, set.setModel(std::make_shared<Rbm>(o, 1)));
    QVERIFY_THROWS_EXCEPTION(Error, set.setModel(makeModel("toy", 4, 4)));
    QVERIFY_THROWS_EXCEPTION(Error, set.setModel(nullptr));
    QCOMPARE(set.model()->kind(), std::string("rbm"));
    // replaceModel changes architecture and restarts from the same start images.
    const Matrix start = set.frame()->cells;
    set.step();
    set.replaceModel(std::make_shared<Rbm>(o, 1), 4, 4);
    QCOMPARE(set.steps(), std::uint64_t{0});
    QCOMPARE(set.frame()->cells, start);
    QCOMPARE(set.stateAs<ChainState>().h[0].cols(), 17);
}

void TestChains::frameContents()
{
    const int w = 5, h = 3;
    ChainSet set(makeModel("toy", w, h), w, h);
    const std::vector<float> img = testImage(w * h, 1);
    set.reset({ChainInit::fromImage(img), ChainInit::zeros()}, 3);
    FramePtr f = set.frame();
    QVERIFY(f->valid());
    QCOMPARE(f->chainCount(), 2);
    QCOMPARE(f->layout.width, w);
    QCOMPARE(f->layout.height, h);
    QCOMPARE(f->step, std::int64_t{0});
    QCOMPARE(f->seed, std::uint64_t{3});
    QCOMPARE(f->cells(0, 4), img[4]); // the start frame shows the start images
    QVERIFY(f->samples.size() == 0 && f->top.size() == 0); // not requested
    set.setRecordSamples(true);
    set.setRecordTop(true);
    set.step();
    f = set.frame();
    QCOMPARE(f->samples.rows(), 2);
    QCOMPARE(f->top.cols(), 1);
    for (int i = 0; i < w * h; ++i)
        QVERIFY(f->samples(0, i) == 0.0f || f->samples(0, i) == 1.0f);
    // Restart: the same start frame and the same first step.
    const Matrix afterOne = f->cells;
    set.restart();
    QCOMPARE(set.frame()->cells(0, 4), img[4]);
    set.step();
    QCOMPARE(set.frame()->cells, afterOne);
}

void TestChains::badInputIsRefused()
{
    QVERIFY_THROWS_EXCEPTION(Error, ChainSet(makeModel("toy", 4, 4), 5, 4));
    QVERIFY_THROWS_EXCEPTION(Error, ChainSet(nullptr, 4, 4));
    ChainSet set(makeModel("toy", 4, 4), 4, 4);
    QVERIFY_THROWS_EXCEPTION(Error, set.step()); // no chains yet
    QVERIFY_THROWS_EXCEPTION(Error, set.reset(std::vector<ChainInit>{}, 1));
    QVERIFY_THROWS_EXCEPTION(Error, set.reset({ChainInit::fromImage(std::vector<float>(15, 0.5f))}, 1));
    QVERIFY_THROWS_EXCEPTION(Error, set.reset({ChainInit::fromImage(std::vector<float>(16, 1.5f))}, 1));
    set.reset(noiseInits(2), 1);
    QVERIFY_THROWS_EXCEPTION(Error, set.setClamp(2, makeMask(MaskPreset::LeftHalf, 4, 4), std::vector<float>(16, 0.f)));
    QVERIFY_THROWS_EXCEPTION(Error, set.setClamp(0, makeMask(MaskPreset::LeftHalf, 4, 5), std::vector<float>(16, 0.f)));
    QVERIFY_THROWS_EXCEPTION(Error, set.setClamp(0, makeMask(MaskPreset::LeftHalf, 4, 4), std::vector<float>(15, 0.f)));
    QVERIFY_THROWS_EXCEPTION(Error, set.setClamp(0, makeMask(MaskPreset::LeftHalf, 4, 4), std::vector<float>(16, NAN)));
    // A fully clamped and a fully free mask are both fine.
    set.setClamp(0, makeMask(MaskPreset::LeftHalf, 4, 4).inverted().inverted(), std::vector<float>(16, 0.25f));
    ClampMask all(4, 4);
    set.setClamp(1, all.inverted(), std::vector<float>(16, 0.75f));
    set.step();
    QVERIFY(set.state().x.row(1).isConstant(0.75f));
    set.setClamp(1, all, std::vector<float>(16, 0.75f));
    QVERIFY(!set.isClamped(1));
}

namespace {

// A binary [rows, 784] state (pixel on with probability 0.3) or grey levels in (0, 1).
Matrix startStates(int rows, bool binary, std::uint64_t seed)
{
    Matrix x(rows, 784);
    Philox rng(seed, 5, 0);
    for (Eigen::Index i = 0; i < x.size(); ++i) {
        const float u = rng.uniform();
        x.data()[i] = binary ? (u < 0.3f ? 1.0f : 0.0f) : u;
    }
    return x;
}

// GSN-2 784-300-200: 300 hidden units = whole panels of the sparse product plus a partial one.
std::pair<GsnK, GsnK> sparseAndDense()
{
    const nlohmann::json config = {{"kind", "gsn2"}, {"sizes", {784, 300, 200}}};
    GsnK sparse(config, 21);
    for (auto& p : sparse.parameters()) // biases away from 0, so the chain's means are not all near 0.5
        if (p.name[0] == 'b')
            *p.value = Matrix::Constant(p.value->rows(), p.value->cols(), p.name == "b0" ? -0.7f : 0.2f);
    sparse.setChainInput(GsnK::ChainInput::Sparse); // row sums at any chain count (Auto stops at 32)
    GsnK dense = sparse;
    dense.setChainInput(GsnK::ChainInput::Dense);
    return {std::move(sparse), std::move(dense)};
}

float maxAbsDiff(const Matrix& a, const Matrix& b)
{
    return (a - b).cwiseAbs().maxCoeff();
}

} // namespace

// x W0 as a sum of W0's active rows (binary x, any number of chains) against the BLAS product: one
// step from the same state and seed gives the same h1 and displayed means up to float rounding
// (the two sum in a different order). Non-binary states fall back: bit-identical to the dense path.
void TestChains::gsnSparseInputMatchesDense()
{
    SKIP_NUMERICS_UNDER_TSAN();
    auto [sparse, dense] = sparseAndDense();
    for (int chains : {1, 3, 5, 100}) {
        const Matrix x0 = startStates(chains, true, static_cast<std::uint64_t>(chains));
        ChainState a = sparse.startChains(x0), b = dense.startChains(x0);
        sparse.stepChains(a, 11);
        dense.stepChains(b, 11);
        const float dh = maxAbsDiff(a.h[0], b.h[0]), dm = maxAbsDiff(a.mean, b.mean);
        qInfo("%d chains, binary x: max |h1 sparse - dense| = %.2g, max |mean sparse - dense| = %.2g", chains, dh, dm);
        QVERIFY2(dh < 1e-5f, qPrintable(QString::number(dh)));
        QVERIFY2(dm < 1e-5f, qPrintable(QString::number(dm)));
        if (chains <= 4) { // the dense model's path for up to 4 chains is the per-row loop: same sums, same order
            QVERIFY(a.h[0] == b.h[0]);
            QVERIFY(a.mean == b.mean);
        }
        // The comparison can fail: h1 from a state with one more pixel on differs far beyond that.
        Matrix x1 = x0;
        const Eigen::Index off = std::find(x1.row(0).data(), x1.row(0).data() + 784, 0.0f) - x1.row(0).data();
        x1(0, off) = 1.0f;
        ChainState c = sparse.startChains(x1);
        sparse.stepChains(c, 11);
        QVERIFY(maxAbsDiff(c.h[0], b.h[0]) > 1e-3f);
    }
    // Auto (the default): row sums up to GsnK::kSparseChains chains, the BLAS product above.
    GsnK automatic = sparse;
    automatic.setChainInput(GsnK::ChainInput::Auto);
    for (int chains : {GsnK::kSparseChains, GsnK::kSparseChains + 1}) {
        const Matrix x0 = startStates(chains, true, 77);
        ChainState a = automatic.startChains(x0);
        ChainState expected = (chains <= GsnK::kSparseChains ? sparse : dense).startChains(x0);
        automatic.stepChains(a, 11);
        (chains <= GsnK::kSparseChains ? sparse : dense).stepChains(expected, 11);
        QVERIFY(a.h[0] == expected.h[0]);
        QVERIFY(a.mean == expected.mean);
    }
    for (int chains : {3, 10}) { // grey levels: not binary, so both take the dense (or weighted, <= 4) path
        const Matrix x0 = startStates(chains, false, 3);
        ChainState a = sparse.startChains(x0), b = dense.startChains(x0);
        sparse.stepChains(a, 11);
        dense.stepChains(b, 11);
        QVERIFY(a.h[0] == b.h[0]);
        QVERIFY(a.mean == b.mean);
        QVERIFY(a.x == b.x);
    }
}

// The chain's statistics do not change: 100 chains, 40 steps from the same binary states and seed, sparse
// and dense. Once a Bernoulli draw falls within rounding of its probability the two runs' paths part, so
// they are compared as samples: the displayed mean of every pixel averaged over chains and steps 11-40
// must agree within 4 standard errors (over chains) plus 1e-4, and the overall mean within 1e-3.
// Two ways of computing the same chain (a and b) as samples: 100 chains, 40 steps from the same binary
// states and seed; see gsnSparseInputKeepsStatistics.
static void expectSameStatistics(const GsnK& first, const GsnK& second, const char* what)
{
    const int chains = 100, steps = 40, burn = 10;
    const Matrix x0 = startStates(chains, true, 8);
    auto run = [&](const GsnK& model, Matrix& perChain) {
        ChainState s = model.startChains(x0);
        perChain = Matrix::Zero(chains, 784);
        for (int t = 0; t < steps; ++t) {
            model.stepChains(s, 4);
            if (t >= burn)
                perChain += s.mean;
        }
        perChain /= static_cast<float>(steps - burn);
        return s.x;
    };
    Matrix ma, mb;
    const Matrix xa = run(first, ma);
    const Matrix xb = run(second, mb);
    const Eigen::ArrayXXd a = ma.cast<double>().array(), b = mb.cast<double>().array();
    const Eigen::ArrayXd meanA = a.colwise().mean().transpose(), meanB = b.colwise().mean().transpose();
    const auto se = [&](const Eigen::ArrayXXd& v, const Eigen::ArrayXd& m) {
        return ((v.rowwise() - m.transpose()).square().colwise().sum().transpose() / (chains - 1) / chains).sqrt();
    };
    const Eigen::ArrayXd bound = 4.0 * (se(a, meanA).square() + se(b, meanB).square()).sqrt() + 1e-4;
    const Eigen::ArrayXd diff = (meanA - meanB).abs();
    Eigen::Index worst = 0;
    (diff / bound).maxCoeff(&worst);
    qInfo("%s over %d chains x %d steps: pixels of x that differ at the end %lld of %lld; overall mean "
          "%.5f vs %.5f; worst pixel %lld: |diff| %.2g, bound %.2g",
          what, chains, steps - burn, static_cast<long long>((xa.array() != xb.array()).count()),
          static_cast<long long>(xa.size()), meanA.mean(), meanB.mean(), static_cast<long long>(worst), diff[worst],
          bound[worst]);
    QVERIFY((diff <= bound).all());
    QVERIFY(std::abs(meanA.mean() - meanB.mean()) < 1e-3);
    QVERIFY(meanA.mean() > 0.05 && meanA.mean() < 0.95); // a chain that is not stuck at 0 or 1
}

void TestChains::gsnSparseInputKeepsStatistics()
{
    SKIP_NUMERICS_UNDER_TSAN();
    auto [sparse, dense] = sparseAndDense();
    expectSameStatistics(sparse, dense, "sparse vs dense");
}

// modelmath::packedProduct (our AVX-512 kernel on weights packed once) against a double-precision
// reference, on shapes with partial panels (rows not a multiple of 8, columns not of 48), plain and
// transposed B, writing and accumulating.
void TestChains::packedProductMatchesReference()
{
    if (!gemm::kAvailable)
        QSKIP("the packed kernel needs AVX-512 (chains use OpenBLAS here)");
    struct Shape {
        Eigen::Index rows, depth, cols;
    };
    for (const Shape shape : {Shape{1, 1, 1}, Shape{8, 48, 48}, Shape{13, 37, 101}, Shape{100, 300, 200}, Shape{9, 784, 47}}) {
        for (const bool transposeB : {false, true}) {
            for (const bool accumulate : {false, true}) {
                Philox rng(shape.rows * 1000 + shape.cols, transposeB, accumulate);
                auto randomMatrix = [&](Eigen::Index r, Eigen::Index c) {
                    Matrix m(r, c);
                    for (Eigen::Index i = 0; i < m.size(); ++i)
                        m.data()[i] = 2.0f * rng.uniform() - 1.0f;
                    return m;
                };
                const Matrix A = randomMatrix(shape.rows, shape.depth);
                const Matrix B = transposeB ? randomMatrix(shape.cols, shape.depth) : randomMatrix(shape.depth, shape.cols);
                const Matrix C0 = randomMatrix(shape.rows, shape.cols);
                const modelmath::PackedMatrix packed = modelmath::packForProduct(B, transposeB);
                QCOMPARE(packed.depth, shape.depth);
                QCOMPARE(packed.cols, shape.cols);
                Matrix C = accumulate ? C0 : Matrix();
                modelmath::packedProduct(C, A, packed, accumulate);
                const Eigen::MatrixXd opB = transposeB ? B.cast<double>().transpose().eval() : B.cast<double>();
                Eigen::MatrixXd expected = A.cast<double>() * opB;
                if (accumulate)
                    expected += C0.cast<double>();
                QCOMPARE(C.rows(), shape.rows);
                QCOMPARE(C.cols(), shape.cols);
                // float rounding of a depth-long sum of products in [-1, 1]
                const double tolerance = 1e-6 * static_cast<double>(shape.depth + 1);
                const double error = (C.cast<double>() - expected).cwiseAbs().maxCoeff();
                QVERIFY2(error <= tolerance, qPrintable(QString("%1 x %2 x %3, transposed %4, accumulate %5: error %6")
                                                            .arg(shape.rows).arg(shape.depth).arg(shape.cols)
                                                            .arg(transposeB).arg(accumulate).arg(error)));
            }
        }
    }
    // The comparison can fail: one wrong entry of B is seen.
    const Matrix A = Matrix::Ones(9, 50), B = Matrix::Ones(50, 49);
    modelmath::PackedMatrix packed = modelmath::packForProduct(B, false);
    packed.panels[48 * 50 + 5 * 48] = 2.0f; // column 48 (second panel), depth 5
    Matrix C;
    modelmath::packedProduct(C, A, packed, false);
    QCOMPARE(C(8, 48), 51.0f);
    QCOMPARE(C(8, 47), 50.0f);
}

// Chains with the packed weight products (the default from GsnK::kPackedChains chains up, AVX-512)
// against OpenBLAS's products: one step from the same state agrees to float rounding, and the chain's
// statistics are unchanged.
void TestChains::gsnPackedProductsMatchBlas()
{
    SKIP_NUMERICS_UNDER_TSAN();
    if (!gemm::kAvailable)
        QSKIP("the packed kernel needs AVX-512 (chains use OpenBLAS here)");
    auto [packed, blas] = sparseAndDense(); // dense: x W0 as a product too
    packed.setChainInput(GsnK::ChainInput::Dense);
    blas.setPackedProducts(false);
    for (int chains : {GsnK::kPackedChains, 33, 100}) {
        const Matrix x0 = startStates(chains, true, static_cast<std::uint64_t>(chains) + 40);
        ChainState a = packed.startChains(x0), b = blas.startChains(x0);
        packed.stepChains(a, 5);
        blas.stepChains(b, 5);
        const float dh1 = maxAbsDiff(a.h[0], b.h[0]), dh2 = maxAbsDiff(a.h[1], b.h[1]), dm = maxAbsDiff(a.mean, b.mean);
        qInfo("%d chains: max |packed - OpenBLAS|: h1 %.2g, h2 %.2g, mean %.2g", chains, dh1, dh2, dm);
        QVERIFY2(dh1 < 1e-5f && dh2 < 1e-5f && dm < 1e-5f, qPrintable(QString("%1 %2 %3").arg(dh1).arg(dh2).arg(dm)));
        QVERIFY(dh1 > 0.0f || dh2 > 0.0f || dm > 0.0f || chains < GsnK::kPackedChains); // the two paths really differ
    }
    // Below kPackedChains both take OpenBLAS: identical.
    const Matrix x0 = startStates(GsnK::kPackedChains - 1, true, 3);
    ChainState a = packed.startChains(x0), b = blas.startChains(x0);
    packed.stepChains(a, 5);
    blas.stepChains(b, 5);
    QVERIFY(a.h[0] == b.h[0] && a.h[1] == b.h[1] && a.mean == b.mean);
    expectSameStatistics(packed, blas, "packed vs OpenBLAS");
}

// A step allocates nothing once the state's buffers have their size: the matrices the state holds
// (layers, means, scratch) are the same buffers, trading places, step after step.
void TestChains::gsnStepKeepsItsBuffers()
{
    SKIP_NUMERICS_UNDER_TSAN();
    auto [sparse, dense] = sparseAndDense();
    for (const GsnK* model : {&sparse, &dense}) {
        ChainState s = model->startChains(startStates(60, true, 2));
        auto buffers = [&] {
            std::vector<const float*> p{s.x.data(), s.mean.data()};
            for (const Matrix& h : s.h)
                p.push_back(h.data());
            for (const Matrix& m : s.scratch.matrices)
                p.push_back(m.data());
            for (const RowVector& r : s.scratch.rows)
                p.push_back(r.data());
            p.push_back(reinterpret_cast<const float*>(s.scratch.indices.data()));
            p.push_back(reinterpret_cast<const float*>(s.scratch.rng.data()));
            std::sort(p.begin(), p.end());
            return p;
        };
        model->stepChains(s, 1);
        model->stepChains(s, 1);
        const auto after2 = buffers();
        for (int t = 0; t < 5; ++t) {
            model->stepChains(s, 1);
            QVERIFY(buffers() == after2);
        }
        // A copy of the state (a snapshot) does not copy the scratch, and steps the same way.
        ChainState copy = s;
        QVERIFY(copy.scratch.matrices.empty());
        model->stepChains(copy, 1);
        model->stepChains(s, 1);
        QVERIFY(copy.mean == s.mean);
        QVERIFY(copy.x == s.x);
    }
}

// Half-precision sampling weights (F16C): one step from the same state and seed stays within 2e-3 of
// float32 in the displayed means; above kHalfChains chains, and after parameters(), float32 again.
void TestChains::gsnHalfWeightsStayCloseToFloat()
{
    SKIP_NUMERICS_UNDER_TSAN();
    auto [sparse, dense] = sparseAndDense();
    GsnK f = sparse;
    f.setChainInput(GsnK::ChainInput::Auto);
    GsnK h = f;
    if (!h.setHalfPrecisionSampling(true))
        QSKIP("no F16C on this CPU or in this build");
    QVERIFY(h.halfPrecisionSampling());
    for (bool binary : {true, false}) {
        for (int chains : {1, GsnK::kHalfChains, GsnK::kHalfChains + 1}) {
            const Matrix x0 = startStates(chains, binary, 40 + static_cast<std::uint64_t>(chains));
            ChainState a = f.startChains(x0), b = h.startChains(x0);
            for (int t = 0; t < 2; ++t) { // the second step also reads h2 (W1 transposed)
                f.stepChains(a, 5);
                h.stepChains(b, 5);
                b.x = a.x; // the same fed-back state: compare one step's arithmetic only
                b.h = a.h;
            }
            f.stepChains(a, 5);
            h.stepChains(b, 5);
            const float dm = maxAbsDiff(a.mean, b.mean), dh = maxAbsDiff(a.h[0], b.h[0]);
            qInfo("%s x, %d chains: max |mean half - float| = %.2g, max |h1 half - float| = %.2g", binary ? "binary" : "grey",
                  chains, dm, dh);
            if (chains > GsnK::kHalfChains) {
                QVERIFY(a.mean == b.mean); // float32 above kHalfChains chains
                continue;
            }
            QVERIFY2(dm < 2e-3f, qPrintable(QString::number(dm)));
            QVERIFY2(dh < 1e-2f, qPrintable(QString::number(dh)));
            QVERIFY(dm > 0.0f); // the half weights were used
        }
    }
    h.parameters(); // the weights may change now: the copies are dropped
    QVERIFY(!h.halfPrecisionSampling());
}

// The chain's statistics with half weights: the trained default GSN-2, one chain, 3000 displayed means
// after 100 steps of burn-in, float32 and half from the same start and seed (the paths part after a few
// steps); their Parzen log-likelihood (sigma 0.2) on 1000 MNIST test digits must agree within the float
// figure's standard error. Clamped pixels stay exactly the clamped values.
void TestChains::gsnHalfWeightsKeepParzenAndClamps()
{
    SKIP_NUMERICS_UNDER_TSAN();
    const Checkpoint ck = loadCheckpoint(std::string(GSN_SOURCE_DIR) + "/resources/default-gsn2.safetensors");
    const auto* trained = dynamic_cast<const GsnK*>(ck.model.get());
    QVERIFY(trained);
    Matrix test;
    try {
        test = loadDataset("mnist-test").pixels.topRows(1000);
    } catch (const Error& e) {
        QSKIP(e.what());
    }
    GsnK f = *trained, h = *trained;
    if (!h.setHalfPrecisionSampling(true))
        QSKIP("no F16C on this CPU or in this build");
    const int steps = 3000, burn = 100;
    auto means = [&](const GsnK& m) {
        ChainState s = m.startChains(test.topRows(1));
        Matrix out(steps, 784);
        for (int t = 0; t < burn + steps; ++t) {
            m.stepChains(s, 3);
            if (t >= burn)
                out.row(t - burn) = s.mean.row(0);
        }
        return out;
    };
    const Matrix mf = means(f), mh = means(h);
    QVERIFY(mf != mh);
    const MeanAndError lf = meanAndStandardError(parzenLogDensity(mf, test, {0.2})->col(0));
    const MeanAndError lh = meanAndStandardError(parzenLogDensity(mh, test, {0.2})->col(0));
    qInfo("Parzen (sigma 0.2, 1000 test digits) of 3000 chain means: float32 %.2f +- %.2f, half %.2f +- %.2f", lf.mean,
          lf.standardError, lh.mean, lh.standardError);
    QVERIFY2(std::abs(lf.mean - lh.mean) < lf.standardError, "half weights changed the chain's Parzen figure");

    // Clamping (write-back by the chain set) is exact with half weights too.
    auto model = std::make_shared<GsnK>(*trained);
    QVERIFY(model->setHalfPrecisionSampling(true));
    ChainSet set(model, 28, 28);
    set.reset(std::vector<ChainInit>(3, ChainInit::noise()), 9);
    const ClampMask mask = makeMask(MaskPreset::LeftHalf, 28, 28);
    std::vector<float> values(test.row(7).data(), test.row(7).data() + 784);
    set.setClampAll(mask, values);
    for (int t = 0; t < 30; ++t) {
        set.step();
        for (int c = 0; c < 3; ++c)
            for (int i = 0; i < 784; ++i)
                if (mask.clamped[static_cast<std::size_t>(i)])
                    QCOMPARE(set.state().x(c, i), values[static_cast<std::size_t>(i)]);
    }
}

void TestChains::runnerStartPauseStepReset()
{
    const int w = 6, h = 6;
    ChainSet set(makeModel("rbm", w, h), w, h);
    set.reset(noiseInits(4), 5);
    std::mutex mutex;
    std::vector<FramePtr> frames;
    std::atomic<int> errors{0};
    {
        ChainRunner runner(
            std::move(set),
            [&](FramePtr f) {
                std::lock_guard lock(mutex);
                frames.push_back(std::move(f));
            },
            [&](const std::string&) { ++errors; });
        auto count = [&] {
            std::lock_guard lock(mutex);
            return frames.size();
        };
        auto last = [&] {
            std::lock_guard lock(mutex);
            return frames.back();
        };
        QVERIFY(!runner.isRunning());
        QTest::qWait(50);
        QCOMPARE(count(), std::size_t{0}); // starts paused

        runner.stepOnce();
        QTRY_COMPARE(count(), std::size_t{1});
        QCOMPARE(last()->step, std::int64_t{1});

        runner.start();
        QVERIFY(runner.isRunning());
        QTRY_VERIFY(count() > 50);
        runner.pause();
        QVERIFY(!runner.isRunning());
        QTest::qWait(30);
        const std::size_t paused = count();
        QTest::qWait(100);
        QCOMPARE(count(), paused); // nothing while paused
        // Frames are consecutive steps, each exactly once, in order.
        {
            std::lock_guard lock(mutex);
            for (std::size_t i = 0; i < frames.size(); ++i)
                QCOMPARE(frames[i]->step, static_cast<std::int64_t>(i + 1));
        }
        const std::int64_t before = last()->step;
        runner.stepOnce();
        QTRY_COMPARE(count(), paused + 1);
        QCOMPARE(last()->step, before + 1);
        QCOMPARE(runner.steps(), static_cast<std::uint64_t>(before + 1));

        runner.reset();
        QCOMPARE(count(), paused + 2); // reset() blocks until the start frame is out
        QCOMPARE(last()->step, std::int64_t{0});
        QCOMPARE(runner.steps(), std::uint64_t{0});
        // Same start, same seed: the first step after a reset repeats the very first frame.
        runner.stepOnce();
        QTRY_COMPARE(count(), paused + 3);
        QCOMPARE(last()->step, std::int64_t{1});
        QCOMPARE(last()->cells, frames.front()->cells);

        runner.reset(noiseInits(7), 6);
        QCOMPARE(last()->chainCount(), 7);
        // withChains runs between steps, rethrows errors in the caller.
        runner.withChains([](ChainSet& c) { c.setRecordSamples(true); });
        QVERIFY(last()->samples.rows() == 7);
        QVERIFY_THROWS_EXCEPTION(Error, runner.withChains([](ChainSet& c) { c.setClamp(99, ClampMask(6, 6), {}); }));
        runner.start();
        QTRY_VERIFY(last()->step > 20);
    } // destructor while running: stops and joins
    QCOMPARE(errors.load(), 0);
}

void TestChains::runnerRate()
{
    ChainSet set(makeModel("toy", 4, 4), 4, 4);
    set.reset(noiseInits(2), 5);
    std::atomic<int> frames{0};
    ChainRunner runner(std::move(set), [&](FramePtr) { ++frames; });
    runner.setRate(40.0);
    QCOMPARE(runner.rate(), 40.0);
    runner.start();
    QTest::qWait(1000);
    runner.pause();
    const int paced = frames.load();
    // 40 steps/s for 1 s: allow a loaded 2-core CI machine some slack, but far from free-running.
    QVERIFY2(paced >= 10 && paced <= 60, qPrintable(QString::number(paced)));
    runner.setRate(0); // as fast as possible
    frames = 0;
    runner.start();
    QTRY_VERIFY(runner.measuredRate() > 200.0);
    runner.pause();
    QVERIFY2(frames.load() > 100, qPrintable(QString::number(frames.load())));
    // A very slow rate does not block a rate increase: the runner may be waiting up to 100 s for its
    // next step (whether one step comes first depends on when the last one was), and the new rate
    // must cut that wait short.
    frames = 0;
    runner.setRate(0.01);
    runner.start();
    QTest::qWait(200);
    QVERIFY(frames.load() <= 1);
    runner.setRate(100.0);
    QTRY_VERIFY(frames.load() > 5);
}

void TestChains::runnerSwitchesModelWhileRunning()
{
    // A trainer thread installs new snapshots while the runner steps as fast as it can.
    const int w = 4, h = 4;
    auto a = std::make_shared<ToyModel>(w * h, 0.0f, -12.0f);
    auto b = std::make_shared<ToyModel>(w * h, 0.0f, 12.0f);
    ChainSet set(a, w, h);
    set.reset(noiseInits(8), 3);
    std::mutex mutex;
    std::vector<FramePtr> frames;
    ChainRunner runner(std::move(set), [&](FramePtr f) {
        std::lock_guard lock(mutex);
        frames.push_back(std::move(f));
    });
    runner.start();
    std::thread trainer([&] {
        for (int i = 0; i < 200; ++i) {
            runner.setModel(i % 2 ? a : b);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        runner.setModel(b);
    });
    trainer.join();
    const auto generationNow = [&] {
        std::lock_guard lock(mutex);
        return frames.empty() ? 0 : frames.back()->modelGeneration;
    };
    QTRY_COMPARE(generationNow(), std::uint64_t{201});
    runner.pause();
    std::lock_guard lock(mutex);
    // Every frame was made by whichever snapshot its generation names: even = a (~0), odd = b (~1).
    QVERIFY(frames.size() > 10);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const FramePtr& f = frames[i];
        if (f->modelGeneration % 2 == 1)
            QVERIFY(f->cells.minCoeff() > 0.99f);
        else
            QVERIFY(f->cells.maxCoeff() < 0.01f);
        // No restart: steps keep counting up by one.
        QCOMPARE(f->step, static_cast<std::int64_t>(i + 1));
    }
}

void TestChains::runnerDestroyWhileRunningJoins()
{
    // Repeatedly create, run, and destroy at random moments (also with a command in flight from another thread).
    for (int round = 0; round < 20; ++round) {
        ChainSet set(makeModel(round % 2 ? "rbm" : "toy", 6, 6), 6, 6);
        set.reset(noiseInits(5), static_cast<std::uint64_t>(round));
        std::atomic<int> frames{0};
        auto runner = std::make_unique<ChainRunner>(std::move(set), [&](FramePtr) { ++frames; });
        runner->setRate(round % 3 ? 0.0 : 500.0);
        runner->start();
        std::thread commander([&] {
            for (int i = 0; i < 5; ++i) {
                try {
                    runner->stepOnce();
                    runner->withChains([](ChainSet& c) { c.setRecordTop(true); });
                } catch (const Error&) {
                }
            }
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(round % 5));
        commander.join();
        runner.reset(); // destructor: stop + join; must return promptly
        QVERIFY(frames.load() >= 1);
    }
}

void TestChains::runnerReportsErrors()
{
    // A model that produces a wrong-shaped state: the runner reports it and pauses, no crash.
    class Broken : public ToyModel {
    public:
        using ToyModel::ToyModel;
        void stepChains(ChainState& s, std::uint64_t) const override { s.mean.resize(1, 1); }
    };
    ChainSet set(std::make_shared<Broken>(16, 1.0f, 0.0f), 4, 4);
    set.reset(noiseInits(2), 1);
    std::mutex mutex;
    std::string message;
    ChainRunner runner(std::move(set), {}, [&](const std::string& m) {
        std::lock_guard lock(mutex);
        message = m;
    });
    runner.start();
    QTRY_VERIFY(!runner.isRunning());
    std::lock_guard lock(mutex);
    QVERIFY2(QString::fromStdString(message).contains("stepChains"), message.c_str());
}

QTEST_GUILESS_MAIN(TestChains)
// setWorkerNice (the studio's +5): TBB's workers and a ChainRunner's thread run at that nice, the thread
// that calls parallelFor keeps its own, and nothing is lowered without it (the command-line tools).
void TestChains::workerNiceReachesComputeThreads()
{
    const auto tid = [] { return static_cast<id_t>(::syscall(SYS_gettid)); };
    const auto niceOf = [](id_t t) { errno = 0; return ::getpriority(PRIO_PROCESS, t); };
    const id_t caller = tid();
    const int callerNice = niceOf(caller);
    QCOMPARE(workerNice(), 0);
    auto nicesSeen = [&] {
        std::mutex mutex;
        std::map<id_t, int> seen;
        parallelFor(64, 1, [&](std::size_t, std::size_t) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2)); // long enough for a worker to take some
            const id_t t = static_cast<id_t>(::syscall(SYS_gettid));
            std::lock_guard lock(mutex);
            seen[t] = ::getpriority(PRIO_PROCESS, t);
        });
        return seen;
    };
    setEngineThreads(2);
    for (const auto& [t, nice] : nicesSeen())
        QCOMPARE(nice, callerNice); // untouched without setWorkerNice

    setWorkerNice(5);
    setEngineThreads(2); // new arenas: the workers join them again
    bool workerSeen = false;
    // On a loaded machine a loop may run wholly on the caller before a worker wakes: try a few.
    for (int attempt = 0; attempt < 40 && !workerSeen; ++attempt) {
        for (const auto& [t, nice] : nicesSeen()) {
            if (t == caller) {
                QCOMPARE(nice, callerNice);
            } else {
                workerSeen = true;
                QCOMPARE(nice, std::max(callerNice, 5));
            }
        }
    }
    QVERIFY(workerSeen);
    QCOMPARE(niceOf(caller), callerNice);

    ChainSet set(makeModel("toy", 4, 4), 4, 4);
    set.reset(noiseInits(2), 5);
    std::atomic<int> runnerNice{-100};
    {
        ChainRunner runner(std::move(set), [&](FramePtr) {
            runnerNice.store(::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))));
        });
        runner.start();
        QTRY_VERIFY(runnerNice.load() != -100);
    }
    QCOMPARE(runnerNice.load(), std::max(callerNice, 5));
    setWorkerNice(0);
}

#include "tst_chains.moc"
