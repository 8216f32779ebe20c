// Mixing against training in the studio (issue 15 item 4): the Training dock keeps a snapshot every E
// epochs (the right epochs, the models of those epochs), the Mixing vs training dialog measures them off the
// GUI thread with the engine's own figures (mixingtraining.h, recomputed here on the same snapshots), its
// noise sweep runs the current model at every noise scale, Cancel stops, and the CSV and the snapshot files
// (FILE.epoch-NNN.safetensors) are written and load.

#include "checkpoint.h"
#include "classifier.h"
#include "datasets.h"
#include "defaultmodel.h"
#include "glformat.h"
#include "mainwindow.h"
#include "mixinglabmetrics.h"
#include "mixingtraining.h"
#include "mixingtrainingdialog.h"
#include "backgroundjob.h"
#include "guisupport.h"
#include "testsupport.h"
#include "trainingcontroller.h"
#include "trainingdock.h"

#include <QFile>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

using namespace gsn;

namespace {

QString scratchDir()
{
    return test::scratchDir("gui_mixingtraining");
}

StudioModelPtr freshDae()
{
    auto entry = std::make_shared<StudioModel>();
    entry->model = std::shared_ptr<const Model>(createModel({{"kind", "dae"}, {"sizes", {784, 100}}}, 1));
    entry->name = QStringLiteral("small dae");
    return entry;
}

mixing::TrainingMixingOptions smallOptions()
{
    mixing::TrainingMixingOptions o;
    o.chains = 4;
    o.steps = 30;
    o.parzenSamples = 100;
    o.parzenTest = 100;
    return o;
}

bool waitIdle(const MixingTrainingDialog& d, int ms = 120000)
{
    QElapsedTimer t;
    t.start();
    while (d.isBusy() && t.elapsed() < ms)
        QTest::qWait(20);
    return !d.isBusy();
}

} // namespace

class TestMixingTrainingDialog : public QObject {
    Q_OBJECT
public:
    static void initMain()
    {
        test::isolateSettings(scratchDir());
        test::keepGlDriverForLeakCheck();
        setDefaultSurfaceFormat();
    }

private slots:
    void initTestCase() { test::clearSettings("tst_gui_mixingtraining"); }

    void snapshotsAreKeptAndMeasured()
    {
        MainWindow window;
        window.show();
        QVERIFY(window.loadDataset("mnist-test"));
        QVERIFY(window.setModel(freshDae()));
        TrainingDock* dock = window.trainingDock();
        QSpinBox* every = dock->findChild<QSpinBox*>(QStringLiteral("snapshotEvery"));
        QVERIFY(every);
        QCOMPARE(every->value(), 0); // off by default
        dock->setSnapshotEvery(2);
        dock->setEpochs(5);
        dock->setExamples(300);
        QSignalSpy finished(window.training(), &TrainingController::finished);
        dock->startOrResume();
        QVERIFY(finished.wait(120000));
        const std::vector<StudioModelPtr> snaps = dock->snapshots();
        QCOMPARE(snaps.size(), std::size_t(2));
        QCOMPARE(snaps[0]->epoch, 2);
        QCOMPARE(snaps[1]->epoch, 4);
        QVERIFY(snaps[0]->model != snaps[1]->model);

        dock->findChild<QPushButton*>(QStringLiteral("mixingVsTraining"))->click();
        MixingTrainingDialog* dialog = dock->findChild<MixingTrainingDialog*>();
        QVERIFY(dialog && dialog->isVisible());
        dialog->setOptions(smallOptions());
        dialog->setValidationDigits(100);
        QSignalSpy measured(dialog, &MixingTrainingDialog::measured);
        dialog->measureSnapshots();
        QVERIFY(dialog->isBusy());
        QVERIFY(waitIdle(*dialog));
        QVERIFY2(dialog->lastError().isEmpty(), qPrintable(dialog->lastError()));
        QCOMPARE(dialog->snapshotFigures().size(), std::size_t(2));
        // The engine's figures of the same snapshots.
        const std::shared_ptr<const Classifier> classifier = loadDefaultClassifier();
        const Dataset& test = test::cachedDataset("mnist-test");
        const Dataset& valid = test::cachedDataset("mnist-valid");
        for (std::size_t i = 0; i < 2; ++i) {
            const auto f = mixing::measureSnapshot(snaps[i]->model, snaps[i]->epoch, *classifier, test, valid.pixels.topRows(100),
                                                   smallOptions());
            QVERIFY(f);
            QCOMPARE(dialog->snapshotFigures()[i].epoch, snaps[i]->epoch);
            QCOMPARE(dialog->snapshotFigures()[i].switchRatePer100, f->switchRatePer100);
            QCOMPARE(dialog->snapshotFigures()[i].parzenMean, f->parzenMean);
        }
        const auto* plot = dialog->findChild<MixingLabMetricPlot*>(QStringLiteral("mixingParzenPlot"));
        QCOMPARE(plot->series().front().points.size(), std::size_t(2));
        QCOMPARE(plot->series().front().points.back().x(), 4.0);

        // The CSV and the snapshot files.
        const QString csv = scratchDir() + "/mixing.csv";
        dialog->exportCsv(csv);
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(file.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines[2].startsWith(QStringLiteral("snapshot,4,")));
        const QStringList files = dialog->saveSnapshots(scratchDir() + "/run.safetensors");
        QCOMPARE(files, (QStringList{QStringLiteral("run.epoch-002.safetensors"), QStringLiteral("run.epoch-004.safetensors")}));
        const Checkpoint back = loadCheckpoint((scratchDir() + "/run.epoch-004.safetensors").toStdString());
        QVERIFY(!back.hasState);
        QCOMPARE(back.model->config().dump(), snaps[1]->model->config().dump());

        // The noise sweep of the current model, and Cancel.
        dialog->measureNoise();
        QVERIFY(waitIdle(*dialog));
        QVERIFY2(dialog->lastError().isEmpty(), qPrintable(dialog->lastError()));
        QCOMPARE(dialog->noiseRates().size(), MixingTrainingDialog::noiseScales().size());
        dialog->measureSnapshots();
        dialog->cancel();
        QVERIFY(!dialog->isBusy());
        // The cancelled job stops at its next check (after loading the data): no worker is left running.
        QTRY_COMPARE_WITH_TIMEOUT(BackgroundJob::pendingThreads(), 0, 60000);

        // Another model (its unsaved training discarded): the snapshots were of the old one.
        {
            test::BoxAnswerer discard(QStringLiteral("unsavedWorkBox"), QMessageBox::Discard);
            QVERIFY(window.setModel(freshDae()));
            QTRY_VERIFY(dock->snapshots().empty());
            dialog->close();
            window.close(); // the new model has no training: nothing to ask
        }
    }
};

QTEST_MAIN(TestMixingTrainingDialog)
#include "tst_gui_mixingtraining.moc"
