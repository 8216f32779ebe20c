#include "chainsdock.h"

#include "chaincontroller.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

namespace gsn {

ChainsDock::ChainsDock(ChainController* chains, QWidget* parent) : QDockWidget(tr("Chains"), parent), m_chains(chains)
{
    setObjectName(QStringLiteral("chainsDock"));
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);

    auto* buttons = new QHBoxLayout;
    m_start = new QPushButton(tr("Start"), body);
    m_start->setObjectName(QStringLiteral("chainsStart"));
    m_start->setToolTip(tr("Start or pause the chains (Space)"));
    m_step = new QPushButton(tr("Step"), body);
    m_step->setToolTip(tr("One step of every chain (S)"));
    m_reset = new QPushButton(tr("Reset"), body);
    m_reset->setToolTip(tr("Restart the chains from new start images (R)"));
    buttons->addWidget(m_start);
    buttons->addWidget(m_step);
    buttons->addWidget(m_reset);
    layout->addLayout(buttons);
    m_status = new QLabel(body);
    m_status->setObjectName(QStringLiteral("chainsStatus"));
    layout->addWidget(m_status);
    m_dataNote = new QLabel(body);
    m_dataNote->setObjectName(QStringLiteral("chainsDataNote"));
    m_dataNote->setWordWrap(true);
    m_dataNote->hide();
    layout->addWidget(m_dataNote);
    m_newForData = new QPushButton(tr("New model for this dataset"), body);
    m_newForData->setObjectName(QStringLiteral("chainsNewModelForData"));
    m_newForData->setToolTip(tr("A fresh model of the current kind, sized for the loaded images (File > New model)"));
    m_newForData->hide();
    connect(m_newForData, &QPushButton::clicked, this, &ChainsDock::newModelForDataRequested);
    layout->addWidget(m_newForData);

    auto* form = new QFormLayout;
    m_count = new QSpinBox(body);
    m_count->setObjectName(QStringLiteral("chainCount"));
    m_count->setRange(1, 1000);
    m_count->setValue(chains->chainCount());
    m_count->setKeyboardTracking(false);
    form->addRow(tr("Chains"), m_count);
    m_seed = new QSpinBox(body);
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(int(chains->seed()));
    m_seed->setToolTip(tr("Seed of the chains' noise (used by the next reset)"));
    form->addRow(tr("Seed"), m_seed);
    m_init = new QComboBox(body);
    m_init->setObjectName(QStringLiteral("chainInit"));
    m_init->addItem(tr("Random test images"), int(ChainStart::RandomImages));
    m_init->addItem(tr("One test image"), int(ChainStart::TestImage));
    m_init->addItem(tr("Noise"), int(ChainStart::Noise));
    m_image = new QSpinBox(body);
    m_image->setRange(0, 999999);
    m_image->setToolTip(tr("Index of the test image every chain starts from"));
    auto* initRow = new QHBoxLayout;
    initRow->addWidget(m_init, 1);
    initRow->addWidget(m_image);
    form->addRow(tr("Start from"), initRow);
    m_rate = new QDoubleSpinBox(body);
    m_rate->setRange(0.1, 1000);
    m_rate->setValue(chains->rate() > 0 ? chains->rate() : 25);
    m_rate->setSuffix(tr(" steps/s"));
    m_fastest = new QCheckBox(tr("fastest"), body);
    m_fastest->setChecked(chains->rate() <= 0);
    m_fastest->setToolTip(tr("Step as fast as possible"));
    auto* rateRow = new QHBoxLayout;
    rateRow->addWidget(m_rate, 1);
    rateRow->addWidget(m_fastest);
    form->addRow(tr("Speed"), rateRow);
    m_show = new QComboBox(body);
    m_show->setObjectName(QStringLiteral("chainShow"));
    m_show->addItem(tr("Mean of P(X | ...)"));
    m_show->addItem(tr("Sampled state (fed back)"));
    form->addRow(tr("Show"), m_show);
    layout->addLayout(form);

    auto* noise = new QGroupBox(tr("Noise while sampling"), body);
    auto* noiseForm = new QFormLayout(noise);
    m_ownNoise = new QCheckBox(tr("as the model was trained"), noise);
    m_ownNoise->setChecked(true);
    noiseForm->addRow(m_ownNoise);
    m_hiddenNoise = new QDoubleSpinBox(noise);
    m_hiddenNoise->setRange(0, 10);
    m_hiddenNoise->setSingleStep(0.1);
    m_hiddenNoise->setToolTip(tr("GSN hidden-layer noise sigma used by the chains"));
    noiseForm->addRow(tr("Hidden noise"), m_hiddenNoise);
    m_corruption = new QDoubleSpinBox(noise);
    m_corruption->setRange(0, 1);
    m_corruption->setSingleStep(0.05);
    m_corruption->setToolTip(tr("Corruption level applied to the fed-back state"));
    noiseForm->addRow(tr("Corruption"), m_corruption);
    auto* note = new QLabel(tr("Walkback only shapes training; a chain step is one update."), noise);
    note->setWordWrap(true);
    QFont small = note->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    note->setFont(small);
    noiseForm->addRow(note);
    layout->addWidget(noise);
    layout->addStretch(1);
    setWidget(body);

    connect(m_start, &QPushButton::clicked, chains, &ChainController::toggleRunning);
    connect(m_step, &QPushButton::clicked, chains, &ChainController::stepOnce);
    connect(m_reset, &QPushButton::clicked, this, [this] {
        applyStart();
        m_chains->reset();
    });
    connect(m_count, &QSpinBox::valueChanged, chains, &ChainController::setChainCount);
    connect(m_seed, &QSpinBox::valueChanged, this, [this](int seed) { m_chains->setSeed(std::uint64_t(seed)); });
    connect(m_init, &QComboBox::currentIndexChanged, this, &ChainsDock::applyStart);
    connect(m_image, &QSpinBox::valueChanged, this, &ChainsDock::applyStart);
    connect(m_rate, &QDoubleSpinBox::valueChanged, this, &ChainsDock::applyRate);
    connect(m_fastest, &QCheckBox::toggled, this, &ChainsDock::applyRate);
    connect(m_show, &QComboBox::currentIndexChanged, this, [this](int i) { m_chains->setShowSamples(i == 1); });
    connect(m_ownNoise, &QCheckBox::toggled, this, &ChainsDock::applyNoise);
    connect(m_hiddenNoise, &QDoubleSpinBox::valueChanged, this, &ChainsDock::applyNoise);
    connect(m_corruption, &QDoubleSpinBox::valueChanged, this, &ChainsDock::applyNoise);
    // An image dropped on the window (or set by MainWindow::startChainsFromImage) becomes a start choice.
    connect(chains, &ChainController::startImageChanged, this, [this](const QString& origin) {
        int item = m_init->findData(int(ChainStart::Image));
        if (item < 0) {
            m_init->addItem(QString(), int(ChainStart::Image));
            item = m_init->count() - 1;
        }
        m_init->setItemText(item, tr("Image: %1").arg(origin));
        m_init->setItemData(item, origin, Qt::ToolTipRole);
        const QSignalBlocker block(m_init);
        m_init->setCurrentIndex(item);
        m_image->setEnabled(false);
    });
    connect(chains, &ChainController::runningChanged, this, [this](bool running) {
        m_start->setText(running ? tr("Pause") : tr("Start"));
    });
    auto* timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &ChainsDock::updateStatus);
    timer->start(500);
    applyRate();
    modelChanged();
}

void ChainsDock::applyStart()
{
    m_image->setEnabled(ChainStart(m_init->currentData().toInt()) == ChainStart::TestImage);
    m_chains->setStart(ChainStart(m_init->currentData().toInt()), m_image->value());
}

void ChainsDock::applyRate()
{
    m_rate->setEnabled(!m_fastest->isChecked());
    m_chains->setRate(m_fastest->isChecked() ? 0.0 : m_rate->value());
}

void ChainsDock::applyNoise()
{
    const bool own = m_ownNoise->isChecked();
    const bool gsn = m_chains->model() && m_chains->model()->config().contains("hidden_noise");
    const bool corrupted = m_chains->model() && m_chains->model()->config().contains("corruption");
    m_hiddenNoise->setEnabled(!own && gsn);
    m_corruption->setEnabled(!own && corrupted);
    if (own)
        m_chains->setSamplingNoise(-1, -1);
    else
        m_chains->setSamplingNoise(gsn ? m_hiddenNoise->value() : -1, corrupted ? m_corruption->value() : -1);
}

void ChainsDock::modelChanged()
{
    const auto model = m_chains->model();
    const nlohmann::json config = model ? model->config() : nlohmann::json::object();
    const QSignalBlocker b1(m_hiddenNoise), b2(m_corruption), b3(m_ownNoise);
    m_ownNoise->setChecked(true);
    if (config.contains("hidden_noise"))
        m_hiddenNoise->setValue(config["hidden_noise"].get<double>());
    if (config.contains("corruption") && config["corruption"].is_object())
        m_corruption->setValue(config["corruption"].value("level", 0.0));
    m_hiddenNoise->setEnabled(false);
    m_corruption->setEnabled(false);
}

void ChainsDock::setModelDataNote(const QString& text, bool mismatch)
{
    m_dataNote->setText(mismatch ? QStringLiteral("<b>%1</b>").arg(text.toHtmlEscaped()) : text.toHtmlEscaped());
    m_dataNote->setStyleSheet(mismatch ? QStringLiteral("color: #b03000;") : QString());
    m_dataNote->setVisible(!text.isEmpty());
    m_newForData->setVisible(mismatch);
}

void ChainsDock::updateStatus()
{
    if (!m_chains->hasChains()) {
        m_status->setText(tr("No chains (load or make a model)"));
        return;
    }
    m_status->setText(tr("%1 chains, step %2, %3 steps/s")
                          .arg(m_chains->chainCount())
                          .arg(m_chains->steps())
                          .arg(m_chains->measuredRate(), 0, 'f', 1));
}

} // namespace gsn
