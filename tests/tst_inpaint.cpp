// Inpainting engine parts (SPEC 3): clamped pixels equal the source at every step of every chain, in
// the displayed mean and the fed-back state, for every model kind and image shape; the running mean
// and spread (Welford) against a two-pass reference; empty and full masks.

#include "chains.h"
#include "clampmask.h"
#include "error.h"
#include "inpaintstats.h"
#include "model.h"
#include "random.h"
#include "testsupport.h"

#include <QtTest>

#include <cmath>

using namespace gsn;

namespace {

std::shared_ptr<const Model> makeModel(const QString& kind, int n)
{
    return test::makeSmallModel(kind, n);
}

std::vector<float> sourceImage(int n, std::uint64_t seed)
{
    // Grey levels k/255 like a decoded PNG, some exactly 0 and 1.
    std::vector<float> v(static_cast<std::size_t>(n));
    Philox rng(seed, 0, 0);
    for (float& x : v)
        x = static_cast<float>(static_cast<int>(rng.uniform() * 256) % 256) / 255.0f;
    v[0] = 0.0f;
    v[static_cast<std::size_t>(n - 1)] = 1.0f;
    return v;
}

} // namespace

class TestInpaint : public QObject {
    Q_OBJECT
private slots:
    void clampedEveryStep_data();
    void clampedEveryStep();
    void statsMatchTwoPass();
    void statsConstantPixelExact();
    void statsLongRunStable();
    void statsEmptyAndBadInput();
};

void TestInpaint::clampedEveryStep_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<QString>("mask");
    QTest::addColumn<int>("init"); // 0 noise, 1 zero, 2 source
    for (const char* kind : {"dae", "gsn2", "gsn3", "rbm"}) {
        QTest::addRow("%s 7x5 right noise", kind) << kind << 7 << 5 << "right" << 0;
        QTest::addRow("%s 6x6 random zero", kind) << kind << 6 << 6 << "random" << 1;
        QTest::addRow("%s 5x8 centre source", kind) << kind << 5 << 8 << "centre" << 2;
    }
}

void TestInpaint::clampedEveryStep()
{
    QFETCH(QString, kind);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(QString, mask);
    QFETCH(int, init);
    const int n = width * height;
    const int chains = 6;
    MaskPreset preset;
    QVERIFY(parseMaskPreset(mask.toStdString(), &preset));
    MaskPresetOptions options;
    options.fraction = 0.4;
    const ClampMask m = makeMask(preset, width, height, options);
    QVERIFY(m.clampedCount() > 0 && m.freeCount() > 0);
    const std::vector<float> src = sourceImage(n, 11);

    ChainSet set(makeModel(kind, n), width, height);
    set.setRecordSamples(true);
    const ChainInit ci = init == 0 ? ChainInit::noise() : init == 1 ? ChainInit::zeros() : ChainInit::fromImage(src);
    set.reset(std::vector<ChainInit>(chains, ci), 5);
    set.setClampAll(m, src);
    InpaintStats stats(n);
    const std::vector<int> clamped = m.clampedIndices();
    const std::vector<int> freeIdx = m.inverted().clampedIndices();
    const Matrix start = set.frame()->cells;
    bool freeMoved = false;
    for (int s = 0; s <= 30; ++s) {
        if (s > 0)
            set.step();
        const FramePtr f = set.frame();
        QCOMPARE(f->samples.rows(), Eigen::Index(chains));
        for (int c = 0; c < chains; ++c)
            for (int i : clamped) {
                // Exact equality: the value is written back, not recomputed.
                if (f->cells(c, i) != src[std::size_t(i)] || set.state().x(c, i) != src[std::size_t(i)] ||
                    f->samples(c, i) != src[std::size_t(i)])
                    QFAIL(qPrintable(QString("step %1 chain %2 pixel %3: mean %4 fed-back %5, source %6")
                                         .arg(s).arg(c).arg(i).arg(f->cells(c, i)).arg(set.state().x(c, i))
                                         .arg(src[std::size_t(i)])));
            }
        if (s > 0) {
            stats.add(f->cells);
            for (int c = 0; c < chains && !freeMoved; ++c)
                for (int i : freeIdx)
                    freeMoved = freeMoved || f->cells(c, i) != start(c, i);
        }
    }
    QVERIFY2(freeMoved, "the free pixels never changed");
    // The statistics see the clamped pixels as constants: mean = source, spread = 0, exactly.
    const auto mean = stats.mean();
    const auto spread = stats.spread();
    for (int i : clamped) {
        QCOMPARE(mean[std::size_t(i)], src[std::size_t(i)]);
        QCOMPARE(spread[std::size_t(i)], 0.0f);
    }
    QCOMPARE(stats.meanSpread(clamped), 0.0);
    QCOMPARE(stats.count(), std::int64_t(30 * chains));
}

void TestInpaint::statsMatchTwoPass()
{
    const int n = 9, rows = 37;
    Matrix data(rows, n);
    Philox rng(4, 1, 0);
    for (int r = 0; r < rows; ++r)
        for (int i = 0; i < n; ++i)
            data(r, i) = static_cast<float>(rng.uniform());
    InpaintStats stats(n);
    stats.add(data.topRows(10));
    stats.add(data.bottomRows(rows - 10));
    QCOMPARE(stats.count(), std::int64_t(rows));
    const auto mean = stats.mean();
    const auto var = stats.variance();
    const auto spreadImg = stats.spreadImage();
    for (int i = 0; i < n; ++i) {
        double m = 0, v = 0;
        for (int r = 0; r < rows; ++r)
            m += data(r, i);
        m /= rows;
        for (int r = 0; r < rows; ++r)
            v += (data(r, i) - m) * (data(r, i) - m);
        v /= rows;
        QVERIFY(std::abs(mean[std::size_t(i)] - m) < 1e-6);
        QVERIFY(std::abs(var[std::size_t(i)] - v) < 1e-6);
        QVERIFY(std::abs(spreadImg[std::size_t(i)] - std::min(1.0, 2 * std::sqrt(v))) < 1e-6);
    }
}

void TestInpaint::statsConstantPixelExact()
{
    InpaintStats stats(3);
    const float values[3] = {0.0f, 0.3f, 1.0f};
    for (int k = 0; k < 100000; ++k)
        stats.addImage(values);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(stats.mean()[std::size_t(i)], values[i]);
        QCOMPARE(stats.spread()[std::size_t(i)], 0.0f);
    }
    // A pixel alternating between 0 and 1 has the largest spread, 0.5 (display value 1).
    InpaintStats flip(1);
    for (int k = 0; k < 1000; ++k) {
        const float v = float(k % 2);
        flip.addImage(&v);
    }
    QVERIFY(std::abs(flip.spread()[0] - 0.5f) < 1e-6f);
    QVERIFY(std::abs(flip.spreadImage()[0] - 1.0f) < 1e-6f);
}

void TestInpaint::statsLongRunStable()
{
    // Ten million observations of a two-valued pixel near 1 (p = 0.1 of 0.999, else 1.0): the naive
    // float sum-of-squares loses every digit here; Welford keeps the exact variance.
    InpaintStats stats(1);
    const long long total = 10000000;
    for (long long k = 0; k < total; ++k) {
        const float v = k % 10 == 0 ? 0.999f : 1.0f;
        stats.addImage(&v);
    }
    const double d = double(1.0f) - double(0.999f);
    const double exact = 0.1 * 0.9 * d * d;
    QVERIFY2(std::abs(stats.variance()[0] - exact) < 1e-3 * exact,
             qPrintable(QString("variance %1, exact %2").arg(stats.variance()[0]).arg(exact)));
}

void TestInpaint::statsEmptyAndBadInput()
{
    InpaintStats stats(4);
    QCOMPARE(stats.count(), std::int64_t(0));
    QCOMPARE(stats.mean(), std::vector<float>(4, 0.0f));
    QCOMPARE(stats.spread(), std::vector<float>(4, 0.0f));
    QCOMPARE(stats.meanSpread({}), 0.0); // nothing free: no division by zero
    const float one[4] = {1, 1, 1, 1};
    stats.addImage(one);
    QCOMPARE(stats.variance(), std::vector<float>(4, 0.0f)); // one observation: no spread yet
    QVERIFY_THROWS_EXCEPTION(Error, stats.add(Matrix(2, 5)));
    QVERIFY_THROWS_EXCEPTION(Error, InpaintStats(0));
    stats.clear();
    QCOMPARE(stats.count(), std::int64_t(0));
}

QTEST_GUILESS_MAIN(TestInpaint)
#include "tst_inpaint.moc"
