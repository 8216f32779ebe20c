// The studio session without any window: setting the dataset and the model (each signal fires once with
// the right values), the one model-fits-data rule and its refusal messages, opening and saving
// checkpoints on a worker, training and evaluation started and cancelled through the session.

#include "chaincontroller.h"
#include "checkpoint.h"
#include "model.h"
#include "sheetwriter.h"
#include "studiosession.h"
#include "testsupport.h"

#include <QApplication>
#include <QBuffer>
#include <QImage>
#include <QSignalSpy>
#include <QTest>

using namespace gsn;

Q_DECLARE_METATYPE(std::shared_ptr<const gsn::Dataset>)
Q_DECLARE_METATYPE(std::shared_ptr<const gsn::EvaluationOutcome>)

namespace {

// `count` deterministic width x height images with values in [0, 1].
std::shared_ptr<const Dataset> tinyDataset(int width, int height, int count = 200)
{
    auto data = std::make_shared<Dataset>();
    data->name = "tiny";
    data->width = width;
    data->height = height;
    data->pixels = Matrix(count, width * height);
    for (int r = 0; r < count; ++r)
        for (int c = 0; c < width * height; ++c)
            data->pixels(r, c) = float((r * 7 + c * 3) % 11) / 10.0f;
    data->hash = contentHash(*data);
    return data;
}

std::shared_ptr<const Model> dae(int visible)
{
    return std::shared_ptr<const Model>(createModel(
        {{"kind", "dae"}, {"sizes", {visible, 8}}, {"corruption", {{"type", "salt-and-pepper"}, {"level", 0.4}}}}, 1));
}

StudioModelPtr studioModel(std::shared_ptr<const Model> model, const QString& name, int width = 0, int height = 0)
{
    auto entry = std::make_shared<StudioModel>();
    entry->model = std::move(model);
    entry->name = name;
    entry->info.imageWidth = width;
    entry->info.imageHeight = height;
    return entry;
}

// V = 1000 validation rows (the protocol's) and 20 test rows of 16 pixels.
EvaluationSets tinySets()
{
    Matrix valid(1000, 16), test(20, 16);
    for (int r = 0; r < valid.rows(); ++r)
        for (int c = 0; c < 16; ++c)
            valid(r, c) = float((r + 5 * c) % 9) / 8.0f;
    for (int r = 0; r < test.rows(); ++r)
        for (int c = 0; c < 16; ++c)
            test(r, c) = float((3 * r + c) % 7) / 6.0f;
    return {std::make_shared<const Matrix>(std::move(valid)), std::make_shared<const Matrix>(std::move(test))};
}

} // namespace

class TestStudioSession : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        qRegisterMetaType<std::shared_ptr<const gsn::Dataset>>();
        qRegisterMetaType<std::shared_ptr<const gsn::EvaluationOutcome>>();
        qRegisterMetaType<gsn::StudioModelPtr>();
        m_dir = test::scratchDir("gui_studiosession");
    }

    void fitRule_data()
    {
        QTest::addColumn<int>("visible");
        QTest::addColumn<int>("storedWidth");
        QTest::addColumn<int>("storedHeight");
        QTest::addColumn<int>("dataWidth");  // the dataset is dataWidth x 3; 0: no dataset
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("height");
        QTest::addColumn<bool>("mismatch");
        QTest::newRow("dataset of the model's size") << 12 << 0 << 0 << 4 << 4 << 3 << false;
        QTest::newRow("dataset wins over the stored shape") << 12 << 2 << 6 << 4 << 4 << 3 << false;
        QTest::newRow("dataset of another size, stored shape") << 25 << 5 << 5 << 4 << 5 << 5 << true;
        QTest::newRow("dataset of another size, no shape") << 10 << 0 << 0 << 4 << 0 << 0 << true;
        QTest::newRow("no dataset, stored shape") << 12 << 2 << 6 << 0 << 2 << 6 << false;
        QTest::newRow("no dataset, no shape") << 12 << 0 << 0 << 0 << 0 << 0 << false;
    }

    void fitRule()
    {
        QFETCH(int, visible);
        QFETCH(int, storedWidth);
        QFETCH(int, storedHeight);
        QFETCH(int, dataWidth);
        QFETCH(int, width);
        QFETCH(int, height);
        QFETCH(bool, mismatch);
        ImageShape stored{storedWidth, storedHeight, storedWidth > 0};
        const auto data = dataWidth > 0 ? tinyDataset(dataWidth, 3, 2) : nullptr;
        const ModelImageFit fit = fitModelImages(visible, stored, data.get());
        QCOMPARE(fit.width, width);
        QCOMPARE(fit.height, height);
        QCOMPARE(fit.datasetMismatch, mismatch);
        QCOMPARE(fit.known(), width > 0);
    }

    void datasetAndModelSignalOnce()
    {
        StudioSession session;
        QSignalSpy datasets(&session, &StudioSession::datasetChanged);
        QSignalSpy models(&session, &StudioSession::modelChanged);
        QSignalSpy errors(&session, &StudioSession::error);
        const auto data = tinyDataset(4, 4);
        session.setDataset(data);
        QCOMPARE(datasets.count(), 1);
        QCOMPARE(datasets.front().at(0).value<std::shared_ptr<const Dataset>>(), data);
        QCOMPARE(session.dataset(), data);
        session.setDataset(nullptr); // ignored
        QCOMPARE(datasets.count(), 1);

        const StudioModelPtr model = studioModel(dae(16), "four");
        QVERIFY(session.setModel(model));
        QCOMPARE(models.count(), 1);
        QCOMPARE(models.front().at(0).value<StudioModelPtr>(), model);
        QCOMPARE(models.front().at(1).value<StudioSession::ModelChange>(), StudioSession::ModelChange::Installed);
        QCOMPARE(session.currentModel(), model);
        QCOMPARE(session.chains()->model(), model->model);
        QCOMPARE(session.chains()->width(), 4);
        QCOMPARE(session.chains()->height(), 4);
        QVERIFY(!session.setModel(nullptr)); // no model: refused without a message
        QCOMPARE(errors.count(), 0);
        QCOMPARE(models.count(), 1);
        // Nothing of this needed a window.
        QVERIFY(QApplication::topLevelWidgets().isEmpty());
    }

    void modelThatDoesNotFitIsRefused_data()
    {
        QTest::addColumn<int>("dataWidth"); // 0: no dataset
        QTest::addColumn<int>("visible");
        QTest::addColumn<int>("storedSide");
        QTest::addColumn<QString>("message");
        QTest::newRow("dataset of another size")
            << 4 << 25 << 5
            << "m: the model is for 5x5 images, but the dataset tiny has 4x4 images; choose a matching dataset first";
        QTest::newRow("dataset of another size, shape unknown")
            << 4 << 12 << 0
            << "m: the model is for 12 pixels, but the dataset tiny has 4x4 images; choose a matching dataset first";
        QTest::newRow("no dataset, not square")
            << 0 << 12 << 0
            << "m: load a dataset first: the model does not store its image shape and 12 pixels is not a square image";
    }

    void modelThatDoesNotFitIsRefused()
    {
        QFETCH(int, dataWidth);
        QFETCH(int, visible);
        QFETCH(int, storedSide);
        QFETCH(QString, message);
        StudioSession session;
        if (dataWidth > 0)
            session.setDataset(tinyDataset(dataWidth, dataWidth));
        const StudioModelPtr before = studioModel(dae(16), "before", 4, 4);
        QVERIFY(session.setModel(before));
        QSignalSpy models(&session, &StudioSession::modelChanged);
        QSignalSpy errors(&session, &StudioSession::error);
        QVERIFY(!session.setModel(studioModel(dae(visible), "m", storedSide, storedSide)));
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.front().at(0).toString(), message);
        QCOMPARE(models.count(), 0);
        QCOMPARE(session.currentModel(), before); // the chains keep the previous model
        QCOMPARE(session.chains()->model(), before->model);
    }

    void openAndSaveOnTheSession()
    {
        StudioSession session;
        session.setDataset(tinyDataset(4, 4));
        const QString path = m_dir + "/four.safetensors";
        CheckpointInfo info;
        info.imageWidth = 4;
        info.imageHeight = 4;
        const auto model = dae(16);
        saveCheckpoint(path.toStdString(), *model, nullptr, info);

        QSignalSpy models(&session, &StudioSession::modelChanged);
        QSignalSpy finished(&session, &StudioSession::modelLoadFinished);
        QSignalSpy errors(&session, &StudioSession::error);
        session.openModel(path);
        QVERIFY(session.isLoading());
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.front().at(0).toString(), path);
        QCOMPARE(finished.front().at(1).toBool(), true);
        QCOMPARE(models.count(), 1);
        QCOMPARE(session.currentModel()->path, path);
        QCOMPARE(session.currentModel()->name, QString("four.safetensors"));
        QCOMPARE(errors.count(), 0);

        // A file that is not a checkpoint: a message, the model stays.
        const QString bad = m_dir + "/bad.safetensors";
        {
            QFile file(bad);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("not a checkpoint");
        }
        const StudioModelPtr current = session.currentModel();
        session.openModel(bad);
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.count(), 2);
        QCOMPARE(finished.back().at(1).toBool(), false);
        QCOMPARE(errors.count(), 1);
        QVERIFY(errors.front().at(0).toString().contains("bad.safetensors"));
        QCOMPARE(session.currentModel(), current);
        QCOMPARE(models.count(), 1);

        // Saving is written on a worker: saveModel returns at once, the model changes only when the file
        // is complete. Then it renames the current model and says so once (Saved: same parameters).
        const QString saved = m_dir + "/saved.safetensors";
        QSignalSpy saves(&session, &StudioSession::modelSaveFinished);
        QVERIFY(session.saveModel(saved));
        QVERIFY(session.isSaving());
        QCOMPARE(models.count(), 1);
        QCOMPARE(session.currentModel(), current);
        QVERIFY(saves.wait(10000));
        QCOMPARE(saves.front().at(0).toString(), saved);
        QCOMPARE(saves.front().at(1).toBool(), true);
        QVERIFY(!session.isSaving());
        QCOMPARE(models.count(), 2);
        QCOMPARE(models.back().at(1).value<StudioSession::ModelChange>(), StudioSession::ModelChange::Saved);
        QCOMPARE(session.currentModel()->path, saved);
        QCOMPARE(session.currentModel()->model, current->model);
        QVERIFY(QFile::exists(saved));
        QCOMPARE(session.currentModel()->fileHash, fileSha256(saved)); // what sheets name as the model's file
        QCOMPARE(session.currentModel()->fileHash.size(), 64);

        // A save that cannot be written says which file and why, and keeps the model as it was.
        const QString unwritable = m_dir + "/no-such-folder/x.safetensors";
        const StudioModelPtr before = session.currentModel();
        QVERIFY(session.saveModel(unwritable));
        QVERIFY(saves.wait(10000));
        QCOMPARE(saves.back().at(1).toBool(), false);
        QVERIFY2(errors.back().at(0).toString().contains("x.safetensors"), qPrintable(errors.back().at(0).toString()));
        QCOMPARE(session.currentModel(), before);
        QCOMPARE(models.count(), 2);

        // Two saves asked for at once are written one after the other, both complete.
        const QString first = m_dir + "/first.safetensors", second = m_dir + "/second.safetensors";
        QVERIFY(session.saveModel(first));
        QVERIFY(session.saveModel(second));
        QTRY_COMPARE_WITH_TIMEOUT(saves.count(), 4, 10000);
        QCOMPARE(saves.at(2).at(0).toString(), first);
        QCOMPARE(saves.at(3).at(0).toString(), second);
        QCOMPARE(session.currentModel()->path, second);
        QCOMPARE(fileSha256(first), fileSha256(second)); // the same parameters and state
        QVERIFY(session.saveModelAndWait(saved)); // the wait returns the outcome
        QCOMPARE(session.currentModel()->path, saved);
    }

    void trainingStartAndCancel()
    {
        StudioSession session;
        session.setDataset(tinyDataset(4, 4));
        QVERIFY(session.setModel(studioModel(dae(16), "four")));
        QSignalSpy models(&session, &StudioSession::modelChanged);
        QSignalSpy batches(session.training(), &TrainingController::batchDone);
        QSignalSpy finished(session.training(), &TrainingController::finished);
        TrainingRequest settings;
        settings.epochs = 100000;
        settings.batchSize = 10;
        QVERIFY(session.startTraining(settings));
        QVERIFY(session.training()->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(batches.count() > 3, 20000);
        session.cancelTraining();
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.front().at(0).value<TrainingController::Status>(), TrainingController::Status::Cancelled);
        QVERIFY(!session.training()->isRunning());
        // The parameters reached were kept: the current model is the trained one.
        QVERIFY(!models.isEmpty());
        QCOMPARE(models.back().at(1).value<StudioSession::ModelChange>(), StudioSession::ModelChange::Trained);
        QCOMPARE(session.currentModel(), models.back().at(0).value<StudioModelPtr>());
        QVERIFY(session.currentModel()->state);
        QVERIFY(session.currentModel()->state->step > 0);
        QTest::qWait(100);
        QCOMPARE(finished.count(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(TrainingController::liveWorkers(), 0, 10000);

        // Another model abandons a run: nothing more is said about it.
        QVERIFY(session.startTraining(settings));
        QTRY_VERIFY_WITH_TIMEOUT(batches.count() > 8, 20000);
        QVERIFY(session.setModel(studioModel(dae(16), "other")));
        QVERIFY(!session.training()->isRunning());
        const int batchesThen = batches.count();
        QTest::qWait(200);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(batches.count(), batchesThen);
        QCOMPARE(session.currentModel()->name, QString("other"));
        QTRY_COMPARE_WITH_TIMEOUT(TrainingController::liveWorkers(), 0, 10000);
    }

    // Replacing a model that training changed asks the guard first (the studio's Save / Discard / Cancel);
    // declining keeps the trained model; saving, or installing another model, makes it clean again.
    void replaceGuardProtectsTrainedModel()
    {
        StudioSession session;
        session.setDataset(tinyDataset(4, 4));
        int asked = 0;
        bool answer = false;
        session.setReplaceGuard([&] { ++asked; return answer; });
        QVERIFY(session.setModel(studioModel(dae(16), "four")));
        QCOMPARE(asked, 0); // nothing trained yet: no question
        QVERIFY(!session.hasUnsavedWork());

        QSignalSpy finished(session.training(), &TrainingController::finished);
        TrainingRequest settings;
        settings.epochs = 1;
        settings.batchSize = 10;
        QVERIFY(session.startTraining(settings));
        QVERIFY(session.hasUnsavedWork()); // a run is going on
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.front().at(0).value<TrainingController::Status>(), TrainingController::Status::Finished);
        QVERIFY(session.hasUnsavedWork()); // trained, not saved
        const StudioModelPtr trained = session.currentModel();

        // Declined: the trained model stays, for setModel and for openModel (which then reads nothing).
        QVERIFY(!session.setModel(studioModel(dae(16), "other")));
        QCOMPARE(asked, 1);
        QCOMPARE(session.currentModel(), trained);
        QSignalSpy loads(&session, &StudioSession::modelLoadFinished);
        session.openModel(m_dir + "/does-not-exist.safetensors");
        QCOMPARE(asked, 2);
        QCOMPARE(loads.count(), 1);
        QCOMPARE(loads.front().at(1).toBool(), false);
        QVERIFY(!session.isLoading());
        QCOMPARE(session.currentModel(), trained);

        // Saved: clean, no question.
        QVERIFY(session.saveModelAndWait(m_dir + "/guarded.safetensors"));
        QVERIFY(!session.hasUnsavedWork());
        QVERIFY(session.setModel(studioModel(dae(16), "third")));
        QCOMPARE(asked, 2);

        // Accepted (Discard): replaced.
        QVERIFY(session.startTraining(settings));
        QVERIFY(finished.wait(20000));
        answer = true;
        QVERIFY(session.setModel(studioModel(dae(16), "fourth")));
        QCOMPARE(asked, 3);
        QCOMPARE(session.currentModel()->name, QString("fourth"));
        QVERIFY(!session.hasUnsavedWork());
        QTRY_COMPARE_WITH_TIMEOUT(TrainingController::liveWorkers(), 0, 10000);
    }

    // A file that is plainly not a checkpoint is named for what it is, with what to do; the parser's
    // reason follows on a second line. The current model stays.
    void wrongFilesAreNamed_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("expected");
        QByteArray png;
        {
            QImage image(8, 8, QImage::Format_Grayscale8);
            image.fill(0);
            QBuffer buffer(&png);
            buffer.open(QIODevice::WriteOnly);
            QVERIFY(image.save(&buffer, "PNG"));
        }
        QTest::newRow("png") << png << "digit.png"
                             << "digit.png is a PNG image, not a model checkpoint (.safetensors); to start the chains "
                                "from it, use File > Start chains from image\n";
        QTest::newRow("text") << QByteArray("kind: gsn2\nsizes: 784 1500 1500\n") << "notes.safetensors"
                              << "notes.safetensors is a text file, not a model checkpoint (.safetensors)\n";
        QTest::newRow("idx") << QByteArray("\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x02" "abcd", 20)
                             << "images-idx3-ubyte"
                             << "images-idx3-ubyte is an IDX dataset file (MNIST format), not a model checkpoint "
                                "(.safetensors); if it holds images, open it with File > Open dataset file\n";
    }
    void wrongFilesAreNamed()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, file);
        QFETCH(QString, expected);
        const QString path = m_dir + "/" + file;
        test::writeBytes(path.toStdString(), bytes.toStdString());
        StudioSession session;
        session.setDataset(tinyDataset(4, 4));
        QVERIFY(session.setModel(studioModel(dae(16), "four")));
        const StudioModelPtr before = session.currentModel();
        QSignalSpy errors(&session, &StudioSession::error);
        QSignalSpy finished(&session, &StudioSession::modelLoadFinished);
        session.openModel(path);
        QVERIFY(finished.wait(10000));
        QCOMPARE(errors.count(), 1);
        const QString message = errors.front().at(0).toString();
        QVERIFY2(message.startsWith(expected), qPrintable(message));
        QVERIFY2(message.count('\n') == 1 && message.section('\n', 1).size() > 10, qPrintable(message));
        QCOMPARE(session.currentModel(), before);
    }

    void trainingRefusedWithoutData()
    {
        StudioSession session;
        QVERIFY(session.setModel(studioModel(dae(16), "four", 4, 4)));
        QSignalSpy errors(&session, &StudioSession::error);
        QVERIFY(!session.startTraining({}));
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.front().at(0).toString(), QString("Training: there is no model or no dataset"));
    }

    void evaluationFinishes()
    {
        StudioSession session;
        QSignalSpy progress(session.evaluation(), &EvaluateWorker::progress);
        QSignalSpy finished(session.evaluation(), &EvaluateWorker::finished);
        QSignalSpy cancelled(session.evaluation(), &EvaluateWorker::cancelled);
        EvaluationRequest request;
        request.model = dae(16);
        request.modelName = "four";
        request.samples = 50;
        request.burnin = 5;
        request.sets = tinySets();
        QVERIFY(session.startEvaluation(request));
        QVERIFY(session.evaluation()->isRunning());
        QVERIFY(!session.startEvaluation(request)); // one at a time
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(cancelled.count(), 0);
        QVERIFY(!session.evaluation()->isRunning());
        const auto outcome = finished.front().at(0).value<std::shared_ptr<const EvaluationOutcome>>();
        QVERIFY(outcome);
        QCOMPARE(outcome->samples->rows(), 50);
        QCOMPARE(outcome->request.modelName, QString("four"));
        QVERIFY(std::isfinite(outcome->result.mean));
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.back().at(0).toInt(), 1000);
    }

    void evaluationCancels()
    {
        StudioSession session;
        QSignalSpy progress(session.evaluation(), &EvaluateWorker::progress);
        QSignalSpy finished(session.evaluation(), &EvaluateWorker::finished);
        QSignalSpy cancelled(session.evaluation(), &EvaluateWorker::cancelled);
        QSignalSpy failed(session.evaluation(), &EvaluateWorker::failed);
        EvaluationRequest request;
        request.model = dae(16);
        request.samples = 1'000'000;
        request.burnin = 100'000'000;
        request.sets = tinySets();
        QVERIFY(session.startEvaluation(request));
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty(), 10000);
        session.cancelEvaluation();
        QVERIFY(cancelled.wait(10000));
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(finished.count(), 0);
        QCOMPARE(failed.count(), 0);
        QVERIFY(!session.evaluation()->isRunning());
        // And the next one runs.
        request.samples = 50;
        request.burnin = 5;
        QVERIFY(session.startEvaluation(request));
        QVERIFY(finished.wait(60000));
        QCOMPARE(cancelled.count(), 1);
    }

    void evaluationErrorIsTheExceptionText()
    {
        StudioSession session;
        QSignalSpy failed(session.evaluation(), &EvaluateWorker::failed);
        EvaluationRequest request;
        request.model = dae(25); // the sets have 16 pixels
        request.samples = 50;
        request.sets = tinySets();
        QVERIFY(session.startEvaluation(request));
        QVERIFY(failed.wait(10000));
        QCOMPARE(failed.front().at(0).toString(),
                 QString("evaluate: model: expected a model of MNIST digits (16 pixels), got 25 visible units"));
    }

private:
    QString m_dir;
};

QTEST_MAIN(TestStudioSession)
#include "tst_gui_studiosession.moc"
