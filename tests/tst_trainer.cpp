// The trainer on real MNIST: the loss goes down, cancel stops within one batch, a diverging step (huge
// learning rate) stops with an error and leaves the parameters and the last checkpoint as they were,
// a run resumed from a checkpoint (mid-epoch or at an epoch end) is bit-identical to an uninterrupted
// one, and learning rate / momentum changes between batches take effect.

#include "checkpoint.h"
#include "datasets.h"
#include "error.h"
#include "parallel.h"
#include "testsupport.h"
#include "tinydae.h"
#include "trainer.h"

#include <QProcess>
#include <QtTest>

#include <algorithm>
#include <csignal>
#include <limits>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

using namespace gsn;
using nlohmann::json;

namespace {

using test::readBytes;
using test::writeBytes;

std::string tempDir()
{
    return test::scratchDir("trainer").toStdString();
}

bool sameBits(const Matrix& a, const Matrix& b)
{
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(float)) == 0;
}

std::vector<Matrix> snapshot(Model& model)
{
    std::vector<Matrix> out;
    for (const ParamRef& p : model.parameters())
        out.push_back(*p.value);
    return out;
}

bool sameParameters(Model& model, const std::vector<Matrix>& values)
{
    const auto params = model.parameters();
    if (params.size() != values.size())
        return false;
    for (std::size_t i = 0; i < params.size(); ++i)
        if (!sameBits(*params[i].value, values[i]))
            return false;
    return true;
}

// Small models of every kind the trainer drives; "tiny-dae" is the test double from tinydae.h.
json configFor(const std::string& kind)
{
    if (kind == "tiny-dae")
        return {{"kind", "tiny-dae"}, {"sizes", {784, 32}}};
    if (kind == "gsn2")
        return {{"kind", "gsn2"}, {"sizes", {784, 48, 48}}};
    if (kind == "dae")
        return {{"kind", "dae"}, {"sizes", {784, 48}}, {"walkback", 2}};
    if (kind == "rbm-pcd")
        return {{"kind", "rbm"}, {"sizes", {784, 48}}, {"persistent", true}, {"pcd_chains", 20}};
    throw std::logic_error("unknown test model " + kind);
}

ModelFactory factoryFor(const std::string& kind)
{
    return kind == "tiny-dae" ? ModelFactory(test::TinyDae::create) : ModelFactory();
}

std::unique_ptr<Model> makeModel(const std::string& kind, std::uint64_t seed)
{
    const json config = configFor(kind);
    return kind == "tiny-dae" ? test::TinyDae::create(config, seed) : createModel(config, seed);
}

TrainOptions options(std::uint64_t seed, int batch = 50)
{
    TrainOptions o;
    o.seed = seed;
    o.batchSize = batch;
    o.learningRate = 0.25;
    o.momentum = 0.5;
    o.decay = 0.99;
    return o;
}

// The gsn binary of this build (tests get GSN_BINARY_DIR from CTest).
QString gsnBinary()
{
    const char* dir = std::getenv("GSN_BINARY_DIR");
    return QString::fromLocal8Bit(dir && *dir ? dir : ".") + "/app/gsn";
}

QStringList smallRun(const std::string& out)
{
    return {"train", "--model", "gsn2", "--hidden", "64,64", "--data", "mnist", "--examples", "4000", "--batch", "20",
            "--epochs", "2", "--seed", "5", "--out", QString::fromStdString(out)};
}

} // namespace

class TestTrainer : public QObject {
    Q_OBJECT

    Dataset m_data; // the first 500 MNIST training digits (real data, grey levels in [0, 1])

private slots:
    void initTestCase()
    {
        const Dataset all = loadDataset("mnist-train");
        // 490 rows, batch 50: 10 batches per epoch, the last one short (40 rows).
        m_data = all.slice(0, 490, "[0:490]");
        QCOMPARE(m_data.count(), 490);
    }

    void epochOrderIsAKeyedPermutation()
    {
        const std::vector<int> a = Trainer::epochOrder(7, 0, 1000);
        std::set<int> seen(a.begin(), a.end());
        QCOMPARE(int(seen.size()), 1000);
        QCOMPARE(*seen.begin(), 0);
        QCOMPARE(*seen.rbegin(), 999);
        QCOMPARE(Trainer::epochOrder(7, 0, 1000), a);   // same key, same order
        QVERIFY(Trainer::epochOrder(7, 1, 1000) != a);  // next epoch reshuffles
        QVERIFY(Trainer::epochOrder(8, 0, 1000) != a);  // other seed
        int fixedPoints = 0;
        for (int i = 0; i < 1000; ++i)
            fixedPoints += a[std::size_t(i)] == i;
        QVERIFY2(fixedPoints < 10, "order barely shuffled"); // expected 1 for a uniform permutation
        QCOMPARE(Trainer::batchesPerEpoch(490, 50), 10);
        QCOMPARE(Trainer::batchesPerEpoch(500, 50), 10);
    }

    void lossDecreases_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("tiny-dae") << "tiny-dae";
        QTest::newRow("gsn2 784-48-48") << "gsn2";
        QTest::newRow("dae 784-48 walkback 2") << "dae";
    }

    void lossDecreases()
    {
        QFETCH(QString, kind);
        auto model = makeModel(kind.toStdString(), 3);
        // Held-out digits (rows 490-689, never trained on) scored with one fixed noise key before and after
        // training: the corruption is identical in both, so the difference comes from the parameters alone.
        const Dataset heldOut = loadDataset("mnist-train").slice(490, 690, "[490:690]");
        NoiseKey key;
        key.seed = 99;
        key.step = 0;
        for (int r = 0; r < heldOut.count(); ++r)
            key.rowStream.push_back(std::uint64_t(490 + r));
        std::vector<Matrix> grads;
        const double before = model->lossAndGradient(heldOut.pixels, key, grads);

        Trainer trainer(*model, m_data, TrainState::start(*model, options(3)));
        std::vector<double> means;
        trainer.setEpochCallback([&](const EpochSummary& s) { means.push_back(s.meanLoss); });
        const TrainResult r = trainer.run(4);
        QCOMPARE(int(r.status), int(TrainStatus::Finished));
        QCOMPARE(int(means.size()), 4);
        const double after = model->lossAndGradient(heldOut.pixels, key, grads);
        qInfo("%s: held-out loss %.4f -> %.4f (%.1f%%); epoch means %.4f %.4f %.4f %.4f", qPrintable(kind), before,
              after, 100 * (after - before) / before, means[0], means[1], means[2], means[3]);
        QVERIFY2(after < 0.98 * before, "held-out loss did not drop by 2% after 4 epochs");
        QVERIFY(means[3] < means[2] && means[2] < means[1] && means[1] < means[0]);
    }

    void cancelStopsWithinOneBatch_data()
    {
        QTest::addColumn<int>("cancelAfter"); // batches completed when the flag is raised; -1 = before run()
        QTest::newRow("raised before the run") << -1;
        QTest::newRow("raised during batch 3") << 3;
        QTest::newRow("raised during the last batch of epoch 1") << 10;
    }

    void cancelStopsWithinOneBatch()
    {
        QFETCH(int, cancelAfter);
        auto model = makeModel("tiny-dae", 5);
        Trainer trainer(*model, m_data, TrainState::start(*model, options(5)));
        std::atomic<bool> cancel{cancelAfter < 0};
        int batches = 0;
        trainer.setBatchCallback([&](const BatchProgress&) {
            if (++batches == cancelAfter)
                cancel.store(true);
        });
        const TrainResult r = trainer.run(3, &cancel);
        QCOMPARE(int(r.status), int(TrainStatus::Cancelled));
        const int expected = std::max(cancelAfter, 0);
        QCOMPARE(batches, expected);
        QCOMPARE(trainer.state().step, std::uint64_t(expected));
        QCOMPARE(trainer.state().epoch * 10 + trainer.state().batch, expected);
    }

    // A huge learning rate set mid-run makes the loss overflow: training stops inside that batch, the
    // parameters stay at the last good batch and the checkpoint of the last epoch end is byte-identical.
    void divergenceKeepsLastGood()
    {
        auto model = makeModel("gsn2", 11);
        Trainer trainer(*model, m_data, TrainState::start(*model, options(11)));
        const std::string path = tempDir() + "/diverge.safetensors";
        std::filesystem::remove(path);
        const CheckpointInfo info{m_data.name, m_data.hash, "mnist", "train", m_data.count(), 3};
        trainer.setEpochCallback([&](const EpochSummary&) { saveCheckpoint(path, *model, &trainer.state(), info); });
        std::vector<Matrix> lastGood;
        std::vector<Matrix> lastGoodVelocity;
        trainer.setBatchCallback([&](const BatchProgress& p) {
            lastGood = snapshot(*model);
            lastGoodVelocity = trainer.state().velocity;
            if (p.epoch == 1 && p.batch == 2)
                trainer.setLearningRate(1e38);
        });
        const TrainResult r = trainer.run(3);
        QCOMPARE(int(r.status), int(TrainStatus::Diverged));
        QVERIFY2(r.message.find("diverged at epoch 2") != std::string::npos, r.message.c_str());
        QVERIFY2(r.message.find("not finite") != std::string::npos || r.message.find("loss is") != std::string::npos,
                 r.message.c_str());
        QCOMPARE(trainer.state().epoch, 1);
        QVERIFY(trainer.state().batch >= 3);
        QVERIFY(sameParameters(*model, lastGood));
        for (std::size_t i = 0; i < lastGoodVelocity.size(); ++i)
            QVERIFY(sameBits(trainer.state().velocity[i], lastGoodVelocity[i]));
        for (const ParamRef& p : model->parameters())
            QVERIFY(p.value->allFinite());

        // The epoch-1 checkpoint is still there and still what it was; saving the diverged model's
        // last good state would be allowed, but a NaN can never be written (tst_checkpoint covers that).
        const Checkpoint ck = loadCheckpoint(path);
        QCOMPARE(ck.state.epoch, 1);
        QCOMPARE(ck.state.batch, 0);
    }

    // A NaN planted in a training example (past the loaders, which refuse one): the run stops in the first
    // batch holding that example, the message names the example, the pixel and the batch, the parameters
    // stay at the last good batch and the checkpoint saved after it loads and is unchanged.
    void nanInBatchIsCaught()
    {
        Dataset data = m_data;
        const int example = 123;
        const int pixel = 407;
        data.pixels(example, pixel) = std::numeric_limits<float>::quiet_NaN();
        const std::vector<int> order = Trainer::epochOrder(13, 0, data.count());
        const int slot = int(std::find(order.begin(), order.end(), example) - order.begin());
        const int badBatch = slot / 50; // 0-based batch of epoch 1 holding the example
        QVERIFY2(badBatch > 0, "seed 13 puts the example in batch 1; the test needs a good batch first");

        auto model = makeModel("gsn2", 13);
        Trainer trainer(*model, data, TrainState::start(*model, options(13)));
        const std::string path = tempDir() + "/nan-batch.safetensors";
        std::filesystem::remove(path);
        const CheckpointInfo info{data.name, data.hash, "mnist", "train", data.count(), 3};
        std::vector<Matrix> lastGood;
        trainer.setBatchCallback([&](const BatchProgress&) {
            lastGood = snapshot(*model);
            saveCheckpoint(path, *model, &trainer.state(), info); // as --checkpoint-every 1
        });
        const TrainResult r = trainer.run(3);
        QCOMPARE(int(r.status), int(TrainStatus::Diverged));
        const std::string want = "stopped at epoch 1, batch " + std::to_string(badBatch + 1) + " of 10: input example " +
                                 std::to_string(example) + " of " + data.name + " has NaN at pixel " +
                                 std::to_string(pixel) + "; parameters kept at the last good batch";
        QCOMPARE(QString::fromStdString(r.message), QString::fromStdString(want));
        QCOMPARE(trainer.state().batch, badBatch);
        QVERIFY(sameParameters(*model, lastGood));
        const Checkpoint ck = loadCheckpoint(path);
        QCOMPARE(ck.state.epoch, 0);
        QCOMPARE(ck.state.batch, badBatch);
        QVERIFY(sameParameters(*ck.model, lastGood));
    }

    // Loss overflow with finite gradients still names a layer (the parameter with the largest values).
    void overflowNamesTheLayer()
    {
        auto model = makeModel("gsn2", 11);
        Trainer trainer(*model, m_data, TrainState::start(*model, options(11)));
        trainer.setLearningRate(1e38);
        const TrainResult r = trainer.run(1);
        QCOMPARE(int(r.status), int(TrainStatus::Diverged));
        QVERIFY2(r.message.rfind("diverged at epoch 1, batch ", 0) == 0, r.message.c_str());
        bool named = false;
        for (const ParamRef& p : model->parameters())
            named = named || r.message.find(" " + p.name + " ") != std::string::npos;
        QVERIFY2(named, r.message.c_str());
    }

    void resumeIsBitIdentical_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("stopAfter");   // batches completed before the interruption
        QTest::addColumn<int>("resumeThreads"); // 0 = unchanged
        QTest::addColumn<bool>("changeSeed"); // control: resuming with another seed must differ
        QTest::newRow("tiny-dae, mid-epoch") << "tiny-dae" << 17 << 0 << false;
        QTest::newRow("tiny-dae, epoch end") << "tiny-dae" << 10 << 0 << false;
        QTest::newRow("gsn2, mid-epoch") << "gsn2" << 13 << 0 << false;
        QTest::newRow("gsn2, epoch end") << "gsn2" << 20 << 0 << false;
        QTest::newRow("gsn2, mid-epoch, resumed on 1 thread") << "gsn2" << 13 << 1 << false;
        QTest::newRow("dae, mid-epoch") << "dae" << 7 << 0 << false;
        QTest::newRow("rbm pcd, mid-epoch") << "rbm-pcd" << 15 << 0 << false;
        QTest::newRow("control: other seed differs") << "gsn2" << 13 << 0 << true;
    }

    void resumeIsBitIdentical()
    {
        QFETCH(QString, kind);
        QFETCH(int, stopAfter);
        QFETCH(int, resumeThreads);
        QFETCH(bool, changeSeed);
        const std::string k = kind.toStdString();
        const int epochs = 3;

        // Uninterrupted reference.
        auto reference = makeModel(k, 21);
        const std::vector<Matrix> initial = snapshot(*reference);
        Trainer full(*reference, m_data, TrainState::start(*reference, options(21)));
        QCOMPARE(int(full.run(epochs).status), int(TrainStatus::Finished));
        QVERIFY(!sameParameters(*reference, initial)); // training changed something

        // Interrupted run: cancel after `stopAfter` batches, save, load into a fresh model, continue.
        auto first = makeModel(k, 21);
        Trainer part(*first, m_data, TrainState::start(*first, options(21)));
        std::atomic<bool> cancel{false};
        int done = 0;
        part.setBatchCallback([&](const BatchProgress&) {
            if (++done == stopAfter)
                cancel.store(true);
        });
        QCOMPARE(int(part.run(epochs, &cancel).status), int(TrainStatus::Cancelled));
        const std::string path = tempDir() + "/resume-" + k + ".safetensors";
        saveCheckpoint(path, *first, &part.state(), {m_data.name, m_data.hash, "mnist", "train", m_data.count(), epochs});
        first.reset();

        Checkpoint ck = loadCheckpoint(path, factoryFor(k));
        QCOMPARE(ck.state.epoch * 10 + ck.state.batch, stopAfter);
        if (changeSeed)
            ck.state.seed += 1;
        const int threadsBefore = engineThreads();
        if (resumeThreads > 0)
            setEngineThreads(resumeThreads);
        Trainer rest(*ck.model, m_data, std::move(ck.state));
        const TrainResult r = rest.run(epochs);
        setEngineThreads(threadsBefore);
        QCOMPARE(int(r.status), int(TrainStatus::Finished));

        const auto want = reference->parameters();
        const auto got = ck.model->parameters();
        bool identical = true;
        for (std::size_t i = 0; i < want.size(); ++i) {
            identical = identical && sameBits(*got[i].value, *want[i].value);
            identical = identical && sameBits(rest.state().velocity[i], full.state().velocity[i]);
        }
        QCOMPARE(identical, !changeSeed);
        QCOMPARE(rest.state().step, full.state().step);
        QCOMPARE(rest.state().learningRate, full.state().learningRate);
    }

    void learningRateAndMomentumChangesTakeEffect()
    {
        auto model = makeModel("gsn2", 9);
        Trainer trainer(*model, m_data, TrainState::start(*model, options(9)));
        std::vector<Matrix> afterBatch3;
        std::vector<double> lrs;
        std::vector<double> mus;
        trainer.setBatchCallback([&](const BatchProgress& p) {
            lrs.push_back(p.learningRate);
            mus.push_back(p.momentum);
            if (lrs.size() == 3) {
                afterBatch3 = snapshot(*model);
                trainer.setLearningRate(0.0); // from batch 4 on, theta -= 0 * m: parameters frozen
                trainer.setMomentum(0.9);
            }
        });
        QCOMPARE(int(trainer.run(2).status), int(TrainStatus::Finished));
        QCOMPARE(lrs[2], 0.25);
        QCOMPARE(mus[2], 0.5);
        QCOMPARE(lrs[3], 0.0);
        QCOMPARE(mus[3], 0.9);
        QCOMPARE(lrs.back(), 0.0);       // decay keeps multiplying the user's value: 0 * 0.99
        QCOMPARE(trainer.state().momentum, 0.9);
        QVERIFY(sameParameters(*model, afterBatch3));
        // The momentum buffers kept moving (mu changed, gradients kept coming): only lr was zeroed.
        QVERIFY(trainer.state().velocity[0].cwiseAbs().maxCoeff() > 0);

        // Control: without the change, the parameters keep moving after batch 3.
        auto control = makeModel("gsn2", 9);
        Trainer plain(*control, m_data, TrainState::start(*control, options(9)));
        QCOMPARE(int(plain.run(2).status), int(TrainStatus::Finished));
        QVERIFY(!sameParameters(*control, afterBatch3));
        QVERIFY_THROWS_EXCEPTION(Error, trainer.setLearningRate(-1));
        QVERIFY_THROWS_EXCEPTION(Error, trainer.setMomentum(1.0));
    }

    void decayIsAppliedPerEpoch()
    {
        auto model = makeModel("tiny-dae", 1);
        Trainer trainer(*model, m_data, TrainState::start(*model, options(1)));
        std::vector<double> lrs;
        trainer.setEpochCallback([&](const EpochSummary&) { lrs.push_back(trainer.state().learningRate); });
        QCOMPARE(int(trainer.run(3).status), int(TrainStatus::Finished));
        QCOMPARE(lrs, (std::vector<double>{0.25 * 0.99, 0.25 * 0.99 * 0.99, 0.25 * 0.99 * 0.99 * 0.99}));
    }

    void rejectsMismatches()
    {
        auto model = makeModel("tiny-dae", 1);
        Dataset faces = loadDataset("faces"); // 25 x 25 images: wrong size for a 784-pixel model
        QVERIFY_THROWS_EXCEPTION(Error, Trainer(*model, faces, TrainState::start(*model, options(1))));
        TrainState state = TrainState::start(*model, options(1));
        state.velocity.pop_back();
        QVERIFY_THROWS_EXCEPTION(Error, Trainer(*model, m_data, state));
        TrainOptions bad = options(1);
        bad.momentum = 1.0;
        QVERIFY_THROWS_EXCEPTION(Error, TrainState::start(*model, bad));
    }
    // `gsn train` end to end: Ctrl-C mid-epoch saves a resumable checkpoint (exit 130), `--resume` finishes
    // the run, and the result equals an uninterrupted run's bit for bit.
    void cliInterruptAndResume()
    {
        if (!QFileInfo::exists(gsnBinary()))
            QSKIP("gsn binary not built (build the gsn target)");
        const std::string dir = tempDir();
        const std::string a = dir + "/cli-full.safetensors";
        const std::string b = dir + "/cli-interrupted.safetensors";
        std::filesystem::remove(b);
        QProcess full;
        full.start(gsnBinary(), smallRun(a));
        QVERIFY(full.waitForFinished(300000));
        QCOMPARE(full.exitCode(), 0);

        QProcess run;
        run.setReadChannel(QProcess::StandardError); // waitForReadyRead waits on this channel
        run.start(gsnBinary(), smallRun(b));
        QVERIFY(run.waitForStarted());
        // Interrupt once the progress line shows batch 3 of epoch 1 (of 2 x 200: the run is far from done).
        QByteArray err;
        while (!err.contains("[3/200]")) {
            QVERIFY2(run.waitForReadyRead(120000), err.constData());
            err += run.readAllStandardError();
        }
        ::kill(static_cast<pid_t>(run.processId()), SIGINT);
        QVERIFY(run.waitForFinished(120000));
        err += run.readAllStandardError();
        QVERIFY2(run.exitStatus() == QProcess::NormalExit, err.right(300).constData());
        QCOMPARE(run.exitCode(), 130);
        const Checkpoint saved = loadCheckpoint(b);
        QCOMPARE(saved.state.epoch, 0);
        QVERIFY2(saved.state.batch >= 3 && saved.state.batch < 200, std::to_string(saved.state.batch).c_str());

        QProcess resume;
        resume.start(gsnBinary(), {"train", "--resume", QString::fromStdString(b)});
        QVERIFY(resume.waitForFinished(300000));
        QCOMPARE(resume.exitCode(), 0);
        Checkpoint x = loadCheckpoint(a);
        Checkpoint y = loadCheckpoint(b);
        QCOMPARE(y.state.epoch, 2);
        const auto px = x.model->parameters();
        const auto py = y.model->parameters();
        for (std::size_t i = 0; i < px.size(); ++i) {
            QVERIFY2(sameBits(*px[i].value, *py[i].value), px[i].name.c_str());
            QVERIFY2(sameBits(x.state.velocity[i], y.state.velocity[i]), px[i].name.c_str());
        }
    }

    // A diverging CLI run exits with a one-line error and writes nothing.
    void cliDivergenceWritesNothing()
    {
        if (!QFileInfo::exists(gsnBinary()))
            QSKIP("gsn binary not built (build the gsn target)");
        const std::string out = tempDir() + "/cli-diverged.safetensors";
        std::filesystem::remove(out);
        QStringList args = smallRun(out);
        args << "--lr" << "1e38";
        QProcess run;
        run.start(gsnBinary(), args);
        QVERIFY(run.waitForFinished(300000));
        QCOMPARE(run.exitCode(), 1);
        const QString err = QString::fromLocal8Bit(run.readAllStandardError());
        QVERIFY2(err.contains("training: diverged at epoch 1"), qPrintable(err));
        QVERIFY(!std::filesystem::exists(out));
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
