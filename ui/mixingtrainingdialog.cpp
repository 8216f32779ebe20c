#include "mixingtrainingdialog.h"

#include "checkpoint.h"
#include "datasets.h"
#include "defaultmodel.h"
#include "error.h"
#include "mixinglabmetrics.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPointer>
#include <QPushButton>
#include <QSaveFile>
#include <QVBoxLayout>

#include <cmath>
#include <limits>
#include <memory>

namespace gsn {

namespace {

const QColor kSwitchColor(31, 119, 180);
const QColor kParzenColor(214, 39, 40);

// What a job needs of the data: the classifier, the labelled test digits and the validation digits.
struct MixingData {
    std::shared_ptr<const Classifier> classifier;
    Dataset test;
    Matrix validation;
};

MixingData loadMixingData(int validation)
{
    MixingData d;
    d.classifier = loadDefaultClassifier();
    if (!d.classifier)
        fail("mixing against training", "classifier", "expected the MNIST classifier embedded in gsn-studio");
    d.test = loadDataset("mnist-test");
    const Dataset valid = loadDataset("mnist-valid");
    d.validation = valid.pixels.topRows(std::min(validation, valid.count()));
    return d;
}

QString number(double v, int decimals)
{
    return std::isfinite(v) ? QString::number(v, 'f', decimals) : QString();
}

} // namespace

const std::vector<double>& MixingTrainingDialog::noiseScales()
{
    static const std::vector<double> s = {0.0, 0.25, 0.5, 1.0, 1.5, 2.0};
    return s;
}

MixingTrainingDialog::MixingTrainingDialog(Snapshots snapshots, std::function<StudioModelPtr()> current, QWidget* parent)
    : QDialog(parent), m_snapshots(std::move(snapshots)), m_current(std::move(current))
{
    setObjectName(QStringLiteral("MixingTrainingDialog"));
    setWindowTitle(tr("Mixing against training"));
    auto* layout = new QVBoxLayout(this);
    auto* help = new QLabel(tr("Does the chain mix worse as the model sharpens? For every snapshot the Training dock kept: the "
                               "class-switch rate of %1 chains x %2 steps from test digits (the embedded classifier labels "
                               "every frame), and a Parzen log-likelihood of %3 consecutive means of one chain against %4 test "
                               "digits (sigma chosen on %5 validation digits). The noise sweep runs the current model with its "
                               "sampling noise (corruption, and a GSN's hidden noise) scaled: a temperature.")
                                .arg(m_options.chains)
                                .arg(m_options.steps)
                                .arg(m_options.parzenSamples)
                                .arg(m_options.parzenTest)
                                .arg(m_validation));
    help->setWordWrap(true);
    layout->addWidget(help);
    m_list = new QLabel;
    m_list->setObjectName(QStringLiteral("mixingSnapshotList"));
    m_list->setWordWrap(true);
    layout->addWidget(m_list);

    auto* buttons = new QHBoxLayout;
    m_measure = new QPushButton(tr("Measure the snapshots"));
    m_measure->setObjectName(QStringLiteral("mixingMeasure"));
    m_noise = new QPushButton(tr("Noise sweep of the current model"));
    m_noise->setObjectName(QStringLiteral("mixingNoise"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setObjectName(QStringLiteral("mixingCancel"));
    auto* exportButton = new QPushButton(tr("Export CSV..."));
    exportButton->setObjectName(QStringLiteral("mixingExport"));
    auto* save = new QPushButton(tr("Save snapshots..."));
    save->setObjectName(QStringLiteral("mixingSaveSnapshots"));
    save->setToolTip(tr("Every snapshot as a model-only checkpoint FILE.epoch-NNN.safetensors, as gsn train --snapshot-every "
                        "writes them (for gsn mixing and gsn eval)"));
    for (QPushButton* b : {m_measure, m_noise, m_cancel, exportButton, save})
        buttons->addWidget(b);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("mixingProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    layout->addWidget(m_progress);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("mixingStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    auto* plots = new QHBoxLayout;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    m_switchPlot = new MixingLabMetricPlot(tr("switches / 100 steps"), false, 0.0, nan);
    m_switchPlot->setObjectName(QStringLiteral("mixingSwitchPlot"));
    m_switchPlot->setXTitle(tr("epoch"));
    m_parzenPlot = new MixingLabMetricPlot(tr("Parzen log-likelihood (nats)"), false, nan, nan);
    m_parzenPlot->setObjectName(QStringLiteral("mixingParzenPlot"));
    m_parzenPlot->setXTitle(tr("epoch"));
    m_noisePlot = new MixingLabMetricPlot(tr("switches / 100 steps"), false, 0.0, nan);
    m_noisePlot->setObjectName(QStringLiteral("mixingNoisePlot"));
    m_noisePlot->setXTitle(tr("sampling noise (x the trained level)"));
    for (MixingLabMetricPlot* p : {m_switchPlot, m_parzenPlot, m_noisePlot}) {
        p->setMinimumSize(220, 200);
        plots->addWidget(p, 1);
    }
    layout->addLayout(plots, 1);

    connect(m_measure, &QPushButton::clicked, this, &MixingTrainingDialog::measureSnapshots);
    connect(m_noise, &QPushButton::clicked, this, &MixingTrainingDialog::measureNoise);
    connect(m_cancel, &QPushButton::clicked, this, &MixingTrainingDialog::cancel);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Export the figures"), QStringLiteral("mixing-vs-training.csv"),
                                                    tr("CSV files (*.csv)"));
        if (path.isEmpty())
            return;
        try {
            exportCsv(path);
            m_status->setText(tr("Wrote %1").arg(path));
        } catch (const std::exception& e) {
            showError(QString::fromStdString(e.what()));
        }
    });
    connect(save, &QPushButton::clicked, this, [this] {
        const QString base = QFileDialog::getSaveFileName(this, tr("Save the snapshots (FILE.epoch-NNN.safetensors)"),
                                                          QStringLiteral("run.safetensors"), tr("Checkpoints (*.safetensors)"));
        if (base.isEmpty() || m_busy)
            return;
        setBusy(true, tr("Saving the snapshots..."));
        const std::vector<StudioModelPtr> snaps = m_snapshots ? m_snapshots() : std::vector<StudioModelPtr>{};
        m_job.start([snaps, base](const JobControl&) { return writeSnapshots(snaps, base); },
                    [this](QStringList files) {
                        setBusy(false, tr("Wrote %n snapshot file(s): %1", nullptr, static_cast<int>(files.size()))
                                           .arg(files.join(QStringLiteral(", "))));
                    },
                    [this](const QString& error) {
                        setBusy(false, QString());
                        showError(error);
                    });
    });
    refreshList();
    setBusy(false, QString());
    resize(960, 620);
}

void MixingTrainingDialog::refreshList()
{
    const std::vector<StudioModelPtr> snaps = m_snapshots ? m_snapshots() : std::vector<StudioModelPtr>{};
    QStringList epochs;
    for (const StudioModelPtr& s : snaps)
        epochs << QString::number(s->epoch);
    m_list->setText(snaps.empty() ? tr("No snapshots yet: set \"Snapshot every\" in the Training dock and train.")
                                  : tr("%n snapshot(s), after epoch(s) %1", nullptr, static_cast<int>(snaps.size()))
                                        .arg(epochs.join(QStringLiteral(", "))));
}

void MixingTrainingDialog::setBusy(bool busy, const QString& what)
{
    m_busy = busy;
    m_measure->setEnabled(!busy);
    m_noise->setEnabled(!busy);
    m_cancel->setEnabled(busy);
    if (!what.isEmpty())
        m_status->setText(what);
}

void MixingTrainingDialog::showError(const QString& message)
{
    m_lastError = message;
    m_status->setText(message);
}

void MixingTrainingDialog::cancel()
{
    m_job.cancel();
    setBusy(false, tr("Cancelled"));
}

void MixingTrainingDialog::measureSnapshots()
{
    refreshList();
    if (m_busy)
        return;
    const std::vector<StudioModelPtr> snaps = m_snapshots ? m_snapshots() : std::vector<StudioModelPtr>{};
    if (snaps.empty())
        return showError(tr("No snapshots to measure: set \"Snapshot every\" in the Training dock and train"));
    m_figures.clear();
    showFigures();
    m_progress->setRange(0, static_cast<int>(snaps.size()));
    m_progress->setValue(0);
    setBusy(true, tr("Loading the classifier and the MNIST test digits..."));
    const mixing::TrainingMixingOptions options = m_options;
    const int validation = m_validation;
    QPointer<MixingTrainingDialog> self = this;
    m_job.start(
        [snaps, options, validation, self](const JobControl& job) {
            const MixingData data = loadMixingData(validation);
            std::vector<mixing::SnapshotMixing> out;
            if (job.cancelled())
                return out;
            for (std::size_t i = 0; i < snaps.size(); ++i) {
                job.post([self, i, n = snaps.size(), epoch = snaps[i]->epoch] {
                    if (self)
                        self->m_status->setText(tr("Measuring the snapshot after epoch %1 (%2 of %3)...").arg(epoch).arg(i + 1).arg(n));
                });
                const auto f = mixing::measureSnapshot(snaps[i]->model, snaps[i]->epoch, *data.classifier, data.test, data.validation,
                                                       options, job.cancelFlag());
                if (!f)
                    break;
                out.push_back(*f);
                job.post([self, out] {
                    if (!self)
                        return;
                    self->m_figures = out;
                    self->m_progress->setValue(static_cast<int>(out.size()));
                    self->showFigures();
                    emit self->measured();
                });
            }
            return out;
        },
        [this](std::vector<mixing::SnapshotMixing> figures) {
            m_figures = std::move(figures);
            m_progress->setValue(static_cast<int>(m_figures.size()));
            showFigures();
            setBusy(false, tr("Measured %n snapshot(s)", nullptr, static_cast<int>(m_figures.size())));
            emit measured();
        },
        [this](const QString& error) {
            setBusy(false, QString());
            showError(error);
        });
}

void MixingTrainingDialog::measureNoise()
{
    if (m_busy)
        return;
    const StudioModelPtr model = m_current ? m_current() : nullptr;
    if (!model || !model->model)
        return showError(tr("No current model to sweep"));
    m_noiseRates.clear();
    m_noiseModel = model->name;
    showFigures();
    m_progress->setRange(0, static_cast<int>(noiseScales().size()));
    m_progress->setValue(0);
    setBusy(true, tr("Loading the classifier and the MNIST test digits..."));
    mixing::TrainingMixingOptions options = m_options;
    options.parzenSamples = 0;
    QPointer<MixingTrainingDialog> self = this;
    m_job.start(
        [model, options, self](const JobControl& job) {
            const MixingData data = loadMixingData(1);
            std::vector<double> rates;
            if (job.cancelled())
                return rates;
            for (double s : noiseScales()) {
                job.post([self, s] {
                    if (self)
                        self->m_status->setText(tr("Switch rate at %1 x the trained noise...").arg(s));
                });
                const auto r = mixing::switchRateAgainstNoise(*model->model, {s}, *data.classifier, data.test, options, job.cancelFlag());
                if (!r)
                    break;
                rates.push_back(r->front());
                job.post([self, rates] {
                    if (!self)
                        return;
                    self->m_noiseRates = rates;
                    self->m_progress->setValue(static_cast<int>(rates.size()));
                    self->showFigures();
                });
            }
            return rates;
        },
        [this](std::vector<double> rates) {
            m_noiseRates = std::move(rates);
            showFigures();
            setBusy(false, tr("Noise sweep of %1 done").arg(m_noiseModel));
            emit measured();
        },
        [this](const QString& error) {
            setBusy(false, QString());
            showError(error);
        });
}

void MixingTrainingDialog::showFigures()
{
    std::vector<QPointF> switches, parzen, noise;
    for (const mixing::SnapshotMixing& f : m_figures) {
        switches.emplace_back(f.epoch, f.switchRatePer100);
        if (std::isfinite(f.parzenMean))
            parzen.emplace_back(f.epoch, f.parzenMean);
    }
    for (std::size_t i = 0; i < m_noiseRates.size(); ++i)
        noise.emplace_back(noiseScales()[i], m_noiseRates[i]);
    m_switchPlot->setSeries({{tr("class switches"), kSwitchColor, switches}});
    m_parzenPlot->setSeries({{tr("Parzen, 1000 means"), kParzenColor, parzen}});
    m_noisePlot->setSeries({{m_noiseModel.isEmpty() ? tr("current model") : m_noiseModel, kSwitchColor, noise}});
}

QString MixingTrainingDialog::csv() const
{
    QString out = QStringLiteral("kind,epoch,noise_scale,switch_rate_per_100,median_steps_to_all_classes,tv_visits,unsure_fraction,"
                                 "parzen_mean,parzen_standard_error,parzen_sigma\n");
    for (const mixing::SnapshotMixing& f : m_figures)
        out += QStringLiteral("snapshot,%1,1,%2,%3,%4,%5,%6,%7,%8\n")
                   .arg(f.epoch)
                   .arg(number(f.switchRatePer100, 4), number(f.medianStepsToAll, 1), number(f.totalVariation, 4),
                        number(f.unsureFraction, 4), number(f.parzenMean, 3), number(f.parzenStandardError, 3),
                        number(f.parzenSigma, 4));
    for (std::size_t i = 0; i < m_noiseRates.size(); ++i)
        out += QStringLiteral("noise,,%1,%2,,,,,,\n").arg(noiseScales()[i]).arg(number(m_noiseRates[i], 4));
    return out;
}

void MixingTrainingDialog::exportCsv(const QString& path) const
{
    MixingLabMetrics::writeAtomically(path, csv().toStdString());
}

QStringList MixingTrainingDialog::saveSnapshots(const QString& base) const
{
    return writeSnapshots(m_snapshots ? m_snapshots() : std::vector<StudioModelPtr>{}, base);
}

QStringList MixingTrainingDialog::writeSnapshots(const std::vector<StudioModelPtr>& snaps, const QString& base)
{
    if (snaps.empty())
        fail(base.toStdString(), "", "no snapshots to save");
    QString stem = base;
    if (stem.endsWith(QLatin1String(".safetensors")))
        stem.chop(static_cast<int>(QStringLiteral(".safetensors").size()));
    QStringList files;
    for (const StudioModelPtr& s : snaps) {
        const QString path = QStringLiteral("%1.epoch-%2.safetensors").arg(stem).arg(s->epoch, 3, 10, QLatin1Char('0'));
        saveCheckpoint(path.toStdString(), *s->model, nullptr, s->info);
        files << QFileInfo(path).fileName();
    }
    return files;
}

} // namespace gsn
