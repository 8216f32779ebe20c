// Mixing against training and against the sampling noise (issue 15 item 4, engine/eval/mixingtraining.h)
// on the shipped DAE and real MNIST digits: the figures are those of the engine's own parts (the switch
// rate of ClassMixingChains run by hand, the Parzen protocol on the chain's means), reproducible from the
// seed; a noise scale of 1 is the model itself, of 0 a chain that stops switching; cancel stops.

#include "chains.h"
#include "checkpoint.h"
#include "classifier.h"
#include "classmixing.h"
#include "classmixingchains.h"
#include "datasets.h"
#include "error.h"
#include "mixingtraining.h"
#include "parzen.h"
#include "testsupport.h"

#include <QTest>

#include <atomic>
#include <cmath>

using namespace gsn;
using namespace gsn::mixing;

namespace {

std::shared_ptr<const Model> shipped(const char* file)
{
    return std::shared_ptr<const Model>(loadCheckpoint(std::string(GSN_SOURCE_DIR) + "/resources/" + file).model);
}

} // namespace

class TestMixingTraining : public QObject {
    Q_OBJECT

private slots:
    void snapshotFiguresAreTheEnginesOwn()
    {
        const Classifier classifier = loadClassifier(std::string(GSN_SOURCE_DIR) + "/resources/mnist-classifier.safetensors");
        const Dataset& test = test::cachedDataset("mnist-test");
        const Dataset& valid = test::cachedDataset("mnist-valid");
        const Matrix validation = valid.pixels.topRows(100);
        const auto dae = shipped("baseline-dae-walkback.safetensors");
        TrainingMixingOptions o;
        o.chains = 4;
        o.steps = 60;
        o.parzenSamples = 200;
        o.parzenTest = 200;
        const std::optional<SnapshotMixing> a = measureSnapshot(dae, 7, classifier, test, validation, o);
        QVERIFY(a);
        QCOMPARE(a->epoch, 7);
        qInfo("walkback DAE: switches %.3f / 100 steps, TV %.3f, unsure %.3f, Parzen %.1f +- %.1f at sigma %.3f", a->switchRatePer100,
              a->totalVariation, a->unsureFraction, a->parzenMean, a->parzenStandardError, a->parzenSigma);
        // The switch figures of the same chains run by hand.
        ClassMixingChains::Options options;
        options.keepTimeline = false;
        options.recordTop = false;
        ClassMixingChains chains(dae, false, classifier, testDigitStarts(test.pixels, 4, 0), 1, test.pixels.topRows(1000),
                                 labelFrequencies(test.labels, 10), "test", options);
        for (int t = 0; t < 60; ++t)
            chains.step(classifier);
        const ClassMixingReport r = chains.report();
        QCOMPARE(a->switchRatePer100, r.mixing.meanSwitchRatePer100);
        QCOMPARE(a->totalVariation, r.mixing.totalVariation);
        // The Parzen figure of the chain's 200 means, by the protocol.
        ChainSet one(dae, 28, 28);
        one.reset(testDigitStarts(test.pixels, 1, 0), 2);
        Matrix samples(200, 784);
        for (int i = 0; i < 200; ++i) {
            one.step();
            samples.row(i) = one.frame()->cells.row(0);
        }
        const auto parzen = parzenEvaluate(samples, validation, test.pixels.topRows(200), defaultSigmaGrid());
        QVERIFY(parzen);
        QCOMPARE(a->parzenMean, parzen->mean);
        QCOMPARE(a->parzenSigma, parzen->sigma);
        QVERIFY(std::isfinite(a->parzenStandardError) && a->parzenStandardError > 0);

        // Cancelled: no figures.
        std::atomic<bool> cancel{true};
        QVERIFY(!measureSnapshot(dae, 7, classifier, test, validation, o, &cancel));
        // Wrong data: a message naming the set.
        Dataset unlabelled = test;
        unlabelled.labels.clear();
        QVERIFY_THROWS_EXCEPTION(Error, measureSnapshot(dae, 7, classifier, unlabelled, validation, o));
    }

    void noiseActsAsATemperature()
    {
        const Classifier classifier = loadClassifier(std::string(GSN_SOURCE_DIR) + "/resources/mnist-classifier.safetensors");
        const Dataset& test = test::cachedDataset("mnist-test");
        const auto dae = shipped("baseline-dae-walkback.safetensors");
        TrainingMixingOptions o;
        o.chains = 6;
        o.steps = 80;
        o.parzenSamples = 0;
        // Scale 1 is the model: the same parameters and noise, so the same chains.
        const auto same = withNoiseScaled(*dae, 1.0);
        QCOMPARE(same->config().dump(), dae->config().dump());
        const auto base = measureSnapshot(dae, 0, classifier, test, Matrix(), o);
        const auto rates = switchRateAgainstNoise(*dae, {0.0, 1.0, 2.0}, classifier, test, o);
        QVERIFY(base && rates && rates->size() == 3);
        QCOMPARE((*rates)[1], base->switchRatePer100);
        qInfo("walkback DAE switch rate per 100 steps at noise x0 %.3f, x1 %.3f, x2 %.3f", (*rates)[0], (*rates)[1], (*rates)[2]);
        // The noise changes how the chains move (measured, seed 1: 17.7 switches per 100 steps without
        // corruption, where the Bernoulli draw of X alone moves the chain; 13.9 at the trained 0.4; 0 at 0.8,
        // where every reconstruction is the same blurred blob). Not monotone: a temperature only loosely.
        QVERIFY((*rates)[0] != (*rates)[2]);
        QVERIFY((*rates)[2] < (*rates)[1]);
        QCOMPARE(withNoiseScaled(*dae, 2.0)->config()["corruption"]["level"].get<double>(),
                 std::min(1.0, 2.0 * dae->config()["corruption"]["level"].get<double>()));
        QVERIFY_THROWS_EXCEPTION(Error, withNoiseScaled(*dae, -1.0));
        QVERIFY_THROWS_EXCEPTION(Error, withNoiseScaled(*shipped("baseline-rbm.safetensors"), 1.0));
        // The GSN-2: both its corruption and its hidden noise scale.
        const auto gsn = shipped("default-gsn2.safetensors");
        const auto half = withNoiseScaled(*gsn, 0.5);
        QCOMPARE(half->config()["hidden_noise"].get<double>(), 0.5 * gsn->config()["hidden_noise"].get<double>());
    }
};

QTEST_GUILESS_MAIN(TestMixingTraining)
#include "tst_mixingtraining.moc"
