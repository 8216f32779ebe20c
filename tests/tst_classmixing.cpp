// Mixing on MNIST (issue 15): class timelines against frames whose labels are known (real test digits
// fed in as frames), the unsure rule against hand-made probabilities, PCA against data with a
// constructed covariance, the data spread and the travel meter against closed forms.

#include "classifier.h"
#include "classmixing.h"
#include "datasets.h"
#include "error.h"
#include "pca.h"
#include "random.h"
#include "testsupport.h"

#include <Eigen/QR>

#include <QTest>

#include <cmath>

using namespace gsn;
using namespace gsn::mixing;

class TestClassMixing : public QObject {
    Q_OBJECT

private slots:
    // Chains that show real test digits the classifier is sure of: the timeline's classes are their
    // labels, and the switch, visit and first-visit counts are those of the label sequences.
    void timelineOfRealDigits()
    {
        const Classifier classifier =
            loadClassifier(std::string(GSN_SOURCE_DIR) + "/resources/mnist-classifier.safetensors");
        const Dataset& test = test::cachedDataset("mnist-test");
        // For each class, the first test digit the classifier names correctly with probability > 0.9.
        const Matrix p = classifier.probabilities(test.pixels.topRows(2000));
        std::vector<int> sure(10, -1);
        for (int i = 0; i < 2000; ++i) {
            Eigen::Index best = 0;
            const float conf = p.row(i).maxCoeff(&best);
            if (best == test.labels[static_cast<std::size_t>(i)] && conf > 0.9f && sure[static_cast<std::size_t>(best)] < 0)
                sure[static_cast<std::size_t>(best)] = i;
        }
        for (int k = 0; k < 10; ++k)
            QVERIFY2(sure[static_cast<std::size_t>(k)] >= 0, qPrintable(QString("no sure digit of class %1").arg(k)));
        // Chain 0: 3 3 5 5 5 3 (2 switches); chain 1: 0 1 2 ... 9 (9 switches, all ten seen at step 9).
        const std::vector<std::vector<int>> labels = {{3, 3, 5, 5, 5, 3, 3, 3, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}};
        ClassTimeline timeline(2, 10);
        for (int t = 0; t < 10; ++t) {
            Matrix frame(2, test.pixels.cols());
            for (int c = 0; c < 2; ++c)
                frame.row(c) = test.pixels.row(sure[static_cast<std::size_t>(labels[static_cast<std::size_t>(c)][static_cast<std::size_t>(t)])]);
            timeline.add(classifier, frame);
        }
        QCOMPARE(timeline.steps(), std::int64_t(10));
        for (int c = 0; c < 2; ++c)
            for (int t = 0; t < 10; ++t) {
                QCOMPARE(timeline.classAt(c, t), labels[static_cast<std::size_t>(c)][static_cast<std::size_t>(t)]);
                QVERIFY(timeline.confidenceAt(c, t) > 0.9f);
            }
        QCOMPARE(timeline.unsureFraction(), 0.0);
        const auto weights = labelFrequencies(test.labels, 10);
        const ClassMixingReport r = classMixingReport(timeline, weights, {}, 1.0);
        QCOMPARE(r.mixing.switchRatePer100, (std::vector<double>{100.0 * 2 / 9, 100.0 * 9 / 9}));
        QCOMPARE(r.mixing.firstFullVisit, (std::vector<std::int64_t>{-1, 9}));
        QCOMPARE(r.mixing.visits[3], std::int64_t(7 + 1));
        QCOMPARE(r.mixing.visits[5], std::int64_t(3 + 1));
        QCOMPARE(r.mixing.currentModes, (std::vector<int>{3, 9}));
        // The test set's class frequencies: 980 zeros, 1135 ones, ... of 10000.
        QCOMPARE(weights[0], 0.098);
        QCOMPARE(weights[1], 0.1135);
    }

    // An unsure frame (max probability < 0.5) is no visit and no switch: 3, unsure, 3 does not switch;
    // 3, unsure, 5 switches once.
    void unsureFramesAreBetweenModes()
    {
        auto probs = [](int a, float pa, int b, float pb) {
            Matrix p = Matrix::Constant(1, 10, (1.0f - pa - pb) / 8.0f);
            p(0, a) = pa;
            p(0, b) = pb;
            return p;
        };
        ClassTimeline same(1, 10), other(1, 10);
        same.addProbabilities(probs(3, 0.9f, 5, 0.05f));
        same.addProbabilities(probs(5, 0.45f, 3, 0.40f)); // argmax 5, but unsure
        same.addProbabilities(probs(3, 0.9f, 5, 0.05f));
        other.addProbabilities(probs(3, 0.9f, 5, 0.05f));
        other.addProbabilities(probs(5, 0.45f, 3, 0.40f));
        other.addProbabilities(probs(5, 0.9f, 3, 0.05f));
        QCOMPARE(same.classAt(0, 1), 5);
        QCOMPARE(same.confidentClasses()(0, 1), kNoMode);
        QCOMPARE(switchCounts(same.confidentClasses()), (std::vector<std::int64_t>{0}));
        QCOMPARE(switchCounts(other.confidentClasses()), (std::vector<std::int64_t>{1}));
        QVERIFY(std::abs(same.unsureFraction() - 1.0 / 3.0) < 1e-12);
        const auto r = classMixingReport(same, std::vector<double>(10, 0.1), {}, 1.0);
        QCOMPARE(r.mixing.visits[3], std::int64_t(2));
        QCOMPARE(r.mixing.visits[5], std::int64_t(0));
        QVERIFY(std::abs(r.unsureFraction - 1.0 / 3.0) < 1e-12);
        // Wrong shapes are refused with the expected shape in the message.
        try {
            same.addProbabilities(Matrix::Constant(2, 10, 0.1f));
            QFAIL("a 2-row step was accepted by a 1-chain timeline");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("expected 1 x 10"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, labelFrequencies({0, 10}, 10));
    }

    // PCA of data with a known covariance: x = z diag(3, 2, 1, 0.5) R^T for a random rotation R. The
    // components are R's columns (up to sign, fixed here), the variances 9, 4, 1, 0.25.
    void pcaFindsAConstructedCovariance()
    {
        const int n = 20000, d = 4;
        Philox rng(7, 0, 0);
        Eigen::MatrixXd a(d, d);
        for (int i = 0; i < d * d; ++i)
            a.data()[i] = rng.normal();
        const Eigen::MatrixXd r = Eigen::HouseholderQR<Eigen::MatrixXd>(a).householderQ();
        const Eigen::Vector4d scale(3.0, 2.0, 1.0, 0.5);
        Matrix x(n, d);
        for (int i = 0; i < n; ++i) {
            Eigen::Vector4d z;
            for (int j = 0; j < d; ++j)
                z(j) = rng.normal() * scale(j);
            x.row(i) = (r * z + Eigen::Vector4d(1, -2, 3, 0.5)).transpose().cast<float>();
        }
        const Pca pca = fitPca(x, 2);
        QCOMPARE(pca.count(), 2);
        for (int j = 0; j < 2; ++j) {
            const double cosine = std::abs(pca.components.col(j).dot(r.col(j)));
            QVERIFY2(cosine > 0.999, qPrintable(QString("component %1: |cos| = %2").arg(j).arg(cosine)));
            const double want = scale(j) * scale(j);
            QVERIFY2(std::abs(pca.variance[static_cast<std::size_t>(j)] - want) < 0.05 * want,
                     qPrintable(QString("variance %1: %2 vs %3").arg(j).arg(pca.variance[static_cast<std::size_t>(j)]).arg(want)));
        }
        QVERIFY(std::abs(pca.totalVariance - 14.25) < 0.05 * 14.25);
        QVERIFY(std::abs(pca.mean(0) - 1.0) < 0.1 && std::abs(pca.mean(1) + 2.0) < 0.1);
        // Projecting the mean gives the origin; a point one unit along component 0 gives (1, 0).
        Matrix probe(2, d);
        probe.row(0) = pca.mean.cast<float>();
        probe.row(1) = (pca.mean + pca.components.col(0).transpose()).cast<float>();
        const Eigen::MatrixXd y = pca.project(probe);
        QVERIFY(y.row(0).norm() < 1e-5);
        QVERIFY(std::abs(y(1, 0) - 1.0) < 1e-5 && std::abs(y(1, 1)) < 1e-5);
        QVERIFY_THROWS_EXCEPTION(Error, fitPca(x, 5));
        QVERIFY_THROWS_EXCEPTION(Error, pca.project(Matrix::Zero(1, 3)));
    }

    // The streaming monitor (the studio's Class mixing window) gives classMixingReport's figures on the
    // same probabilities: random frames, about a third of them unsure, 7 chains x 300 steps (the class
    // R-hat too: the history is not thinned before 1024 steps).
    void monitorEqualsTheTimelineReport()
    {
        const int chains = 7, classes = 10, steps = 300;
        Philox rng(11, 0, 0);
        ClassTimeline timeline(chains, classes);
        ClassMixingMonitor monitor(chains, std::vector<double>(classes, 0.1));
        QVERIFY(std::isnan(monitor.unsureFraction()));
        for (int t = 0; t < steps; ++t) {
            Matrix p = Matrix::Zero(chains, classes);
            for (int c = 0; c < chains; ++c) {
                // a sticky class per chain that jumps now and then, its probability sure (in [0.5, 0.95)) or
                // unsure (in [0.40, 0.499)): close to the 0.5 threshold on both sides; the rest spread evenly
                const int k = (c + t / (5 + c)) % classes;
                const bool unsure = rng.uniform() < 0.33;
                const float top = unsure ? 0.40f + 0.099f * rng.uniform() : 0.5f + 0.45f * rng.uniform();
                p.row(c).setConstant((1.0f - top) / (classes - 1));
                p(c, k) = top;
            }
            timeline.addProbabilities(p);
            monitor.addProbabilities(p);
            QCOMPARE(monitor.lastClasses()[3], timeline.classAt(3, t));
            QCOMPARE(monitor.lastConfidences()[3], timeline.confidenceAt(3, t));
        }
        const std::vector<double> weights(classes, 0.1);
        const ClassMixingReport want = classMixingReport(timeline, weights, {}, 1.0);
        const ClassMixingReport got = monitor.report({}, 1.0);
        QCOMPARE(got.mixing.steps, std::int64_t(steps));
        QCOMPARE(got.mixing.switchRatePer100, want.mixing.switchRatePer100);
        QVERIFY(want.mixing.meanSwitchRatePer100 > 1.0); // the chains do switch
        QCOMPARE(got.mixing.firstFullVisit, want.mixing.firstFullVisit);
        QCOMPARE(got.mixing.visits, want.mixing.visits);
        QCOMPARE(got.mixing.currentModes, want.mixing.currentModes);
        QVERIFY(std::abs(got.mixing.totalVariation - want.mixing.totalVariation) < 1e-12);
        QVERIFY(std::abs(got.unsureFraction - want.unsureFraction) < 1e-12);
        QVERIFY(want.unsureFraction > 0.25 && want.unsureFraction < 0.42);
        QVERIFY2(std::abs(got.mixing.modeRhatMax - want.mixing.modeRhatMax) < 1e-9,
                 qPrintable(QString("%1 vs %2").arg(got.mixing.modeRhatMax).arg(want.mixing.modeRhatMax)));
        QVERIFY(got.mixing.coordinates.empty());
        QVERIFY_THROWS_EXCEPTION(Error, monitor.addProbabilities(Matrix::Zero(chains, 3)));
    }

    // The spread of iid N(0, s^2) data in d dimensions is sqrt(2 d s^2); the travel meter averages the
    // step lengths of every chain.
    void spreadAndTravel()
    {
        const int n = 20000, d = 8;
        Philox rng(3, 0, 0);
        Matrix x(n, d);
        for (int i = 0; i < n * d; ++i)
            x.data()[i] = 0.5f * rng.normal();
        const double want = std::sqrt(2.0 * d * 0.25);
        QVERIFY2(std::abs(dataSpread(x) - want) < 0.02 * want, qPrintable(QString::number(dataSpread(x))));
        TravelMeter meter;
        QVERIFY(std::isnan(meter.meanStep()));
        Matrix s(2, 2);
        s << 0, 0, 1, 1;
        meter.add(s);
        s << 3, 4, 1, 1; // chain 0 moves 5, chain 1 stays
        meter.add(s);
        s << 3, 4, 1, 2; // chain 0 stays, chain 1 moves 1
        meter.add(s);
        QCOMPARE(meter.moves(), std::int64_t(4));
        QCOMPARE(meter.meanStep(), 6.0 / 4.0);
        QVERIFY_THROWS_EXCEPTION(Error, meter.add(Matrix::Zero(3, 2)));
    }
};

QTEST_GUILESS_MAIN(TestClassMixing)
#include "tst_classmixing.moc"
