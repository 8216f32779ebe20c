#include "trainingdock.h"

#include "losscurve.h"
#include "mixingtrainingdialog.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

namespace gsn {

namespace {

constexpr int kMaxStrips = 12;   // epochs shown in the strip panel (newest first)
constexpr int kStripScale = 2;   // screen pixels per image pixel

QString durationText(double seconds)
{
    if (!(seconds >= 0) || seconds > 1e7)
        return QStringLiteral("?");
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600)
        return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    if (s >= 60)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1 s").arg(s);
}

} // namespace

TrainingDock::TrainingDock(TrainingController* training, std::function<TrainingRequest()> request, QWidget* parent)
    : QDockWidget(tr("Training"), parent), m_training(training), m_request(std::move(request))
{
    setObjectName(QStringLiteral("trainingDock"));
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);

    auto* form = new QFormLayout;
    m_epochs = new QSpinBox(body);
    m_epochs->setRange(1, 10000);
    m_epochs->setValue(10);
    m_epochs->setToolTip(tr("Epochs to train in this session (continuing the model's own count)"));
    form->addRow(tr("Epochs"), m_epochs);
    m_examples = new QSpinBox(body);
    m_examples->setRange(0, 10000000);
    m_examples->setSpecialValueText(tr("all"));
    m_examples->setToolTip(tr("Train on the first N images of the dataset (all = the whole dataset)"));
    form->addRow(tr("Examples"), m_examples);
    m_batch = new QSpinBox(body);
    m_batch->setRange(1, 10000);
    m_batch->setValue(100);
    form->addRow(tr("Batch size"), m_batch);
    m_lr = new QDoubleSpinBox(body);
    m_lr->setObjectName(QStringLiteral("learningRate"));
    m_lr->setDecimals(4);
    m_lr->setRange(0.0001, 100);
    m_lr->setSingleStep(0.05);
    m_lr->setValue(0.25);
    m_lr->setToolTip(tr("Learning rate; changes apply from the next batch while training"));
    form->addRow(tr("Learning rate"), m_lr);
    m_momentum = new QDoubleSpinBox(body);
    m_momentum->setObjectName(QStringLiteral("momentum"));
    m_momentum->setDecimals(3);
    m_momentum->setRange(0, 0.999);
    m_momentum->setSingleStep(0.05);
    m_momentum->setValue(0.5);
    m_momentum->setToolTip(tr("Momentum mu; changes apply from the next batch while training"));
    form->addRow(tr("Momentum"), m_momentum);
    m_seed = new QSpinBox(body);
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(1);
    form->addRow(tr("Seed"), m_seed);
    m_snapshotEvery = new QSpinBox(body);
    m_snapshotEvery->setObjectName(QStringLiteral("snapshotEvery"));
    m_snapshotEvery->setRange(0, 1000);
    m_snapshotEvery->setSpecialValueText(tr("off"));
    m_snapshotEvery->setSuffix(tr(" epochs"));
    m_snapshotEvery->setToolTip(tr("Keep the model after every E epochs (in memory) to measure how its chains mix against "
                                   "training: Mixing vs training"));
    form->addRow(tr("Snapshot every"), m_snapshotEvery);
    layout->addLayout(form);
    auto* mixing = new QPushButton(tr("Mixing vs training..."), body);
    mixing->setObjectName(QStringLiteral("mixingVsTraining"));
    mixing->setToolTip(tr("The class-switch rate and a Parzen figure of every snapshot against the epoch, and the switch rate "
                          "against the sampling noise"));
    connect(mixing, &QPushButton::clicked, this, [this] { openMixingDialog(); });
    layout->addWidget(mixing);

    auto* buttons = new QHBoxLayout;
    m_start = new QPushButton(tr("Train"), body);
    m_start->setObjectName(QStringLiteral("trainStart"));
    m_pause = new QPushButton(tr("Pause"), body);
    m_pause->setObjectName(QStringLiteral("trainPause"));
    m_cancel = new QPushButton(tr("Cancel"), body);
    m_cancel->setObjectName(QStringLiteral("trainCancel"));
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_cancel);
    layout->addLayout(buttons);
    m_progress = new QProgressBar(body);
    m_progress->setObjectName(QStringLiteral("trainProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setFormat(QStringLiteral("%p%"));
    layout->addWidget(m_progress);
    m_eta = new QLabel(tr("Not training"), body);
    m_eta->setObjectName(QStringLiteral("trainEta"));
    m_eta->setWordWrap(true);
    layout->addWidget(m_eta);
    m_note = new QLabel(body); // what the run does differently from the form (fewer examples than asked)
    m_note->setObjectName(QStringLiteral("trainNote"));
    m_note->setWordWrap(true);
    m_note->hide();
    layout->addWidget(m_note);
    m_curve = new LossCurve(body);
    layout->addWidget(m_curve, 2);
    auto* stripTitle = new QLabel(tr("Samples after each epoch (newest on top)"), body);
    layout->addWidget(stripTitle);
    auto* scroll = new QScrollArea(body);
    scroll->setWidgetResizable(true);
    scroll->setMinimumHeight(120);
    m_stripLabel = new QLabel(scroll);
    m_stripLabel->setObjectName(QStringLiteral("sampleStrips"));
    m_stripLabel->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    scroll->setWidget(m_stripLabel);
    layout->addWidget(scroll, 1);
    setWidget(body);

    connect(m_start, &QPushButton::clicked, this, &TrainingDock::startOrResume);
    connect(m_pause, &QPushButton::clicked, training, &TrainingController::pause);
    connect(m_cancel, &QPushButton::clicked, training, &TrainingController::cancel);
    connect(m_lr, &QDoubleSpinBox::valueChanged, training, &TrainingController::setLearningRate);
    connect(m_momentum, &QDoubleSpinBox::valueChanged, training, &TrainingController::setMomentum);
    connect(training, &TrainingController::batchDone, this, &TrainingDock::onBatch);
    connect(training, &TrainingController::epochDone, this, &TrainingDock::onEpoch);
    connect(training, &TrainingController::finished, this, &TrainingDock::onFinished);
    connect(training, &TrainingController::modelTrained, this, [this](StudioModelPtr model) {
        const int every = m_snapshotEvery->value();
        if (every <= 0 || !model || model->epoch <= 0 || model->epoch % every != 0)
            return;
        if (!m_snapshots.empty() && m_snapshots.back()->epoch == model->epoch)
            return; // the finish repeats the last epoch's model
        m_snapshots.push_back(std::move(model));
        if (static_cast<int>(m_snapshots.size()) > kMaxSnapshots)
            m_snapshots.erase(m_snapshots.begin());
    });
    connect(training, &TrainingController::pausedChanged, this, [this](bool paused) {
        m_eta->setText(paused ? tr("Paused") : tr("Resuming..."));
        updateButtons();
    });
    updateButtons();
}

void TrainingDock::applySettings(TrainingRequest& request) const
{
    request.epochs = m_epochs->value();
    request.examples = m_examples->value();
    request.batchSize = m_batch->value();
    request.learningRate = m_lr->value();
    request.momentum = m_momentum->value();
    request.seed = std::uint64_t(m_seed->value());
}

void TrainingDock::setEpochs(int epochs) { m_epochs->setValue(epochs); }
void TrainingDock::setExamples(int examples) { m_examples->setValue(examples); }
void TrainingDock::setLearningRate(double lr) { m_lr->setValue(lr); }

void TrainingDock::startOrResume()
{
    if (m_training->isRunning()) {
        if (m_training->isPaused())
            m_training->resume();
        return;
    }
    TrainingRequest request = m_request();
    applySettings(request);
    m_batchSize = request.batchSize;
    m_epochOffset = request.start ? request.start->epoch : 0;
    m_note->hide();
    if (request.data && request.examples > request.data->count()) {
        m_note->setText(tr("%1 has only %2 images: training on all %2 (Examples asks for %3)")
                            .arg(QString::fromStdString(request.data->name))
                            .arg(request.data->count())
                            .arg(request.examples));
        m_note->show();
    }
    if (m_training->start(request)) {
        m_progress->setValue(0);
        m_eta->setText(tr("Starting..."));
    }
    updateButtons();
}

void TrainingDock::setSnapshotEvery(int epochs)
{
    m_snapshotEvery->setValue(epochs);
}

MixingTrainingDialog* TrainingDock::openMixingDialog()
{
    if (!m_mixingDialog) {
        m_mixingDialog = new MixingTrainingDialog([this] { return m_snapshots; }, [this] { return m_request().start; }, this);
        m_mixingDialog->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_mixingDialog->show();
    m_mixingDialog->raise();
    return m_mixingDialog;
}

void TrainingDock::clearHistory()
{
    m_snapshots.clear(); // another model: its snapshots are not this one's
    m_curve->clear();
    m_strips.clear();
    redrawStrips();
    m_progress->setValue(0);
    m_eta->setText(tr("Not training"));
    updateButtons();
}

void TrainingDock::onBatch(int epoch, int batch, int batches, double loss, double examplesPerSecond, qint64 step,
                           qint64 total)
{
    m_curve->addBatch(epoch + double(batch + 1) / std::max(1, batches), loss);
    const double fraction = total > 0 ? double(step + 1) / double(total) : 0.0;
    m_progress->setValue(int(1000 * fraction));
    const double remaining = examplesPerSecond > 0 ? double(total - step - 1) * m_batchSize / examplesPerSecond : -1;
    m_eta->setText(tr("Epoch %1, batch %2/%3, loss %4, %5 ex/s, ETA %6")
                       .arg(epoch + 1)
                       .arg(batch + 1)
                       .arg(batches)
                       .arg(loss, 0, 'g', 4)
                       .arg(examplesPerSecond, 0, 'f', 0)
                       .arg(durationText(remaining)));
    updateButtons();
}

void TrainingDock::onEpoch(int epoch, double meanLoss, double, const QImage& samples)
{
    m_curve->addEpoch(epoch + 1, meanLoss);
    if (!samples.isNull()) {
        m_strips.emplace_back(epoch + 1, samples);
        if (m_strips.size() > std::size_t(kMaxStrips))
            m_strips.erase(m_strips.begin());
        redrawStrips();
    }
}

void TrainingDock::onFinished(TrainingController::Status status, const QString& message)
{
    using Status = TrainingController::Status;
    if (status == Status::Finished)
        m_progress->setValue(1000);
    m_eta->setText(status == Status::Diverged    ? tr("Diverged: %1").arg(message)
                   : status == Status::Cancelled ? tr("Cancelled")
                   : status == Status::Failed    ? tr("Failed: %1").arg(message)
                                                 : tr("Finished"));
    updateButtons();
}

void TrainingDock::updateButtons()
{
    const bool running = m_training->isRunning();
    const bool paused = m_training->isPaused();
    m_start->setText(running && paused ? tr("Resume") : tr("Train"));
    QString missing;
    if (!running) {
        const TrainingRequest request = m_request();
        if (!request.start)
            missing = tr("There is no model to train: create one (File > New model) or open one (File > Open model)");
        else if (!request.data)
            missing = tr("There is no dataset to train on: choose one in the Data dock");
    }
    m_start->setEnabled(missing.isEmpty() && (!running || paused));
    m_start->setToolTip(missing.isEmpty() ? tr("Train the current model on the loaded dataset (Ctrl+T)") : missing);
    m_pause->setEnabled(running && !paused);
    m_cancel->setEnabled(running);
}

void TrainingDock::redrawStrips()
{
    if (m_strips.empty()) {
        m_stripLabel->setPixmap(QPixmap());
        m_stripLabel->setText(tr("(none yet)"));
        return;
    }
    const QFontMetrics fm(font());
    const int labelWidth = fm.horizontalAdvance(tr("epoch 0000")) + 6;
    int width = 0;
    int height = 0;
    for (const auto& [epoch, image] : m_strips) {
        width = std::max(width, labelWidth + image.width() * kStripScale);
        height += image.height() * kStripScale + 4;
    }
    QImage canvas(width, height, QImage::Format_RGB32);
    canvas.fill(palette().color(QPalette::Window));
    QPainter p(&canvas);
    p.setPen(palette().color(QPalette::WindowText));
    int y = 0;
    for (auto it = m_strips.rbegin(); it != m_strips.rend(); ++it) {
        const int h = it->second.height() * kStripScale;
        p.drawText(QRect(0, y, labelWidth - 6, h), Qt::AlignVCenter | Qt::AlignRight, tr("epoch %1").arg(it->first));
        p.drawImage(QRect(labelWidth, y, it->second.width() * kStripScale, h), it->second);
        y += h + 4;
    }
    p.end();
    m_stripLabel->setPixmap(QPixmap::fromImage(canvas));
}

} // namespace gsn
