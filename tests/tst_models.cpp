// The product models (DAE, Gaussian DAE, GSN-2, GSN-3) and their corruptions (SPEC 1, 2):
// corruption statistics against binomial bounds, chain and gradient determinism across thread
// counts, chain-state invariants, and a short real-MNIST GSN-2 run that must lower the loss.

#include "corruption.h"
#include "datasets.h"
#include "error.h"
#include "model.h"
#include "parallel.h"
#include "random.h"

#include <QtTest>

#include <cmath>
#include <memory>

using namespace gsn;

namespace {

// |observed - expected| <= 5 standard deviations of a binomial(n, p) count (two-sided probability of a
// false failure below 1e-6).
bool withinBinomial(double count, double n, double p, QString* why)
{
    const double sd = std::sqrt(n * p * (1.0 - p));
    const bool ok = std::abs(count - n * p) <= 5.0 * sd;
    if (!ok)
        *why = QStringLiteral("count %1, expected %2 +- 5 x %3").arg(count).arg(n * p).arg(sd);
    return ok;
}

Matrix start(int rows, int cols, std::uint64_t seed)
{
    Matrix m(rows, cols);
    for (int r = 0; r < rows; ++r) {
        Philox rng(seed, static_cast<std::uint64_t>(r), 0);
        for (int c = 0; c < cols; ++c)
            m(r, c) = rng.uniform();
    }
    return m;
}

} // namespace

class TestModels : public QObject {
    Q_OBJECT
private slots:
    void cleanup() { setEngineThreads(0); }

    void saltAndPepperStatistics_data();
    void saltAndPepperStatistics();
    void maskingAndGaussianStatistics();
    void bernoulliAndNormalStatistics();
    void philoxWordsMatchNext32();
    void corruptionIsKeyedByStream();
    void corruptionConfigErrors();

    void chainsIdenticalOnOneAndTwoThreads_data();
    void chainsIdenticalOnOneAndTwoThreads();
    void gradientIdenticalOnOneAndTwoThreads_data();
    void gradientIdenticalOnOneAndTwoThreads();
    void gsnChainStateInvariants();
    void fewChainsMatchManyChains();
    void parametersAndConfigRoundTrip_data();
    void parametersAndConfigRoundTrip();
    void badConfigsAreRefused_data();
    void badConfigsAreRefused();

    void mnistGsn2LowersLoss();
};

void TestModels::saltAndPepperStatistics_data()
{
    QTest::addColumn<double>("p");
    QTest::newRow("p = 0.1") << 0.1;
    QTest::newRow("p = 0.4 (MNIST GSN default)") << 0.4;
    QTest::newRow("p = 0.9") << 0.9;
}

void TestModels::saltAndPepperStatistics()
{
    QFETCH(double, p);
    // Pixels at 0.5 are neither salt nor pepper, so every replaced pixel is visible as 0 or 1.
    const int rows = 40, cols = 2500;
    double replaced = 0, ones = 0, keptCorrect = 0;
    std::vector<float> row(cols), keep(cols);
    for (int r = 0; r < rows; ++r) {
        std::fill(row.begin(), row.end(), 0.5f);
        Philox rng(3, static_cast<std::uint64_t>(r), 9);
        saltAndPepperRow(row.data(), row.size(), static_cast<float>(p), rng, keep.data());
        for (int c = 0; c < cols; ++c) {
            QVERIFY(row[c] == 0.0f || row[c] == 0.5f || row[c] == 1.0f);
            if (row[c] != 0.5f) {
                ++replaced;
                ones += row[c] == 1.0f;
            }
            keptCorrect += (keep[c] == 1.0f) == (row[c] == 0.5f);
        }
    }
    const double n = rows * cols;
    QString why;
    QVERIFY2(withinBinomial(replaced, n, p, &why), qPrintable("replaced fraction: " + why));
    QVERIFY2(withinBinomial(ones, replaced, 0.5, &why), qPrintable("salt vs pepper: " + why));
    QCOMPARE(keptCorrect, n);
}

void TestModels::maskingAndGaussianStatistics()
{
    const int n = 100000;
    std::vector<float> row(n, 0.7f);
    Philox rng(5, 1, 2);
    maskingRow(row.data(), row.size(), 0.3f, rng);
    const double zeros = static_cast<double>(std::count(row.begin(), row.end(), 0.0f));
    QCOMPARE(static_cast<double>(std::count(row.begin(), row.end(), 0.7f)) + zeros, static_cast<double>(n));
    QString why;
    QVERIFY2(withinBinomial(zeros, n, 0.3, &why), qPrintable("masked fraction: " + why));

    // gaussian(s): mean 1 (the input), variance s^2. 5 sigma bounds: mean sd = s / sqrt(n);
    // the sample variance has sd ~ s^2 sqrt(2 / n).
    std::fill(row.begin(), row.end(), 1.0f);
    Corruption g{CorruptionKind::Gaussian, 0.5f};
    Philox rng2(5, 2, 2);
    corruptRow(g, row.data(), row.size(), rng2);
    double sum = 0, sq = 0;
    for (float v : row) {
        sum += v;
        sq += (v - 1.0) * (v - 1.0);
    }
    const double mean = sum / n, var = sq / n;
    QVERIFY2(std::abs(mean - 1.0) < 5 * 0.5 / std::sqrt(n), qPrintable(QString::number(mean)));
    QVERIFY2(std::abs(var - 0.25) < 5 * 0.25 * std::sqrt(2.0 / n), qPrintable(QString::number(var)));
}

void TestModels::philoxWordsMatchNext32()
{
    // Philox::words computes whole counter blocks 16 lanes at a time with the rounds written out: it
    // must give exactly the words of next32() (Random123's philox4x32-10), from any position in a
    // block, for any count, and leave the stream where next32() would have.
    const std::size_t counts[] = {0, 1, 3, 4, 5, 63, 64, 65, 67, 255, 256, 257, 1000};
    int checked = 0;
    for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{42}, std::uint64_t{0xFFFFFFFFFFFFFFFFull}})
        for (std::size_t skip = 0; skip < 5; ++skip)
            for (std::size_t n : counts) {
                Philox a(seed, 7 + skip, 0x123456789ull * (n + 1));
                Philox b(seed, 7 + skip, 0x123456789ull * (n + 1));
                for (std::size_t k = 0; k < skip; ++k)
                    QCOMPARE(a.next32(), b.next32());
                std::vector<std::uint32_t> got(n + 1, 0xDEADBEEFu);
                a.words(got.data(), n);
                for (std::size_t k = 0; k < n; ++k) {
                    const std::uint32_t want = b.next32();
                    if (got[k] != want)
                        QFAIL(qPrintable(QString("seed %1, skip %2, n %3: word %4 is %5, next32 gives %6")
                                             .arg(seed).arg(skip).arg(n).arg(k).arg(got[k]).arg(want)));
                }
                QCOMPARE(got[n], 0xDEADBEEFu); // nothing written past n
                for (int k = 0; k < 9; ++k)
                    QCOMPARE(a.next32(), b.next32());
                ++checked;
            }
    QCOMPARE(checked, 3 * 5 * 13);
    // And next32 itself is Random123's Philox4x32-10 (its known-answer vector: counter 0, key 0).
    const r123::Philox4x32 engine;
    const auto out = engine(r123::Philox4x32::ctr_type{{0, 0, 0, 0}}, r123::Philox4x32::key_type{{0, 0}});
    QCOMPARE(out[0], 0x6627e8d5u);
    QCOMPARE(out[3], 0x9b00dbd8u);
    Philox zero(0, 0, 0);
    std::uint32_t w[4];
    zero.words(w, 4);
    QCOMPARE(w[0], 0x6627e8d5u);
    QCOMPARE(w[1], 0xe169c58du);
    QCOMPARE(w[2], 0xbc57ac4cu);
    QCOMPARE(w[3], 0x9b00dbd8u);
}

void TestModels::bernoulliAndNormalStatistics()
{
    const int n = 60000;
    std::vector<float> prob(n), out(n);
    for (int i = 0; i < n; ++i)
        prob[i] = (i % 3) * 0.4f; // 0, 0.4, 0.8
    Philox rng(8, 8, 8);
    bernoulliRow(prob.data(), out.data(), n, rng);
    double c0 = 0, c1 = 0, c2 = 0;
    for (int i = 0; i < n; ++i) {
        QVERIFY(out[i] == 0.0f || out[i] == 1.0f);
        (i % 3 == 0 ? c0 : i % 3 == 1 ? c1 : c2) += out[i];
    }
    QCOMPARE(c0, 0.0);
    QString why;
    QVERIFY2(withinBinomial(c1, n / 3, 0.4, &why), qPrintable(why));
    QVERIFY2(withinBinomial(c2, n / 3, 0.8, &why), qPrintable(why));

    // normalFill: fraction below 0 and below 1 sigma against the exact normal CDF; fourth moment 3.
    std::vector<float> z(n + 1); // odd count exercises the unpaired last value
    normalFill(z.data(), z.size(), rng);
    double below0 = 0, below1 = 0, m4 = 0;
    for (float v : z) {
        below0 += v < 0.0f;
        below1 += v < 1.0f;
        m4 += std::pow(static_cast<double>(v), 4);
    }
    QVERIFY2(withinBinomial(below0, z.size(), 0.5, &why), qPrintable(why));
    QVERIFY2(withinBinomial(below1, z.size(), 0.8413447460685429, &why), qPrintable(why));
    QVERIFY2(std::abs(m4 / z.size() - 3.0) < 0.15, qPrintable(QString::number(m4 / z.size())));
}

void TestModels::corruptionIsKeyedByStream()
{
    const Corruption c{CorruptionKind::SaltAndPepper, 0.4f};
    std::vector<float> a(784, 0.5f), b(784, 0.5f), d(784, 0.5f);
    Philox ra(1, 17, 4), rb(1, 17, 4), rd(1, 18, 4);
    corruptRow(c, a.data(), a.size(), ra);
    corruptRow(c, b.data(), b.size(), rb);
    corruptRow(c, d.data(), d.size(), rd);
    QVERIFY(a == b); // same (seed, stream, step): same noise
    QVERIFY(a != d); // another stream: other noise
}

void TestModels::corruptionConfigErrors()
{
    QVERIFY_THROWS_EXCEPTION(Error, Corruption::fromJson({{"type", "pepper"}, {"level", 0.1}}, "cfg"));
    QVERIFY_THROWS_EXCEPTION(Error, Corruption::fromJson({{"type", "masking"}, {"level", 1.5}}, "cfg"));
    QVERIFY_THROWS_EXCEPTION(Error, Corruption::fromJson({{"type", "gaussian"}, {"level", -1}}, "cfg"));
    QVERIFY_THROWS_EXCEPTION(Error, Corruption::fromJson({{"type", "gaussian"}}, "cfg"));
    const Corruption c = Corruption::fromJson({{"type", "masking"}, {"level", 0.25}}, "cfg");
    QCOMPARE(c.kind, CorruptionKind::Masking);
    QCOMPARE(Corruption::fromJson(c.toJson(), "cfg").level, 0.25f);
}

void TestModels::chainsIdenticalOnOneAndTwoThreads_data()
{
    QTest::addColumn<QString>("config");
    // Big enough that products are split over column blocks and rows over several 50-row blocks.
    QTest::newRow("gsn2") << R"({"kind":"gsn2","sizes":[784,200,200]})";
    QTest::newRow("gsn3") << R"({"kind":"gsn3","sizes":[784,120,100,80]})";
    QTest::newRow("dae") << R"({"kind":"dae","sizes":[784,200]})";
    QTest::newRow("dae-gauss") << R"({"kind":"dae-gauss","sizes":[2,64]})";
}

void TestModels::chainsIdenticalOnOneAndTwoThreads()
{
    QFETCH(QString, config);
    auto model = createModel(nlohmann::json::parse(config.toStdString()), 21);
    const Matrix x0 = start(120, model->visibleSize(), 4);
    auto run = [&](int threads) {
        setEngineThreads(threads);
        ChainState s = model->startChains(x0);
        for (int i = 0; i < 12; ++i)
            model->stepChains(s, 77);
        return s;
    };
    const ChainState one = run(1);
    const ChainState two = run(2);
    QCOMPARE(one.step, std::uint64_t{12});
    QCOMPARE(two.step, one.step);
    QVERIFY(one.mean == two.mean);
    QVERIFY(one.x == two.x);
    QCOMPARE(one.h.size(), two.h.size());
    for (std::size_t i = 0; i < one.h.size(); ++i)
        QVERIFY(one.h[i] == two.h[i]);
    // And the chains did move: another seed gives other samples.
    ChainState other = model->startChains(x0);
    for (int i = 0; i < 12; ++i)
        model->stepChains(other, 78);
    QVERIFY(other.x != one.x);
}

void TestModels::gradientIdenticalOnOneAndTwoThreads_data()
{
    chainsIdenticalOnOneAndTwoThreads_data();
}

void TestModels::gradientIdenticalOnOneAndTwoThreads()
{
    QFETCH(QString, config);
    auto model = createModel(nlohmann::json::parse(config.toStdString()), 22);
    const Matrix batch = start(130, model->visibleSize(), 5);
    NoiseKey key;
    key.seed = 3;
    key.step = 11;
    for (int r = 0; r < batch.rows(); ++r)
        key.rowStream.push_back(static_cast<std::uint64_t>(1000 + 7 * r));
    std::vector<Matrix> g1, g2;
    setEngineThreads(1);
    const double l1 = model->lossAndGradient(batch, key, g1);
    setEngineThreads(2);
    const double l2 = model->lossAndGradient(batch, key, g2);
    QCOMPARE(l1, l2);
    QCOMPARE(g1.size(), g2.size());
    for (std::size_t k = 0; k < g1.size(); ++k)
        QVERIFY2(g1[k] == g2[k], qPrintable(QStringLiteral("gradient %1 differs").arg(k)));
}

void TestModels::gsnChainStateInvariants()
{
    auto model = createModel({{"kind", "gsn2"}, {"sizes", {784, 64, 32}}}, 5);
    const Matrix x0 = start(7, 784, 6);
    ChainState s = model->startChains(x0);
    QCOMPARE(s.h.size(), std::size_t{2});
    QVERIFY(s.h[0].isZero() && s.h[1].isZero()); // hidden layers start at 0
    QCOMPARE(s.h[1].cols(), 32);
    for (int i = 0; i < 5; ++i) {
        model->stepChains(s, 1);
        QVERIFY(s.mean.minCoeff() >= 0.0f && s.mean.maxCoeff() <= 1.0f);
        // x = salt-and-pepper(Bernoulli(p)): binary.
        QVERIFY((s.x.array() == 0.0f || s.x.array() == 1.0f).all());
        QVERIFY(s.h[1].allFinite());
    }
    // h1 is noiseless by default: |tanh| <= 1. h2 carries N(0, 4) noise after the tanh.
    QVERIFY(s.h[0].cwiseAbs().maxCoeff() <= 1.0f);
    QVERIFY(s.h[1].cwiseAbs().maxCoeff() > 1.0f);
    QCOMPARE(s.step, std::uint64_t{5});
}

void TestModels::fewChainsMatchManyChains()
{
    // Chain c's noise is Philox(seed, c, step) whatever the chain count, so chains 0..2 of a 3-chain
    // run (x W0 summed over non-zero pixels) and of a 60-chain run (BLAS products) take the same
    // steps; only float rounding may differ.
    auto model = createModel({{"kind", "gsn2"}, {"sizes", {784, 300, 200}}}, 8);
    const Matrix x0 = start(60, 784, 9);
    ChainState few = model->startChains(x0.topRows(3));
    ChainState many = model->startChains(x0);
    model->stepChains(few, 5);
    model->stepChains(many, 5);
    QVERIFY(few.mean.isApprox(many.mean.topRows(3), 1e-4f));
    QVERIFY(few.h[1].isApprox(many.h[1].topRows(3), 1e-4f));
    // Binary sampled x: equal unless a rounding difference flipped a sample (then at most a few pixels).
    QVERIFY((few.x.array() != many.x.topRows(3).array()).count() <= 3);
}

void TestModels::parametersAndConfigRoundTrip_data()
{
    chainsIdenticalOnOneAndTwoThreads_data();
}

void TestModels::parametersAndConfigRoundTrip()
{
    QFETCH(QString, config);
    auto model = createModel(nlohmann::json::parse(config.toStdString()), 9);
    const auto params = model->parameters();
    const auto sizes = model->layerSizes();
    const int K = static_cast<int>(sizes.size()) - 1;
    QCOMPARE(static_cast<int>(params.size()), 2 * K + 1);
    for (int j = 0; j < K; ++j) {
        QCOMPARE(QString::fromStdString(params[j].name), QStringLiteral("W%1").arg(j));
        QCOMPARE(params[j].value->rows(), sizes[j]);
        QCOMPARE(params[j].value->cols(), sizes[j + 1]);
        // SPEC initialisation: uniform in +-sqrt(6 / (n_in + n_out)), filling most of the range.
        const float bound = std::sqrt(6.0f / static_cast<float>(sizes[j] + sizes[j + 1]));
        QVERIFY(params[j].value->cwiseAbs().maxCoeff() <= bound);
        QVERIFY(params[j].value->cwiseAbs().maxCoeff() > 0.95f * bound);
        QVERIFY(std::abs(params[j].value->mean()) < 0.05f * bound);
    }
    for (int i = 0; i <= K; ++i) {
        QCOMPARE(QString::fromStdString(params[K + i].name), QStringLiteral("b%1").arg(i));
        QVERIFY(params[K + i].value->isZero());
        QCOMPARE(params[K + i].value->cols(), sizes[i]);
    }
    // config() rebuilds the same model: same kind, sizes and (same seed) the same weights.
    auto again = createModel(model->config(), 9);
    QCOMPARE(again->kind(), model->kind());
    QCOMPARE(again->config(), model->config());
    QVERIFY(*again->parameters()[0].value == *params[0].value);
    auto other = createModel(model->config(), 10);
    QVERIFY(*other->parameters()[0].value != *params[0].value);
}

void TestModels::badConfigsAreRefused_data()
{
    QTest::addColumn<QString>("config");
    QTest::addColumn<QString>("field");
    QTest::newRow("unknown kind") << R"({"kind":"gsn4"})" << "kind";
    QTest::newRow("dae without sizes") << R"({"kind":"dae"})" << "sizes";
    QTest::newRow("gsn2 with three hidden layers") << R"({"kind":"gsn2","sizes":[784,10,10,10]})" << "sizes";
    QTest::newRow("negative noise") << R"({"kind":"gsn2","hidden_noise":-1})" << "hidden_noise";
    QTest::newRow("walkback 0") << R"({"kind":"gsn3","walkback":0})" << "walkback";
    QTest::newRow("bad walkback mode") << R"({"kind":"dae","sizes":[4,4],"walkback_mode":"random"})" << "walkback_mode";
    QTest::newRow("bad corruption") << R"({"kind":"dae","sizes":[4,4],"corruption":{"type":"salt"}})" << "corruption.type";
    QTest::newRow("noiseless_h1 not a bool") << R"({"kind":"gsn2","noiseless_h1":1})" << "noiseless_h1";
}

void TestModels::badConfigsAreRefused()
{
    QFETCH(QString, config);
    QFETCH(QString, field);
    try {
        createModel(nlohmann::json::parse(config.toStdString()), 1);
        QFAIL("accepted");
    } catch (const Error& e) {
        QVERIFY2(QString(e.what()).contains(field), e.what());
    }
}

void TestModels::mnistGsn2LowersLoss()
{
    Dataset train;
    try {
        train = loadDataset("mnist-train");
    } catch (const Error& e) {
        QSKIP(qPrintable(QStringLiteral("MNIST not available (run ./setup.sh): %1").arg(e.what())));
    }
    const Dataset test = loadDataset("mnist-test");
    // A tiny GSN-2 with the reference hyper-parameters (SPEC 2.2): batch 100, lr 0.25, momentum 0.5
    // in the form m <- mu m + (1 - mu) g, theta <- theta - lr m, walkback 4.
    auto model = createModel({{"kind", "gsn2"}, {"sizes", {784, 128, 128}}}, 1);
    auto params = model->parameters();
    std::vector<Matrix> grads, momentum;
    for (const auto& p : params)
        momentum.push_back(Matrix::Zero(p.value->rows(), p.value->cols()));

    // Held-out loss on 500 test digits with fixed noise: the measure that must go down.
    const Matrix held = test.pixels.topRows(500);
    NoiseKey heldKey;
    heldKey.seed = 42;
    for (int r = 0; r < held.rows(); ++r)
        heldKey.rowStream.push_back(static_cast<std::uint64_t>(r));
    std::vector<Matrix> unused;
    const double before = model->lossAndGradient(held, heldKey, unused);

    const int batch = 100, steps = 300; // 30000 examples: half an epoch of MNIST
    NoiseKey key;
    key.seed = 7;
    const int window = 30;
    double firstLosses = 0.0, lastLosses = 0.0; // sums of the first and last `window` batch losses
    for (int s = 0; s < steps; ++s) {
        const int startRow = (s * batch) % (train.count() - batch);
        key.step = static_cast<std::uint64_t>(s);
        key.rowStream.resize(batch);
        for (int r = 0; r < batch; ++r)
            key.rowStream[static_cast<std::size_t>(r)] = static_cast<std::uint64_t>(startRow + r);
        const double loss = model->lossAndGradient(train.pixels.middleRows(startRow, batch), key, grads);
        QVERIFY(std::isfinite(loss));
        if (s < window)
            firstLosses += loss;
        if (s >= steps - window)
            lastLosses += loss;
        for (std::size_t k = 0; k < params.size(); ++k) {
            momentum[k] = 0.5f * momentum[k] + 0.5f * grads[k];
            *params[k].value -= 0.25f * momentum[k];
        }
    }
    const double after = model->lossAndGradient(held, heldKey, unused);
    qInfo("held-out loss (sum over 4 updates of the per-pixel mean BCE): %.4f -> %.4f; training loss %.4f -> %.4f",
          before, after, firstLosses / window, lastLosses / window);
    // At the start p ~ sigmoid(small) everywhere: about 4 x ln 2. With the reference learning rate on a
    // per-pixel-mean loss, learning is slow at first (SPEC 2.2: blurry blobs after 5 epochs), so
    // 300 steps are required to cut the held-out loss by 15 %, and the training loss must fall too.
    QVERIFY2(after < 0.85 * before, qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(after)));
    QVERIFY2(lastLosses < 0.85 * firstLosses, qPrintable(QStringLiteral("%1 -> %2").arg(firstLosses).arg(lastLosses)));
}

QTEST_GUILESS_MAIN(TestModels)
#include "tst_models.moc"
