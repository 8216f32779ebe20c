#include "modeldock.h"

#include "error.h"
#include "modelregistry.h"
#include "studiosettings.h"
#include "studiosession.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QSettings>
#include <QStandardPaths>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace gsn {

namespace {

QString sizesText(const std::vector<int>& sizes)
{
    QStringList parts;
    for (int s : sizes)
        parts << QString::number(s);
    return parts.join(QStringLiteral("-"));
}

// "1500,1500": hidden sizes as the form's field shows them.
QString hiddenText(const std::vector<int>& sizes)
{
    QStringList parts;
    for (int s : sizes)
        parts << QString::number(s);
    return parts.join(QLatin1Char(','));
}

} // namespace

StudioModelPtr studioModelFromCheckpoint(Checkpoint checkpoint, const QString& name, const QString& path,
                                         const QString& fileHash)
{
    auto entry = std::make_shared<StudioModel>();
    entry->fileHash = fileHash;
    entry->model = std::shared_ptr<const Model>(std::move(checkpoint.model));
    if (checkpoint.hasState)
        entry->state = std::make_shared<const TrainState>(std::move(checkpoint.state));
    const nlohmann::json& m = checkpoint.metadata;
    if (m.contains("dataset") && m["dataset"].is_object()) {
        const nlohmann::json& d = m["dataset"];
        entry->info.datasetName = d.value("name", std::string());
        entry->info.datasetHash = d.value("hash", std::string());
        entry->info.datasetSpec = d.value("spec", std::string());
        entry->info.trainSet = d.value("trainset", std::string());
        entry->info.examples = d.value("examples", 0LL);
    }
    if (checkpoint.image.stored) { // an assumed square stays unstated when the model is saved again
        entry->info.imageWidth = checkpoint.image.width;
        entry->info.imageHeight = checkpoint.image.height;
    }
    if (m.contains("training") && m["training"].is_object())
        entry->info.targetEpochs = m["training"].value("target_epochs", 0);
    if (m.contains("epoch") && m["epoch"].is_number_integer())
        entry->epoch = m["epoch"].get<int>();
    else if (entry->state)
        entry->epoch = entry->state->epoch;
    else if (m.contains("trained") && m["trained"].is_object() && m["trained"].contains("epochs_completed")
             && m["trained"]["epochs_completed"].is_number_integer())
        entry->epoch = m["trained"]["epochs_completed"].get<int>(); // a model-only export (gsn export)
    entry->name = name;
    entry->path = path;
    return entry;
}

ModelDock::ModelDock(QWidget* parent) : QDockWidget(tr("Model"), parent)
{
    setObjectName(QStringLiteral("modelDock"));
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);

    m_title = new QLabel(tr("No model"), body);
    m_title->setObjectName(QStringLiteral("modelTitle"));
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    layout->addWidget(m_title);
    m_info = new QLabel(body);
    m_info->setObjectName(QStringLiteral("modelInfo"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_info->setWordWrap(true);
    m_info->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    layout->addWidget(m_info);

    auto* files = new QHBoxLayout;
    auto* open = new QPushButton(tr("Open..."), body);
    auto* save = new QPushButton(tr("Save..."), body);
    open->setToolTip(tr("Open a checkpoint (.safetensors)  Ctrl+O"));
    save->setToolTip(tr("Save the current model and its training state  Ctrl+S"));
    files->addWidget(open);
    files->addWidget(save);
    layout->addLayout(files);
    connect(open, &QPushButton::clicked, this, &ModelDock::openDialog);
    connect(save, &QPushButton::clicked, this, &ModelDock::saveDialog);

    auto* form = new QFormLayout;
    m_kind = new QComboBox(body);
    m_kind->setObjectName(QStringLiteral("newKind"));
    // The registry's kinds for images, in its order (the default kind first).
    for (const ModelKind* kind : trainableImageKinds())
        m_kind->addItem(tr(kind->label.c_str()), QString::fromStdString(kind->name));
    form->addRow(tr("Kind"), m_kind);
    m_hidden = new QLineEdit(hiddenText(trainableImageKinds().front()->defaultHidden), body);
    m_hidden->setObjectName(QStringLiteral("newHidden"));
    m_hidden->setToolTip(tr("Hidden layer sizes, comma separated (the visible size is the dataset's)"));
    form->addRow(tr("Hidden sizes"), m_hidden);
    m_hiddenNoise = new QDoubleSpinBox(body);
    m_hiddenNoise->setRange(0, 10);
    m_hiddenNoise->setSingleStep(0.1);
    m_hiddenNoise->setValue(2.0);
    m_hiddenNoise->setToolTip(tr("GSN: standard deviation of the noise added before and after tanh"));
    form->addRow(tr("Hidden noise"), m_hiddenNoise);
    m_corruption = new QComboBox(body);
    m_corruption->addItem(tr("salt-and-pepper"), QStringLiteral("salt-and-pepper"));
    m_corruption->addItem(tr("masking"), QStringLiteral("masking"));
    m_corruption->addItem(tr("gaussian"), QStringLiteral("gaussian"));
    m_corruption->addItem(tr("none"), QStringLiteral("none"));
    m_corruptionLevel = new QDoubleSpinBox(body);
    m_corruptionLevel->setRange(0, 1);
    m_corruptionLevel->setSingleStep(0.05);
    m_corruptionLevel->setValue(0.4);
    auto* corruptionRow = new QHBoxLayout;
    corruptionRow->addWidget(m_corruption, 1);
    corruptionRow->addWidget(m_corruptionLevel);
    form->addRow(tr("Corruption"), corruptionRow);
    m_walkback = new QSpinBox(body);
    m_walkback->setRange(1, 32);
    m_walkback->setValue(4);
    m_walkback->setToolTip(tr("Training walkback: updates of the graph (GSN) or pairs per example (DAE)"));
    form->addRow(tr("Walkback"), m_walkback);
    m_seed = new QSpinBox(body);
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(1);
    form->addRow(tr("Seed"), m_seed);
    layout->addLayout(form);
    auto* create = new QPushButton(tr("New model"), body);
    create->setObjectName(QStringLiteral("newModelButton"));
    create->setToolTip(tr("Make a fresh model from the settings above (Ctrl+N)"));
    layout->addWidget(create);
    layout->addStretch(1);
    connect(create, &QPushButton::clicked, this, &ModelDock::createNew);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &ModelDock::kindChanged);
    kindChanged();
    setWidget(body);
}

void ModelDock::kindChanged()
{
    // A field is enabled when the kind's default config has it; the layer count is the kind's.
    const ModelKind& kind = modelKind(m_kind->currentData().toString().toStdString());
    m_hiddenNoise->setEnabled(kind.defaults.contains("hidden_noise"));
    m_corruption->setEnabled(kind.defaults.contains("corruption"));
    m_corruptionLevel->setEnabled(kind.defaults.contains("corruption"));
    m_walkback->setEnabled(kind.defaults.contains("walkback"));
    const int layers = kind.capabilities.hiddenLayers;
    QStringList sizes = m_hidden->text().split(QLatin1Char(','), Qt::SkipEmptyParts);
    const QString fill = sizes.isEmpty() ? QStringLiteral("1500") : sizes.front().trimmed();
    while (sizes.size() < layers)
        sizes << fill;
    while (sizes.size() > layers)
        sizes.removeLast();
    m_hidden->setText(sizes.join(QLatin1Char(',')));
    m_walkback->setValue(kind.defaults.value("walkback", m_walkback->minimum()));
}

void ModelDock::setImageSize(int width, int height)
{
    m_width = width;
    m_height = height;
}

void ModelDock::setNewModelForm(const QString& kind, const QString& hiddenSizes)
{
    const int index = m_kind->findData(kind);
    if (index >= 0)
        m_kind->setCurrentIndex(index);
    m_hidden->setText(hiddenSizes);
}

nlohmann::json ModelDock::newModelConfig() const
{
    const ModelKind& kind = modelKind(m_kind->currentData().toString().toStdString());
    nlohmann::json sizes = nlohmann::json::array({m_width * m_height});
    for (const QString& part : m_hidden->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int n = part.trimmed().toInt(&ok);
        if (!ok || n < 1 || n > 100000)
            fail("new model", "hidden sizes", "expected positive integers up to 100000, got '" +
                                                  part.trimmed().toStdString() + "'");
        sizes.push_back(n);
    }
    // The kind's defaults, with the fields the form offers for it (those it enabled) taken from the form.
    nlohmann::json config = kind.defaultConfig(m_width * m_height);
    config["sizes"] = sizes;
    if (config.contains("corruption"))
        config["corruption"] = {{"type", m_corruption->currentData().toString().toStdString()},
                                {"level", m_corruptionLevel->value()}};
    if (config.contains("walkback"))
        config["walkback"] = m_walkback->value();
    if (config.contains("hidden_noise"))
        config["hidden_noise"] = m_hiddenNoise->value();
    return config;
}

void ModelDock::createNew()
{
    try {
        const nlohmann::json config = newModelConfig();
        auto entry = std::make_shared<StudioModel>();
        entry->model = std::shared_ptr<const Model>(createModel(config, std::uint64_t(m_seed->value())));
        entry->info.imageWidth = m_width; // n_visible is m_width * m_height (newModelConfig)
        entry->info.imageHeight = m_height;
        entry->name = tr("new %1").arg(QString::fromStdString(entry->model->kind()));
        emit modelProposed(entry);
    } catch (const std::exception& e) {
        emit failed(QString::fromStdString(e.what()));
    }
}

void ModelDock::setSession(StudioSession* session)
{
    m_session = session;
    connect(session, &StudioSession::modelChanged, this, [this](StudioModelPtr model) { showModel(model); });
    showModel(session->currentModel());
}

StudioModelPtr ModelDock::current() const
{
    return m_session ? m_session->currentModel() : nullptr;
}

void ModelDock::openFile(const QString& path)
{
    if (!m_session) {
        emit failed(tr("Open: the Model dock has no session to open %1 in").arg(path));
        return;
    }
    m_session->openModel(path);
}

bool ModelDock::isLoading() const
{
    return m_session && m_session->isLoading();
}

bool ModelDock::saveFile(const QString& path)
{
    if (!m_session) {
        emit failed(tr("Save: there is no model to save"));
        return false;
    }
    return m_session->saveModel(path);
}

QString ModelDock::modelFolder()
{
    const QString last = QSettings().value(QStringLiteral("files/lastModelFolder")).toString();
    if (!last.isEmpty() && QFileInfo(last).isDir())
        return last;
    return QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
}

void ModelDock::rememberModelFolder(const QString& path)
{
    storeSetting(QStringLiteral("files/lastModelFolder"), QFileInfo(path).absolutePath());
}

void ModelDock::openDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open checkpoint"), modelFolder(),
                                                      tr("Checkpoints (*.safetensors);;All files (*)"));
    if (path.isEmpty())
        return;
    rememberModelFolder(path);
    openFile(path);
}

QString ModelDock::askSavePath()
{
    const StudioModelPtr model = current();
    if (!model)
        return QString();
    QString suggestion = model->path;
    if (suggestion.isEmpty() || suggestion.startsWith(QLatin1Char(':'))) // new, or the embedded default
        suggestion = QStringLiteral("%1/%2-epoch%3.safetensors")
                         .arg(modelFolder(), QString::fromStdString(model->model->kind()))
                         .arg(model->epoch);
    const QString path = QFileDialog::getSaveFileName(this, tr("Save checkpoint"), suggestion,
                                                      tr("Checkpoints (*.safetensors)"));
    if (!path.isEmpty())
        rememberModelFolder(path);
    return path;
}

void ModelDock::saveDialog()
{
    if (!current()) {
        emit failed(tr("Save: there is no model to save"));
        return;
    }
    const QString path = askSavePath();
    if (!path.isEmpty())
        saveFile(path);
}

QString ModelDock::describe(const StudioModel& entry)
{
    if (!entry.model)
        return tr("No model");
    const Model& model = *entry.model;
    QStringList lines;
    lines << tr("Kind: %1").arg(QString::fromStdString(model.kind()));
    lines << tr("Layers: %1").arg(sizesText(model.layerSizes()));
    lines << tr("Epochs trained: %1").arg(entry.epoch);
    if (!entry.info.datasetName.empty())
        lines << tr("Dataset: %1 (%2 examples)")
                     .arg(QString::fromStdString(entry.info.datasetName))
                     .arg(entry.info.examples);
    else
        lines << tr("Dataset: not trained yet");
    const nlohmann::json config = model.config();
    if (config.contains("corruption"))
        lines << tr("Corruption: %1 %2")
                     .arg(QString::fromStdString(config["corruption"].value("type", std::string("?"))))
                     .arg(config["corruption"].value("level", 0.0));
    if (config.contains("hidden_noise"))
        lines << tr("Hidden noise: %1%2")
                     .arg(config["hidden_noise"].get<double>())
                     .arg(config.value("noiseless_h1", false) ? tr(" (h1 noiseless)") : QString());
    if (config.contains("walkback"))
        lines << tr("Walkback: %1").arg(config["walkback"].get<int>());
    if (config.contains("cd_k"))
        lines << tr("CD-%1%2").arg(config["cd_k"].get<int>()).arg(config.value("persistent", false) ? " (PCD)" : "");
    if (entry.state)
        lines << tr("Learning rate %1, momentum %2, batch %3")
                     .arg(entry.state->learningRate, 0, 'g', 4)
                     .arg(entry.state->momentum)
                     .arg(entry.state->batchSize);
    if (!entry.path.isEmpty())
        lines << tr("File: %1").arg(entry.path);
    return lines.join(QLatin1Char('\n'));
}

void ModelDock::showModel(const StudioModelPtr& model)
{
    m_title->setText(model ? model->name : tr("No model"));
    m_info->setText(model ? describe(*model) : QString());
}

} // namespace gsn
