// Tests of the Parzen-window estimator (engine/eval/parzen.h) against the definition computed directly in
// double precision, a closed form, the sigma search, the standard error, cancellation and errors.

#include "checkpoint.h"
#include "datasets.h"
#include "error.h"
#include "model.h"
#include "npy.h"
#include "parallel.h"
#include "parzen.h"
#include "random.h"

#include <QtCore/QDir>
#include <QtCore/QFileInfo>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QProcess>
#include <QtTest/QtTest>

#include <atomic>
#include <cmath>
#include <numbers>

namespace {

// Uniform [0, 1) matrix from a Philox stream per row, optionally pushed towards 0/1 like digit pixels.
gsn::Matrix randomMatrix(int rows, int cols, std::uint64_t seed, bool binaryish = false)
{
    gsn::Matrix m(rows, cols);
    for (int r = 0; r < rows; ++r) {
        gsn::Philox rng(seed, static_cast<std::uint64_t>(r), 0);
        for (int c = 0; c < cols; ++c) {
            const float u = rng.uniform();
            m(r, c) = binaryish ? (u < 0.8f ? 0.0f : rng.uniform()) : u;
        }
    }
    return m;
}

// log p(x) straight from the definition, in double, with an explicit log-sum-exp.
double directLogDensity(const gsn::Matrix& samples, const gsn::Matrix& points, int row, double sigma)
{
    const int m = static_cast<int>(samples.rows());
    const int d = static_cast<int>(samples.cols());
    std::vector<double> e(m);
    double top = -1e300;
    for (int i = 0; i < m; ++i) {
        double dist = 0.0;
        for (int j = 0; j < d; ++j) {
            const double diff = static_cast<double>(points(row, j)) - static_cast<double>(samples(i, j));
            dist += diff * diff;
        }
        e[i] = -dist / (2.0 * sigma * sigma);
        top = std::max(top, e[i]);
    }
    double sum = 0.0;
    for (double v : e)
        sum += std::exp(v - top);
    return top + std::log(sum) - std::log(static_cast<double>(m)) - d * std::log(sigma * std::sqrt(2.0 * std::numbers::pi));
}

} // namespace

class TestParzen : public QObject {
    Q_OBJECT

private slots:
    void directFormula_data();
    void directFormula();
    void nearestInLastTile();
    void closedForm_data();
    void closedForm();
    void logSpaceGrid();
    void argmax();
    void sigmaSearch();
    void standardError();
    void sameOnOneAndTwoThreads();
    void cancelBeforeStart();
    void cancelDuringRun();
    void rejectsBadInput();
    void evalCommand();
};

void TestParzen::directFormula_data()
{
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("d");
    QTest::addColumn<bool>("binaryish");
    QTest::newRow("tiny 3 samples, 5 points, d 2") << 3 << 5 << 2 << false;
    QTest::newRow("one dimension") << 40 << 17 << 1 << false;
    QTest::newRow("digit-like d 64") << 300 << 50 << 64 << true;
    QTest::newRow("several point blocks (n 300)") << 100 << 300 << 16 << false;
    QTest::newRow("several sample tiles (m 4500)") << 4500 << 20 << 32 << true;
    QTest::newRow("MNIST width d 784") << 500 << 30 << 784 << true;
}

void TestParzen::directFormula()
{
    QFETCH(int, m);
    QFETCH(int, n);
    QFETCH(int, d);
    QFETCH(bool, binaryish);
    const gsn::Matrix samples = randomMatrix(m, d, 11, binaryish);
    const gsn::Matrix points = randomMatrix(n, d, 12, binaryish);
    // The SPEC grid plus two widths outside it, so far tails and nearly flat kernels are both covered.
    std::vector<double> sigmas = gsn::defaultSigmaGrid();
    sigmas.push_back(0.05);
    sigmas.push_back(3.0);
    const auto ll = gsn::parzenLogDensity(samples, points, sigmas);
    QVERIFY(ll.has_value());
    QCOMPARE(ll->rows(), n);
    QCOMPARE(ll->cols(), static_cast<Eigen::Index>(sigmas.size()));
    double worst = 0.0;
    for (int r = 0; r < n; ++r)
        for (int k = 0; k < static_cast<int>(sigmas.size()); ++k)
            worst = std::max(worst, std::abs((*ll)(r, k) - directLogDensity(samples, points, r, sigmas[k])));
    if (worst > 1e-3)
        QFAIL(qPrintable(QString("largest difference from the direct formula %1 nats > 1e-3").arg(worst)));
}

void TestParzen::nearestInLastTile()
{
    // The nearest sample comes after several tiles of far ones, so the streaming log-sum-exp has to
    // rescale what it summed before; a tiny sigma makes any mistake there visible.
    const int m = 5000, d = 20;
    gsn::Matrix samples = randomMatrix(m, d, 21);
    samples.topRows(m - 1).array() += 2.0f;
    const gsn::Matrix points = samples.bottomRows(1).array() + 0.01f;
    const std::vector<double> sigmas = {0.02, 0.1, 1.0};
    const auto ll = gsn::parzenLogDensity(samples, points, sigmas);
    QVERIFY(ll.has_value());
    for (int k = 0; k < 3; ++k)
        QVERIFY2(std::abs((*ll)(0, k) - directLogDensity(samples, points, 0, sigmas[k])) < 1e-3,
                 qPrintable(QString("sigma %1: %2 vs %3").arg(sigmas[k]).arg((*ll)(0, k))
                                .arg(directLogDensity(samples, points, 0, sigmas[k]))));
}

void TestParzen::closedForm_data()
{
    QTest::addColumn<int>("d");
    QTest::addColumn<double>("sigma");
    QTest::addColumn<float>("offset");
    QTest::newRow("d 1, at the sample") << 1 << 0.5 << 0.0f;
    QTest::newRow("d 1, offset 0.3") << 1 << 0.5 << 0.3f;
    QTest::newRow("d 784, sigma 0.1, offset 0.05") << 784 << 0.1 << 0.05f;
    QTest::newRow("d 10, sigma 1, offset 0.7") << 10 << 1.0 << 0.7f;
}

void TestParzen::closedForm()
{
    // One sample mu, one point x = mu + offset in every coordinate:
    // log p(x) = -d offset^2 / (2 sigma^2) - d log(sigma sqrt(2 pi)).
    QFETCH(int, d);
    QFETCH(double, sigma);
    QFETCH(float, offset);
    const gsn::Matrix mu = randomMatrix(1, d, 31);
    const gsn::Matrix x = mu.array() + offset;
    const auto ll = gsn::parzenLogDensity(mu, x, {sigma});
    QVERIFY(ll.has_value());
    double dist = 0.0;
    for (int j = 0; j < d; ++j)
        dist += std::pow(static_cast<double>(x(0, j)) - mu(0, j), 2);
    const double expected = -dist / (2 * sigma * sigma) - d * std::log(sigma * std::sqrt(2 * std::numbers::pi));
    QVERIFY2(std::abs((*ll)(0, 0) - expected) < 1e-3,
             qPrintable(QString("%1 vs closed form %2").arg((*ll)(0, 0), 0, 'g', 10).arg(expected, 0, 'g', 10)));
}

void TestParzen::logSpaceGrid()
{
    const auto g = gsn::defaultSigmaGrid();
    QCOMPARE(g.size(), std::size_t(10));
    QCOMPARE(g.front(), 0.1);
    QCOMPARE(g.back(), 1.0);
    for (std::size_t i = 1; i < g.size(); ++i)
        QVERIFY(std::abs(g[i] / g[i - 1] - std::pow(10.0, 1.0 / 9.0)) < 1e-12);
}

void TestParzen::argmax()
{
    QCOMPARE(gsn::argmaxIndex({}), -1);
    QCOMPARE(gsn::argmaxIndex({-5.0, 3.0, 2.0}), 1);
    QCOMPARE(gsn::argmaxIndex({1.0, 4.0, 4.0, 0.0}), 1);  // the first maximum on ties
    QCOMPARE(gsn::argmaxIndex({-1e9, -1e8}), 1);
}

void TestParzen::sigmaSearch()
{
    // Samples and validation points from the same digit-like distribution, so the validation curve has
    // an interior maximum; the chosen sigma must be the argmax of the curve computed independently.
    const gsn::Matrix samples = randomMatrix(400, 30, 41, true);
    const gsn::Matrix valid = randomMatrix(60, 30, 42, true);
    const gsn::Matrix test = randomMatrix(80, 30, 43, true);
    const auto grid = gsn::logSpace(-1.5, 0.5, 12);
    const auto res = gsn::parzenEvaluate(samples, valid, test, grid);
    QVERIFY(res.has_value());
    QCOMPARE(res->curve.size(), grid.size());
    std::vector<double> direct;
    for (std::size_t k = 0; k < grid.size(); ++k) {
        double sum = 0.0;
        for (int r = 0; r < valid.rows(); ++r)
            sum += directLogDensity(samples, valid, r, grid[k]);
        direct.push_back(sum / valid.rows());
        QCOMPARE(res->curve[k].first, grid[k]);
        QVERIFY(std::abs(res->curve[k].second - direct.back()) < 1e-3);
    }
    const int best = gsn::argmaxIndex(direct);
    QVERIFY2(best > 0 && best + 1 < static_cast<int>(grid.size()), "the test case should have an interior maximum");
    QCOMPARE(res->sigma, grid[best]);
    // The test figures are at the chosen sigma.
    QCOMPARE(res->testLogDensity.size(), test.rows());
    for (int r = 0; r < test.rows(); r += 7)
        QVERIFY(std::abs(res->testLogDensity[r] - directLogDensity(samples, test, r, res->sigma)) < 1e-3);
}

void TestParzen::standardError()
{
    Eigen::VectorXd v(4);
    v << 1.0, 2.0, 3.0, 4.0;
    const auto me = gsn::meanAndStandardError(v);
    QCOMPARE(me.mean, 2.5);
    QVERIFY(std::abs(me.standardError - std::sqrt(1.25) / 2.0) < 1e-15);  // population std / sqrt(N)

    const gsn::Matrix samples = randomMatrix(200, 12, 51, true);
    const auto res = gsn::parzenEvaluate(samples, randomMatrix(30, 12, 52, true), randomMatrix(90, 12, 53, true),
                                         gsn::defaultSigmaGrid());
    QVERIFY(res.has_value());
    const double mean = res->testLogDensity.mean();
    const double sd = std::sqrt((res->testLogDensity.array() - mean).square().mean());
    QVERIFY(std::abs(res->mean - mean) < 1e-9);
    QVERIFY(std::abs(res->standardError - sd / std::sqrt(90.0)) < 1e-9);
    QVERIFY(res->standardError > 0.0);
}

void TestParzen::sameOnOneAndTwoThreads()
{
    const gsn::Matrix samples = randomMatrix(3000, 50, 61, true);
    const gsn::Matrix points = randomMatrix(700, 50, 62, true);
    gsn::setEngineThreads(1);
    const auto a = gsn::parzenLogDensity(samples, points, gsn::defaultSigmaGrid());
    gsn::setEngineThreads(2);
    const auto b = gsn::parzenLogDensity(samples, points, gsn::defaultSigmaGrid());
    gsn::setEngineThreads(0);
    QVERIFY(a && b);
    QVERIFY(*a == *b);  // bit for bit: fixed blocks, each row's sums in a fixed order
}

void TestParzen::cancelBeforeStart()
{
    std::atomic<bool> cancel{true};
    const gsn::Matrix samples = randomMatrix(100, 10, 71);
    const gsn::Matrix points = randomMatrix(500, 10, 72);
    int calls = 0;
    QVERIFY(!gsn::parzenLogDensity(samples, points, {0.5}, [&](long long, long long) { ++calls; }, &cancel));
    QCOMPARE(calls, 0);
    QVERIFY(!gsn::parzenEvaluate(samples, points, points, {0.5, 1.0}, {}, &cancel));
}

void TestParzen::cancelDuringRun()
{
    // Cancel from the progress callback after the first block: the call must stop early and say so.
    gsn::setEngineThreads(1);
    std::atomic<bool> cancel{false};
    const gsn::Matrix samples = randomMatrix(2000, 64, 81, true);
    const gsn::Matrix points = randomMatrix(128 * 40, 64, 82, true);
    long long lastDone = 0, total = 0;
    const auto res = gsn::parzenEvaluate(samples, points.topRows(256), points, gsn::defaultSigmaGrid(),
                                         [&](long long done, long long t) {
                                             lastDone = done;
                                             total = t;
                                             if (done >= 128)
                                                 cancel = true;
                                         },
                                         &cancel);
    gsn::setEngineThreads(0);
    QVERIFY(!res.has_value());
    QCOMPARE(total, 256 + 128 * 40);
    QVERIFY2(lastDone < total / 2, qPrintable(QString("ran to %1 of %2 after cancel").arg(lastDone).arg(total)));
}

void TestParzen::rejectsBadInput()
{
    const gsn::Matrix a = randomMatrix(5, 4, 91);
    const gsn::Matrix b = randomMatrix(5, 3, 92);
    QVERIFY_THROWS_EXCEPTION(gsn::Error, gsn::parzenLogDensity(a, b, {0.5}));
    QVERIFY_THROWS_EXCEPTION(gsn::Error, gsn::parzenLogDensity(gsn::Matrix(0, 4), a, {0.5}));
    QVERIFY_THROWS_EXCEPTION(gsn::Error, gsn::parzenLogDensity(a, a, {0.0}));
    QVERIFY_THROWS_EXCEPTION(gsn::Error, gsn::parzenLogDensity(a, a, {}));
    gsn::Matrix nan = a;
    nan(2, 1) = std::nanf("");
    QVERIFY_THROWS_EXCEPTION(gsn::Error, gsn::parzenLogDensity(a, nan, {0.5}));
    QVERIFY_THROWS_EXCEPTION(gsn::Error, gsn::parzenEvaluate(a, gsn::Matrix(0, 4), a, {0.5}));
}

void TestParzen::evalCommand()
{
    // End to end: `gsn eval --samples` on small .npy sets gives the JSON keys and the library's figures.
    const QString gsn = qEnvironmentVariable("GSN_BINARY_DIR") + "/app/gsn";
    if (qEnvironmentVariable("GSN_BINARY_DIR").isEmpty() || !QFileInfo(gsn).isExecutable())
        QSKIP("the gsn binary is not built (GSN_BINARY_DIR/app/gsn)");
    const QString dir = qEnvironmentVariable("GSN_TEST_TMP", QDir::tempPath()) + "/parzen";
    QVERIFY(QDir().mkpath(dir));
    const gsn::Matrix samples = randomMatrix(300, 49, 101, true);
    const gsn::Matrix valid = randomMatrix(40, 49, 102, true);
    const gsn::Matrix test = randomMatrix(70, 49, 103, true);
    const auto write = [&](const char* name, const gsn::Matrix& m) {
        const std::string path = (dir + "/" + name).toStdString();
        gsn::writeNpy(path, m.data(), {m.rows(), 7, 7});
        return path;
    };
    const std::string sPath = write("samples.npy", samples), vPath = write("valid.npy", valid),
                      tPath = write("test.npy", test);
    QProcess proc;
    proc.start(gsn, {"eval", "--samples", QString::fromStdString(sPath), "--valid", QString::fromStdString(vPath),
                     "--test", QString::fromStdString(tPath)});
    QVERIFY(proc.waitForFinished(60000));
    QVERIFY2(proc.exitCode() == 0, proc.readAllStandardError().constData());
    const QJsonObject out = QJsonDocument::fromJson(proc.readAllStandardOutput()).object();
    for (const char* key : {"sigma", "mean", "stderr", "curve", "seconds"})
        QVERIFY2(out.contains(key), key);
    // The same sets as the command sees them (through the dataset loader), evaluated by the library.
    const auto res = gsn::parzenEvaluate(gsn::loadDataset(sPath).pixels, gsn::loadDataset(vPath).pixels,
                                         gsn::loadDataset(tPath).pixels, gsn::defaultSigmaGrid());
    QVERIFY(res.has_value());
    QCOMPARE(out["sigma"].toDouble(), res->sigma);
    QVERIFY(std::abs(out["mean"].toDouble() - res->mean) < 1e-9);
    QVERIFY(std::abs(out["stderr"].toDouble() - res->standardError) < 1e-9);
    QCOMPARE(out["curve"].toArray().size(), 10);
    QCOMPARE(out["samples"].toInt(), 300);

    // Mutually exclusive sources are a usage error (exit code 2), not a crash.
    QProcess bad;
    bad.start(gsn, {"eval", "--samples", QString::fromStdString(sPath), "--baseline", "mnist-train"});
    QVERIFY(bad.waitForFinished(60000));
    QCOMPARE(bad.exitCode(), 2);

    // --model: the JSON records where the chain started; with no burn-in, a chain from test image 3
    // scores differently from one started at zeros; a bad --init is a user error naming the option.
    const std::string modelPath = (dir + "/dae49.safetensors").toStdString();
    const auto model = gsn::createModel({{"kind", "dae"}, {"sizes", {49, 12}}}, 5);
    gsn::saveCheckpoint(modelPath, *model, nullptr, {});
    const auto runModel = [&](const QString& init) {
        QProcess p;
        p.start(gsn, {"eval", "--model", QString::fromStdString(modelPath), "--n", "50", "--burnin", "0", "--init", init,
                      "--valid", QString::fromStdString(vPath), "--test", QString::fromStdString(tPath)});
        p.waitForFinished(60000);
        // The JSON line on success, the message on failure.
        return std::make_pair(p.exitCode(), p.exitCode() == 0 ? p.readAllStandardOutput() : p.readAllStandardError());
    };
    const auto [rcZeros, zeros] = runModel("zeros");
    QVERIFY2(rcZeros == 0, zeros.constData());
    const auto [rcTest, fromTest] = runModel("test:3");
    QVERIFY2(rcTest == 0, fromTest.constData());
    const QJsonObject zerosOut = QJsonDocument::fromJson(zeros).object();
    const QJsonObject testOut = QJsonDocument::fromJson(fromTest).object();
    QCOMPARE(zerosOut["init"].toString(), QString("zeros"));
    QCOMPARE(testOut["init"].toString(), QString("test:3"));
    QVERIFY(zerosOut["mean"].toDouble() != testOut["mean"].toDouble());
    for (const char* wrong : {"test:70", "test:x", "image"}) {
        const auto [rc, text] = runModel(wrong);
        QCOMPARE(rc, 2); // a usage error
        QVERIFY2(text.contains("--init"), text.constData());
    }
}

QTEST_APPLESS_MAIN(TestParzen)
#include "tst_parzen.moc"
