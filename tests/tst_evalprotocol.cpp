// Tests of the evaluation protocols (engine/eval/evalprotocol.h): the Parzen protocol against the same steps
// done by hand with parzen.h and chains.h, its defaults, binarisation, progress, cancellation and the
// refusal of bad options.

#include "chains.h"
#include "error.h"
#include "evalprotocol.h"
#include "model.h"
#include "parzen.h"
#include "random.h"

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QProcess>
#include <QtTest/QtTest>

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

using namespace gsn;

namespace {

// Uniform [0, 1) matrix, row r from Philox(seed, r, 0).
Matrix randomMatrix(int rows, int cols, std::uint64_t seed)
{
    Matrix m(rows, cols);
    for (int r = 0; r < rows; ++r) {
        Philox rng(seed, static_cast<std::uint64_t>(r), 0);
        for (int c = 0; c < cols; ++c)
            m(r, c) = rng.uniform();
    }
    return m;
}

// A small real DAE on 12 visible units (untrained: its chain is still a real chain).
std::unique_ptr<Model> smallModel()
{
    return createModel(
        {{"kind", "dae"}, {"sizes", {12, 6}}, {"corruption", {{"type", "salt-and-pepper"}, {"level", 0.4}}}}, 5);
}

// The protocol by hand: the grid on the first `v` validation rows, the argmax, the test set at it.
struct Expected {
    double sigma;
    std::vector<double> curve;
    MeanAndError test;
};
Expected byHand(const Matrix& samples, const Matrix& valid, long long v, const Matrix& test, const std::vector<double>& grid)
{
    const auto ll = parzenLogDensity(samples, valid.topRows(v), grid);
    Expected e{};
    for (int k = 0; k < static_cast<int>(grid.size()); ++k)
        e.curve.push_back(ll->col(k).mean());
    e.sigma = grid[static_cast<std::size_t>(argmaxIndex(e.curve))];
    e.test = meanAndStandardError(parzenLogDensity(samples, test, {e.sigma})->col(0));
    return e;
}

} // namespace

class TestEvalProtocol : public QObject {
    Q_OBJECT

private slots:
    // The defaults are SPEC 4's, in one place.
    void defaultsAreTheSpec()
    {
        const ParzenProtocolOptions o;
        QCOMPARE(o.samples, 10000LL);
        QCOMPARE(o.burnin, 100LL);
        QCOMPARE(o.thin, 1LL);
        QCOMPARE(o.seed, std::uint64_t{1});
        QCOMPARE(int(o.init.kind), int(ChainInit::Kind::Noise));
        QCOMPARE(o.validationRows, 1000LL);
        QCOMPARE(o.sigmas, defaultSigmaGrid());
        QCOMPARE(int(o.binarize), int(ParzenBinarize::None));
        QVERIFY(!o.testCurve);
    }

    // Given samples: the first `samples` rows, the first `validationRows` validation rows; every figure
    // equals the same computation done with parzen.h directly.
    void givenSamplesMatchDirectComputation()
    {
        const Matrix samples = randomMatrix(70, 12, 1), valid = randomMatrix(40, 12, 2), test = randomMatrix(55, 12, 3);
        ParzenProtocolOptions o;
        o.samples = 50;
        o.validationRows = 25;
        o.sigmas = {0.05, 0.1, 0.2, 0.4, 0.8};
        o.testCurve = true;
        const ParzenProtocolResult r = runParzenProtocol(samples, valid, test, o);
        QVERIFY(!r.cancelled);
        QVERIFY(r.samples);
        QCOMPARE(r.samples->rows(), Eigen::Index(50));
        QCOMPARE((*r.samples - samples.topRows(50)).cwiseAbs().maxCoeff(), 0.0f);
        QCOMPARE(r.validationRows, 25LL);
        QCOMPARE(r.testRows, 55LL);

        const Expected e = byHand(samples.topRows(50), valid, 25, test, o.sigmas);
        QCOMPARE(r.parzen.sigma, e.sigma);
        QCOMPARE(int(r.parzen.curve.size()), 5);
        for (int k = 0; k < 5; ++k) {
            QCOMPARE(r.parzen.curve[k].first, o.sigmas[k]);
            QCOMPARE(r.parzen.curve[k].second, e.curve[k]);
        }
        QCOMPARE(r.parzen.mean, e.test.mean);
        QCOMPARE(r.parzen.standardError, e.test.standardError);
        QCOMPARE(r.parzen.testLogDensity.size(), Eigen::Index(55));
        // The sweep must have found an interior optimum here, or the test above proves little.
        QVERIFY(r.parzen.sigma != o.sigmas.front() && r.parzen.sigma != o.sigmas.back());

        // The test curve: every sigma on the test set.
        QCOMPARE(int(r.testCurve.size()), 5);
        const auto ll = parzenLogDensity(samples.topRows(50), test, o.sigmas);
        for (int k = 0; k < 5; ++k) {
            const MeanAndError me = meanAndStandardError(ll->col(k));
            QCOMPARE(r.testCurve[k].sigma, o.sigmas[k]);
            QCOMPARE(r.testCurve[k].mean, me.mean);
            QCOMPARE(r.testCurve[k].standardError, me.standardError);
        }
    }

    // A model: the kernel centres are chainMeans' with the options' start, burn-in, thinning and seed.
    void modelChainMatchesChainMeans_data()
    {
        QTest::addColumn<int>("start");  // 0 noise, 1 zeros, 2 test row 4
        QTest::addColumn<long long>("burnin");
        QTest::addColumn<long long>("thin");
        QTest::addColumn<qulonglong>("seed");
        QTest::newRow("noise, burn-in 10") << 0 << 10LL << 1LL << 1ULL;
        QTest::newRow("zeros, thin 3") << 1 << 0LL << 3LL << 7ULL;
        QTest::newRow("test row, burn-in 5, thin 2") << 2 << 5LL << 2LL << 3ULL;
    }
    void modelChainMatchesChainMeans()
    {
        QFETCH(int, start);
        QFETCH(long long, burnin);
        QFETCH(long long, thin);
        QFETCH(qulonglong, seed);
        const auto model = smallModel();
        const Matrix valid = randomMatrix(30, 12, 4), test = randomMatrix(20, 12, 5);
        ParzenProtocolOptions o;
        o.samples = 60;
        o.burnin = burnin;
        o.thin = thin;
        o.seed = seed;
        o.validationRows = 30;
        o.sigmas = {0.1, 0.3, 1.0};
        o.init = start == 0 ? ChainInit::noise() : start == 1 ? ChainInit::zeros() : ChainInit::fromRow(test, 4);
        const ParzenProtocolResult r = runParzenProtocol(*model, valid, test, o);
        QVERIFY(!r.cancelled);
        const Matrix expected = chainMeans(*model, o.init, 60, burnin, thin, seed);
        QCOMPARE((*r.samples - expected).cwiseAbs().maxCoeff(), 0.0f);
        const Expected e = byHand(expected, valid, 30, test, o.sigmas);
        QCOMPARE(r.parzen.sigma, e.sigma);
        QCOMPARE(r.parzen.mean, e.test.mean);
        QCOMPARE(r.parzen.standardError, e.test.standardError);
        QVERIFY(r.testCurve.empty());
    }

    // Binarisation: thresholds at 0.5 (samples too, or only the evaluation sets), stochastic from Philox.
    void binarization()
    {
        const Matrix samples = randomMatrix(30, 12, 6), valid = randomMatrix(20, 12, 7), test = randomMatrix(25, 12, 8);
        const Matrix samplesBin = (samples.array() > 0.5f).cast<float>();
        const Matrix validBin = (valid.array() > 0.5f).cast<float>();
        const Matrix testBin = (test.array() > 0.5f).cast<float>();
        ParzenProtocolOptions o;
        o.samples = 30;
        o.validationRows = 20;
        o.sigmas = {0.2, 0.5, 1.0};

        o.binarize = ParzenBinarize::All;
        const ParzenProtocolResult all = runParzenProtocol(samples, valid, test, o);
        QCOMPARE((*all.samples - samplesBin).cwiseAbs().maxCoeff(), 0.0f);
        const Expected eAll = byHand(samplesBin, validBin, 20, testBin, o.sigmas);
        QCOMPARE(all.parzen.sigma, eAll.sigma);
        QCOMPARE(all.parzen.mean, eAll.test.mean);

        o.binarize = ParzenBinarize::Evaluation;
        const ParzenProtocolResult evaluation = runParzenProtocol(samples, valid, test, o);
        QCOMPARE((*evaluation.samples - samples).cwiseAbs().maxCoeff(), 0.0f);
        const Expected eEval = byHand(samples, validBin, 20, testBin, o.sigmas);
        QCOMPARE(evaluation.parzen.mean, eEval.test.mean);

        // Stochastic: binary, each pixel = 1 iff Philox(seed, row, 0)'s draw is below the grey level.
        o.binarize = ParzenBinarize::Stochastic;
        o.seed = 9;
        const ParzenProtocolResult stochastic = runParzenProtocol(samples, valid, test, o);
        Matrix drawn(30, 12);
        for (int r = 0; r < 30; ++r) {
            Philox rng(9, static_cast<std::uint64_t>(r), 0);
            for (int c = 0; c < 12; ++c)
                drawn(r, c) = rng.uniform() < samples(r, c) ? 1.0f : 0.0f;
        }
        QCOMPARE((*stochastic.samples - drawn).cwiseAbs().maxCoeff(), 0.0f);
        QVERIFY((drawn - samplesBin).cwiseAbs().sum() > 0.0f);  // not the threshold in disguise
        QCOMPARE(runParzenProtocol(samples, valid, test, o).parzen.mean, stochastic.parzen.mean);
    }

    // Progress: the phases in order, each counting up to its total.
    void progressPhases()
    {
        const auto model = smallModel();
        const Matrix valid = randomMatrix(300, 12, 10), test = randomMatrix(500, 12, 11);
        ParzenProtocolOptions o;
        o.samples = 40;
        o.burnin = 7;
        o.thin = 2;
        o.validationRows = 300;
        o.sigmas = {0.2, 0.5};
        o.testCurve = true;
        struct Call {
            ProtocolPhase phase;
            long long done, total;
        };
        std::vector<Call> calls;
        const ParzenProtocolResult r =
            runParzenProtocol(*model, valid, test, o, [&](ProtocolPhase p, long long d, long long t) { calls.push_back({p, d, t}); });
        QVERIFY(!r.cancelled);
        const std::vector<std::pair<ProtocolPhase, long long>> phases = {
            {ProtocolPhase::Sampling, 7 + 40 * 2}, {ProtocolPhase::Validation, 300}, {ProtocolPhase::Test, 500},
            {ProtocolPhase::TestCurve, 500}};
        std::size_t i = 0;
        for (const auto& [phase, total] : phases) {
            long long last = 0;
            QVERIFY2(i < calls.size() && calls[i].phase == phase, qPrintable(QString::number(int(phase))));
            while (i < calls.size() && calls[i].phase == phase) {
                QCOMPARE(calls[i].total, total);
                QVERIFY(calls[i].done > last);
                last = calls[i].done;
                ++i;
            }
            QCOMPARE(last, total);
        }
        QCOMPARE(i, calls.size());
    }

    // Cancel: before the start, during the chain and during the Parzen passes; each returns promptly
    // with a cancelled result.
    void cancel_data()
    {
        QTest::addColumn<int>("when");  // 0 before, 1 in the chain, 2 in validation, 3 in the test pass
        QTest::newRow("before the start") << 0;
        QTest::newRow("during the chain") << 1;
        QTest::newRow("during validation") << 2;
        QTest::newRow("during the test pass") << 3;
    }
    void cancel()
    {
        QFETCH(int, when);
        const auto model = smallModel();
        const Matrix valid = randomMatrix(3000, 12, 12), test = randomMatrix(3000, 12, 13);
        ParzenProtocolOptions o;
        o.samples = 2000;
        // Without a cancel, the chain alone would run for hours.
        o.burnin = when == 1 ? 1'000'000'000'000LL : 0;
        o.validationRows = 3000;
        std::atomic<bool> cancel{when == 0};
        long long callsAfterCancel = 0;
        const ProtocolPhase target = when == 1 ? ProtocolPhase::Sampling : when == 2 ? ProtocolPhase::Validation : ProtocolPhase::Test;
        const auto progress = [&](ProtocolPhase p, long long done, long long) {
            if (cancel.load())
                ++callsAfterCancel;
            if (p == target && done >= (when == 1 ? 100 : 1))
                cancel.store(true);
        };
        const auto t0 = std::chrono::steady_clock::now();
        const ParzenProtocolResult r = runParzenProtocol(*model, valid, test, o, progress, &cancel);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        QVERIFY(r.cancelled);
        QVERIFY(!r.samples);
        QVERIFY2(seconds < 20.0, qPrintable(QString::number(seconds)));
        if (when == 0)
            QCOMPARE(callsAfterCancel, 0LL);
        if (when == 1)
            QVERIFY2(callsAfterCancel == 0, qPrintable(QString::number(callsAfterCancel)));  // stops at the next step
    }

    // Bad options and sets are refused before any work, with a message naming the option.
    void refusesBadOptions_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("field");
        QTest::newRow("no samples") << 0 << "samples";
        QTest::newRow("negative burn-in") << 1 << "burnin";
        QTest::newRow("thinning 0") << 2 << "thin";
        QTest::newRow("empty sigma grid") << 3 << "sigmas";
        QTest::newRow("negative sigma") << 4 << "sigmas";
        QTest::newRow("NaN sigma") << 5 << "sigmas";
        QTest::newRow("more validation rows than given") << 6 << "validationRows";
        QTest::newRow("no validation rows") << 7 << "validationRows";
        QTest::newRow("samples x thin overflows") << 8 << "samples";
        QTest::newRow("test set of another width") << 9 << "width";
        QTest::newRow("fewer given samples than asked") << 10 << "samples";
        QTest::newRow("empty test set") << 11 << "test";
    }
    void refusesBadOptions()
    {
        QFETCH(int, which);
        QFETCH(QString, field);
        const auto model = smallModel();
        const Matrix valid = randomMatrix(40, 12, 14);
        Matrix test = randomMatrix(20, 12, 15);
        ParzenProtocolOptions o;
        o.samples = 30;
        o.validationRows = 40;
        switch (which) {
        case 0: o.samples = 0; break;
        case 1: o.burnin = -1; break;
        case 2: o.thin = 0; break;
        case 3: o.sigmas.clear(); break;
        case 4: o.sigmas = {0.1, -0.5}; break;
        case 5: o.sigmas = {std::nan("")}; break;
        case 6: o.validationRows = 41; break;
        case 7: o.validationRows = 0; break;
        case 8: o.samples = 1LL << 40; o.thin = 1LL << 30; break;
        case 9: test = randomMatrix(20, 13, 15); break;
        case 10: o.samples = 31; break;
        case 11: test = Matrix(0, 12); break;
        }
        const std::string prefix = "parzen protocol: " + field.toStdString() + ":";
        bool progressed = false;
        const auto progress = [&](ProtocolPhase, long long, long long) { progressed = true; };
        try {
            if (which == 10)
                runParzenProtocol(randomMatrix(30, 12, 16), valid, test, o, progress);
            else
                runParzenProtocol(*model, valid, test, o, progress);
            QFAIL("expected gsn::Error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).rfind(prefix, 0) == 0, e.what());
        }
        QVERIFY(!progressed);
        // The given-samples entry point checks the options the same way.
        if (which != 1 && which != 2 && which != 10) {
            QVERIFY_THROWS_EXCEPTION(Error, runParzenProtocol(randomMatrix(30, 12, 16), valid, test, o));
        }
    }

    // Issue 12 item 2: `gsn eval --samples` on an .npy whose header claims h x w beyond 64 bits (and no data)
    // is refused with a message naming the file and the shape (the product used to overflow: UB).
    void evalCommandRefusesOverflowingShape()
    {
        const QString gsn = qEnvironmentVariable("GSN_BINARY_DIR") + "/app/gsn";
        if (qEnvironmentVariable("GSN_BINARY_DIR").isEmpty() || !QFileInfo(gsn).isExecutable())
            QSKIP("the gsn binary is not built (GSN_BINARY_DIR/app/gsn)");
        const QString dir = qEnvironmentVariable("GSN_TEST_TMP", QDir::tempPath()) + "/evalprotocol";
        QVERIFY(QDir().mkpath(dir));
        const QString path = dir + "/overflow.npy";
        QByteArray header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3037000500, 3037000500), }";
        header += QByteArray(63 - (10 + header.size()) % 64, ' ') + "\n";  // magic + version + length: 10 bytes
        QByteArray bytes = QByteArray("\x93NUMPY\x01\x00", 8);
        bytes += char(header.size() & 0xff);
        bytes += char(header.size() >> 8);
        bytes += header;
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(bytes);
        file.close();
        QProcess proc;
        proc.start(gsn, {"eval", "--samples", path, "--n", "10"});
        QVERIFY(proc.waitForFinished(60000));
        const QString err = QString::fromUtf8(proc.readAllStandardError());
        QCOMPARE(proc.exitCode(), 1);
        QVERIFY2(err.contains(path + ": shape: expected at most 9223372036854775807 values per row, the sizes 3037000500 x "
                                      "3037000500 need more"),
                 qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestEvalProtocol)
#include "tst_evalprotocol.moc"
