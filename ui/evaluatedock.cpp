#include "evaluatedock.h"

#include "filewritequeue.h"
#include "parzencurveplot.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableWidget>
#include <QVBoxLayout>

namespace gsn {

namespace {

constexpr int kMaxHistory = 500;  // oldest rows are dropped beyond this

QSpinBox* spinBox(int lo, int hi, int value, const char* name, QWidget* parent)
{
    auto* box = new QSpinBox(parent);
    box->setRange(lo, hi);
    box->setValue(value);
    box->setObjectName(QString::fromLatin1(name));
    box->setGroupSeparatorShown(true);
    return box;
}

} // namespace

EvaluateDock::EvaluateDock(QWidget* parent) : EvaluateDock(nullptr, parent) {}

EvaluateDock::EvaluateDock(EvaluateWorker* evaluation, QWidget* parent)
    : QDockWidget(tr("Evaluate"), parent), m_worker(evaluation ? evaluation : new EvaluateWorker(this))
{
    setObjectName(QStringLiteral("evaluateDock"));
    m_writes = new FileWriteQueue(this);
    connect(m_writes, &FileWriteQueue::written, this, [this](const QString&, const QString& error) {
        if (!error.isEmpty())
            m_phase->setText(tr("History not saved: %1").arg(error));
    });
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);

    auto* modelRow = new QHBoxLayout;
    m_modelLabel = new QLabel(body);
    m_modelLabel->setObjectName(QStringLiteral("evaluateModelLabel"));
    m_modelLabel->setWordWrap(true);
    m_open = new QPushButton(tr("Checkpoint..."), body);
    m_open->setToolTip(tr("Evaluate a .safetensors checkpoint instead of the current model"));
    modelRow->addWidget(m_modelLabel, 1);
    modelRow->addWidget(m_open);
    layout->addLayout(modelRow);

    auto* form = new QFormLayout;
    m_samples = spinBox(1, 1'000'000, 10000, "evaluateSamples", body);
    m_samples->setToolTip(tr("Kernel centres: consecutive displayed means of one chain (10000 by the protocol)"));
    m_burnin = spinBox(0, 10'000'000, 100, "evaluateBurnin", body);
    m_thin = spinBox(1, 100'000, 1, "evaluateThin", body);
    m_seed = spinBox(0, 2'000'000'000, 1, "evaluateSeed", body);
    m_startKind = new QComboBox(body);
    m_startKind->setObjectName(QStringLiteral("evaluateStartKind"));
    m_startKind->addItem(tr("test digit"), int(EvaluationStart::TestImage));
    m_startKind->addItem(tr("uniform noise"), int(EvaluationStart::Noise));
    m_startKind->addItem(tr("zeros (a black image)"), int(EvaluationStart::Zeros));
    m_startKind->setToolTip(tr("Where the chain starts. The authors' code starts at the first test digit "
                               "(gsn eval --init test:0, the default); uniform noise can reach spurious modes "
                               "that a start from data never visits (gsn eval --init noise)"));
    m_start = spinBox(0, 9999, 0, "evaluateStart", body);
    m_start->setToolTip(tr("Index of the test digit the chain starts at"));
    connect(m_startKind, &QComboBox::currentIndexChanged, this, [this] {
        m_start->setEnabled(m_startKind->currentData().toInt() == int(EvaluationStart::TestImage));
    });
    auto* startRow = new QHBoxLayout;
    startRow->addWidget(m_startKind, 1);
    startRow->addWidget(m_start);
    form->addRow(tr("Samples"), m_samples);
    form->addRow(tr("Burn-in steps"), m_burnin);
    form->addRow(tr("Keep every"), m_thin);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Chain starts at"), startRow);
    layout->addLayout(form);

    auto* buttons = new QGridLayout; // two rows: the dock stays narrow
    m_evaluate = new QPushButton(tr("Evaluate model"), body);
    m_evaluate->setObjectName(QStringLiteral("evaluateModelButton"));
    m_baseline = new QPushButton(tr("MNIST-train baseline"), body);
    m_baseline->setObjectName(QStringLiteral("evaluateBaselineButton"));
    m_baseline->setToolTip(tr("The first N MNIST training images as samples (the paper's baseline row)"));
    m_cancel = new QPushButton(tr("Cancel"), body);
    m_cancel->setObjectName(QStringLiteral("evaluateCancelButton"));
    buttons->addWidget(m_evaluate, 0, 0);
    buttons->addWidget(m_cancel, 0, 1);
    buttons->addWidget(m_baseline, 1, 0, 1, 2);
    layout->addLayout(buttons);

    m_progress = new QProgressBar(body);
    m_progress->setObjectName(QStringLiteral("evaluateProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setFormat(QStringLiteral("%p %"));
    m_phase = new QLabel(tr("Idle"), body);
    m_phase->setObjectName(QStringLiteral("evaluatePhase"));
    layout->addWidget(m_progress);
    layout->addWidget(m_phase);

    m_plot = new ParzenCurvePlot(body);
    layout->addWidget(m_plot, 1);
    m_result = new QLabel(body);
    m_result->setObjectName(QStringLiteral("evaluateResult"));
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->setWordWrap(true);
    // Room for the figure's lines from the start, so nothing moves when the first result arrives.
    m_result->setMinimumHeight(3 * m_result->fontMetrics().lineSpacing());
    m_result->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_result->setText(tr("No evaluation of this model yet"));
    layout->addWidget(m_result);

    m_table = new QTableWidget(0, 9, body);
    m_table->setObjectName(QStringLiteral("evaluateHistory"));
    m_table->setHorizontalHeaderLabels(
        {tr("When (UTC)"), tr("Model"), tr("Hash"), tr("Epoch"), tr("Start"), tr("Samples"), tr("sigma"),
         tr("Log-lik. ± se"), tr("s")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(new QLabel(tr("History (newest first)"), body));
    layout->addWidget(m_table, 1);
    setWidget(body);

    connect(m_open, &QPushButton::clicked, this, &EvaluateDock::openCheckpoint);
    connect(m_evaluate, &QPushButton::clicked, this, &EvaluateDock::evaluateModel);
    connect(m_baseline, &QPushButton::clicked, this, &EvaluateDock::evaluateBaseline);
    connect(m_cancel, &QPushButton::clicked, this, &EvaluateDock::cancel);
    // Delivered on the GUI thread, only for the newest job (the worker drops what a cancelled job says).
    connect(m_worker, &EvaluateWorker::started, this, [this] {
        m_progress->setValue(0);
        m_phase->setText(tr("Starting"));
        setRunning(true);
    });
    connect(m_worker, &EvaluateWorker::progress, this, &EvaluateDock::onProgress);
    connect(m_worker, &EvaluateWorker::finished, this, &EvaluateDock::onFinished);
    connect(m_worker, &EvaluateWorker::cancelled, this, [this] {
        onStopped(tr("Cancelled"));
        emit evaluationCancelled();
    });
    connect(m_worker, &EvaluateWorker::failed, this, [this](const QString& message) {
        onStopped(message);
        emit evaluationFailed(message);
    });

    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    setHistoryFile(dir.isEmpty() ? QString() : dir + QStringLiteral("/evaluations.json"));
    setRunning(false);
    updateModelLabel();
}

EvaluateDock::~EvaluateDock() = default; // an evaluation of its own is cancelled with it (a child)

void EvaluateDock::setSampleCount(int samples) { m_samples->setValue(samples); }
void EvaluateDock::setBurnin(int steps) { m_burnin->setValue(steps); }
void EvaluateDock::setThinning(int every) { m_thin->setValue(every); }
void EvaluateDock::setSeed(int seed) { m_seed->setValue(seed); }
void EvaluateDock::setStartImage(int index)
{
    setStart(EvaluationStart::TestImage);
    m_start->setValue(index);
}
void EvaluateDock::setStart(EvaluationStart start) { m_startKind->setCurrentIndex(m_startKind->findData(int(start))); }
int EvaluateDock::sampleCount() const { return m_samples->value(); }

bool EvaluateDock::isRunning() const
{
    return m_worker->isRunning();
}

void EvaluateDock::setModel(std::shared_ptr<const gsn::Model> model, const QString& name, int epoch)
{
    // A figure belongs to the model that produced it: another model's is not shown under this one's name
    // (the history keeps every row with its model).
    if (model != m_model)
        clearShownResult();
    m_model = std::move(model);
    m_modelName = name;
    m_epoch = epoch;
    m_checkpointPath.clear();
    updateModelLabel();
}

void EvaluateDock::setDatasetName(const QString& name)
{
    const bool wasMnist = m_mnistLoaded;
    m_mnistLoaded = name.isEmpty() || name.startsWith(QLatin1String("mnist"));
    auto* items = qobject_cast<QStandardItemModel*>(m_startKind->model());
    const int digit = m_startKind->findData(int(EvaluationStart::TestImage));
    if (items && digit >= 0)
        items->item(digit)->setEnabled(m_mnistLoaded);
    if (!m_mnistLoaded && m_startKind->currentIndex() == digit)
        setStart(EvaluationStart::Noise);
    if (m_mnistLoaded && !wasMnist)
        setStart(EvaluationStart::TestImage); // back to the default that non-MNIST data had taken away
    m_baseline->setToolTip(m_mnistLoaded ? tr("The first N MNIST training images as samples (the paper's baseline row)")
                                         : tr("The baseline is the papers' MNIST row; the loaded %1 is not MNIST").arg(name));
    setRunning(isRunning());
}

void EvaluateDock::clearShownResult()
{
    m_plot->clear();
    m_result->setText(tr("No evaluation of this model yet"));
}

void EvaluateDock::setCheckpoint(const QString& path)
{
    clearShownResult();
    m_model.reset();
    m_checkpointPath = path;
    m_modelName = QFileInfo(path).fileName();
    m_epoch = -1;
    updateModelLabel();
}

void EvaluateDock::openCheckpoint()
{
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Checkpoint to evaluate"), QString(), tr("Checkpoints (*.safetensors)"));
    if (!path.isEmpty())
        setCheckpoint(path);
}

void EvaluateDock::updateModelLabel()
{
    if (!m_model && m_checkpointPath.isEmpty()) {
        m_modelLabel->setText(tr("No model: load a checkpoint, or evaluate the MNIST-train baseline."));
    } else {
        QString text = tr("Model: <b>%1</b>").arg(m_modelName.toHtmlEscaped());
        if (m_model)
            text += QStringLiteral(" (%1)").arg(QString::fromStdString(m_model->kind()));
        if (m_epoch >= 0)
            text += tr(", epoch %1").arg(m_epoch);
        m_modelLabel->setText(text);
    }
    m_evaluate->setEnabled(!isRunning() && (m_model || !m_checkpointPath.isEmpty()));
}

void EvaluateDock::evaluateModel()
{
    if (isRunning() || (!m_model && m_checkpointPath.isEmpty()))
        return;
    EvaluationRequest request;
    request.model = m_model;
    request.checkpointPath = m_model ? QString() : m_checkpointPath;
    request.modelName = m_modelName;
    request.epoch = m_epoch;
    start(std::move(request));
}

void EvaluateDock::evaluateBaseline()
{
    if (isRunning())
        return;
    EvaluationRequest request;
    request.modelName = QStringLiteral("mnist-train");
    start(std::move(request));
}

void EvaluateDock::start(EvaluationRequest request)
{
    request.samples = m_samples->value();
    request.burnin = m_burnin->value();
    request.thin = m_thin->value();
    request.seed = static_cast<std::uint64_t>(m_seed->value());
    request.start = EvaluationStart(m_startKind->currentData().toInt());
    request.startImage = m_start->value();
    request.sets = m_sets;
    m_worker->start(std::move(request)); // started() sets the progress bar and the buttons
}

void EvaluateDock::cancel()
{
    m_worker->cancel();
    if (isRunning())
        m_phase->setText(tr("Cancelling..."));
}

void EvaluateDock::onProgress(int permille, const QString& phase)
{
    m_progress->setValue(permille);
    m_phase->setText(phase);
}

void EvaluateDock::onFinished(std::shared_ptr<const EvaluationOutcome> outcome)
{
    m_last = outcome;
    m_sets = outcome->request.sets;
    if (!m_model && !m_checkpointPath.isEmpty() && outcome->request.checkpointPath == m_checkpointPath &&
        outcome->request.model) {
        // A checkpoint was loaded by the job: keep the model so the next evaluation does not reload it.
        m_model = outcome->request.model;
        m_epoch = outcome->request.epoch;
        m_checkpointPath.clear();
        updateModelLabel();
    }
    const ParzenResult& r = outcome->result;
    m_plot->setCurve(r.curve, r.sigma);
    // Where the chain started stands next to the figure: the same model scores very differently from a
    // test digit and from uniform noise.
    QString startedAt;
    if (!outcome->request.model)
        startedAt = tr("the first %1 MNIST training images as samples").arg(outcome->samples->rows());
    else if (outcome->request.start == EvaluationStart::Noise)
        startedAt = tr("chain started at uniform noise");
    else if (outcome->request.start == EvaluationStart::Zeros)
        startedAt = tr("chain started at zeros");
    else
        startedAt = tr("chain started at test digit %1").arg(outcome->request.startImage);
    m_result->setText(tr("<b>%1 ± %2</b> nats (%9) on %3 test digits; sigma %4 (from %5 validation digits); "
                         "%6 samples; Parzen %7 s, total %8 s")
                          .arg(r.mean, 0, 'f', 2)
                          .arg(r.standardError, 0, 'f', 2)
                          .arg(outcome->request.sets.test->rows())
                          .arg(r.sigma, 0, 'g', 4)
                          .arg(outcome->request.sets.validation->rows())
                          .arg(outcome->samples->rows())
                          .arg(r.seconds, 0, 'f', 2)
                          .arg(outcome->totalSeconds, 0, 'f', 2)
                          .arg(startedAt.toHtmlEscaped()));
    m_progress->setValue(1000);
    m_phase->setText(tr("Done"));
    appendHistory(*outcome);
    setRunning(false);
    emit evaluationFinished(outcome);
}

void EvaluateDock::onStopped(const QString& message)
{
    m_phase->setText(message);
    setRunning(false);
}

void EvaluateDock::setRunning(bool running)
{
    m_baseline->setEnabled(!running && m_mnistLoaded);
    m_cancel->setEnabled(running);
    m_open->setEnabled(!running);
    for (QSpinBox* box : {m_samples, m_burnin, m_thin, m_seed})
        box->setEnabled(!running);
    m_startKind->setEnabled(!running);
    m_start->setEnabled(!running && m_startKind->currentData().toInt() == int(EvaluationStart::TestImage));
    m_evaluate->setEnabled(!running && (m_model || !m_checkpointPath.isEmpty()));
}

void EvaluateDock::appendHistory(const EvaluationOutcome& o)
{
    QJsonObject row;
    row[QStringLiteral("when")] = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    row[QStringLiteral("model")] = o.request.modelName;
    row[QStringLiteral("hash")] = o.modelHash;
    row[QStringLiteral("epoch")] = o.request.epoch;
    row[QStringLiteral("kind")] = o.request.model ? QString::fromStdString(o.request.model->kind()) : QStringLiteral("baseline");
    row[QStringLiteral("samples")] = static_cast<double>(o.samples->rows());
    row[QStringLiteral("burnin")] = o.request.model ? static_cast<double>(o.request.burnin) : 0.0;
    row[QStringLiteral("thin")] = o.request.model ? static_cast<double>(o.request.thin) : 0.0;
    row[QStringLiteral("seed")] = static_cast<double>(o.request.seed);
    row[QStringLiteral("start")] = !o.request.model ? QStringLiteral("-") : evaluationStartWord(o.request);
    row[QStringLiteral("sigma")] = o.result.sigma;
    row[QStringLiteral("mean")] = o.result.mean;
    row[QStringLiteral("stderr")] = o.result.standardError;
    row[QStringLiteral("seconds")] = o.totalSeconds;
    m_history.append(row);
    while (m_history.size() > kMaxHistory)
        m_history.removeFirst();
    saveHistory();
    // One new row on top, the oldest off the bottom: the other rows' items stay as they are.
    m_table->insertRow(0);
    fillHistoryRow(0, row);
    while (m_table->rowCount() > m_history.size())
        m_table->removeRow(m_table->rowCount() - 1);
}

void EvaluateDock::setHistoryFile(const QString& path)
{
    m_historyFile = path;
    loadHistory();
    refreshHistoryTable();
}

void EvaluateDock::loadHistory()
{
    m_history = {};
    if (m_historyFile.isEmpty())
        return;
    QFile file(m_historyFile);
    if (!file.open(QIODevice::ReadOnly))
        return;  // no history yet
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll());
    if (doc.isArray())
        m_history = doc.array();  // anything else (a damaged file) starts a new history
}

void EvaluateDock::saveHistory()
{
    if (m_historyFile.isEmpty())
        return;
    // Serialised here (about 1 ms for 500 rows), written atomically on a worker: the write's fdatasync
    // on the GUI thread was one of the soak's blocked stalls.
    m_writes->write(m_historyFile, QJsonDocument(m_history).toJson(QJsonDocument::Indented));
}

void EvaluateDock::refreshHistoryTable()
{
    // Emptied first: replacing the items of a full table one by one makes the ResizeToContents header
    // re-measure every column per item (41-50 s of GUI thread for 500 rows x 9 columns; docs/robustness.md).
    m_table->setRowCount(0);
    m_table->setRowCount(static_cast<int>(m_history.size()));
    for (int i = 0; i < m_history.size(); ++i)
        fillHistoryRow(i, m_history.at(m_history.size() - 1 - i).toObject()); // newest first
}

void EvaluateDock::fillHistoryRow(int tableRow, const QJsonObject& r)
{
    const int epoch = r.value(QStringLiteral("epoch")).toInt(-1);
    const QString cells[9] = {
        r.value(QStringLiteral("when")).toString().replace(QLatin1Char('T'), QLatin1Char(' ')).remove(QLatin1Char('Z')),
        r.value(QStringLiteral("model")).toString(),
        r.value(QStringLiteral("hash")).toString().left(8),
        epoch >= 0 ? QString::number(epoch) : QStringLiteral("-"),
        r.value(QStringLiteral("start")).toString(QStringLiteral("noise")),
        QString::number(r.value(QStringLiteral("samples")).toInteger()),
        QString::number(r.value(QStringLiteral("sigma")).toDouble(), 'g', 4),
        QStringLiteral("%1 ± %2")
            .arg(r.value(QStringLiteral("mean")).toDouble(), 0, 'f', 2)
            .arg(r.value(QStringLiteral("stderr")).toDouble(), 0, 'f', 2),
        QString::number(r.value(QStringLiteral("seconds")).toDouble(), 'f', 1)};
    for (int c = 0; c < 9; ++c) {
        auto* item = new QTableWidgetItem(cells[c]);
        if (c >= 3 && c != 4)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(tableRow, c, item);
    }
}

} // namespace gsn
