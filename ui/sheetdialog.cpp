#include "sheetdialog.h"

#include "error.h"
#include "studiosettings.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSettings>
#include <QStandardPaths>
#include <QFileInfo>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace gsn {

SheetDialog::SheetDialog(std::vector<SheetFrame> frames, std::shared_ptr<const void> keepAlive,
                         SheetProvenance provenance, QWidget* parent)
    : QDialog(parent), m_source(std::make_shared<const Source>(Source{std::move(frames), std::move(keepAlive)})),
      m_provenance(std::move(provenance))
{
    setWindowTitle(tr("Export sample sheet"));
    const std::vector<SheetFrame>& all = m_source->frames;
    m_chainCount = all.empty() || !all.front().cells ? 0 : static_cast<int>(all.front().cells->rows());
    std::int64_t lastStep = 0;
    std::int64_t firstStep = std::numeric_limits<std::int64_t>::max();
    for (const SheetFrame& f : all) {
        lastStep = std::max(lastStep, f.step);
        firstStep = std::min(firstStep, f.step);
    }
    if (all.empty())
        firstStep = 0;
    const int maxStep = static_cast<int>(std::min<std::int64_t>(lastStep, std::numeric_limits<int>::max()));

    auto spin = [this](int min, int max, int value, const QString& special = {}) {
        auto* s = new QSpinBox(this);
        s->setRange(min, max);
        s->setValue(value);
        if (!special.isEmpty())
            s->setSpecialValueText(special);
        connect(s, &QSpinBox::valueChanged, this, &SheetDialog::updatePreview);
        return s;
    };
    m_chains = new QLineEdit(this);
    m_chains->setPlaceholderText(tr("all (e.g. 0-9 or 0,3,5-7)"));
    connect(m_chains, &QLineEdit::textChanged, this, &SheetDialog::updatePreview);
    // The default is a sheet a person puts on a slide: the last kDefaultSteps recorded steps of the
    // first kDefaultChains chains (every recorded step of 100 chains makes sheets of thousands of cells).
    constexpr int kDefaultSteps = 20, kDefaultChains = 10;
    const std::int64_t defaultFirst = std::max(firstStep, lastStep - (kDefaultSteps - 1));
    m_first = spin(0, maxStep, static_cast<int>(std::min<std::int64_t>(defaultFirst, maxStep)));

    m_every = spin(1, 1000000, 1);
    // At most 20 steps per chain to begin with: "all" of a full recording (100 chains x 400 steps at scale 2)
    // is a 135-megapixel image that takes many seconds to render on the GUI thread (the soak found it).
    m_maxSteps = spin(0, 100000, 20, tr("all"));
    m_rows = spin(0, 10000, 0, tr("auto (one per chain)"));
    m_columns = spin(0, 10000, 0, tr("auto (one per step)"));
    m_padding = spin(0, 256, 2);
    m_scale = spin(1, 64, 2);
    m_padValue = new QDoubleSpinBox(this);
    m_padValue->setRange(0.0, 1.0);
    m_padValue->setSingleStep(0.1);
    m_padValue->setValue(0.5);
    connect(m_padValue, &QDoubleSpinBox::valueChanged, this, &SheetDialog::updatePreview);
    m_colorMap = new QComboBox(this);
    for (ColorMap m : allColorMaps())
        m_colorMap->addItem(QString::fromStdString(colorMapName(m)), QString::fromStdString(colorMapKey(m)));
    connect(m_colorMap, &QComboBox::currentIndexChanged, this, &SheetDialog::updatePreview);

    auto* form = new QFormLayout;
    form->addRow(tr("&Chains:"), m_chains);
    form->addRow(tr("&First step:"), m_first);
    form->addRow(tr("&Every k-th step:"), m_every);
    form->addRow(tr("&Steps per chain:"), m_maxSteps);
    form->addRow(tr("&Rows:"), m_rows);
    form->addRow(tr("C&olumns:"), m_columns);
    form->addRow(tr("&Padding (pixels):"), m_padding);
    form->addRow(tr("S&cale:"), m_scale);
    form->addRow(tr("Padding &grey:"), m_padValue);
    form->addRow(tr("Colour &map:"), m_colorMap);

    m_preview = new QLabel(this);
    m_preview->setAlignment(Qt::AlignCenter);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_preview);
    scroll->setWidgetResizable(true);
    scroll->setMinimumSize(420, 320);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("sheetStatus"));
    m_status->setWordWrap(true);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Close, this);
    m_saveButton = buttons->button(QDialogButtonBox::Save);
    connect(m_saveButton, &QPushButton::clicked, this, &SheetDialog::chooseFileAndSave);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* top = new QHBoxLayout;
    top->addLayout(form);
    top->addWidget(scroll, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    if (m_chainCount > kDefaultChains) {
        const QSignalBlocker quiet(m_chains);
        m_chains->setText(QStringLiteral("0-%1").arg(kDefaultChains - 1));
    }
    updatePreview();
}

SheetOptions SheetDialog::options() const
{
    SheetOptions o;
    o.chains = parseChainList(m_chains->text().trimmed().toStdString(), m_chainCount); // throws on bad text
    o.firstStep = m_first->value();
    o.every = m_every->value();
    o.maxSteps = m_maxSteps->value();
    o.rows = m_rows->value();
    o.columns = m_columns->value();
    o.padding = m_padding->value();
    o.scale = m_scale->value();
    o.padValue = static_cast<float>(m_padValue->value());
    colorMapFromKey(m_colorMap->currentData().toString().toStdString(), &o.colorMap);
    return o;
}

void SheetDialog::setOptions(const SheetOptions& o)
{
    QStringList chains;
    for (int c : o.chains)
        chains << QString::number(c);
    m_chains->setText(chains.join(','));
    m_first->setValue(static_cast<int>(o.firstStep));
    m_every->setValue(o.every);
    m_maxSteps->setValue(o.maxSteps);
    m_rows->setValue(o.rows);
    m_columns->setValue(o.columns);
    m_padding->setValue(o.padding);
    m_scale->setValue(o.scale);
    m_padValue->setValue(o.padValue);
    m_colorMap->setCurrentIndex(m_colorMap->findData(QString::fromStdString(colorMapKey(o.colorMap))));
    updatePreview();
}

QString SheetDialog::errorText() const
{
    return m_sheet.image.isNull() ? m_status->text() : QString();
}

void SheetDialog::updatePreview()
{
    SheetOptions o;
    try {
        o = options(); // cheap, and its errors (a bad chain list) are the user's to see at once
    } catch (const Error& e) {
        m_render.cancel();
        m_sheet = Sheet{};
        m_preview->clear();
        m_status->setText(QString::fromUtf8(e.what()));
        return;
    }
    m_status->setText(tr("Rendering the sheet..."));
    struct Rendered {
        Sheet sheet;
        QImage preview;
    };
    m_render.start(
        [source = m_source, o](const JobControl&) {
            Rendered r;
            r.sheet = renderSheet(source->frames, o);
            // The preview is at most 2048 pixels on its long side: a 6000-pixel-wide pixmap is slow to
            // upload and scroll, and the saved file keeps every pixel.
            constexpr int kMaxPreview = 2048;
            const QImage& image = r.sheet.image;
            r.preview = std::max(image.width(), image.height()) > kMaxPreview
                            ? image.scaled(kMaxPreview, kMaxPreview, Qt::KeepAspectRatio, Qt::SmoothTransformation)
                            : image;
            return r;
        },
        [this](Rendered r) {
            m_sheet = std::move(r.sheet);
            m_preview->setPixmap(QPixmap::fromImage(r.preview));
            QString text = tr("%1 x %2 cells (%5 chains x %6 steps), %3 x %4 pixels")
                               .arg(m_sheet.rows)
                               .arg(m_sheet.columns)
                               .arg(m_sheet.image.width())
                               .arg(m_sheet.image.height())
                               .arg(m_sheet.chains.size())
                               .arg(m_sheet.steps.size());
            if (r.preview.size() != m_sheet.image.size())
                text += tr(" (preview scaled down; the file keeps every pixel)");
            m_status->setText(text);
            emit previewReady();
        },
        [this](const QString& error) {
            m_sheet = Sheet{};
            m_preview->clear();
            m_status->setText(error);
            emit previewReady();
        });
}

SheetProvenance SheetDialog::provenanceFor(const SheetProvenance& base, const Sheet& sheet, int every)
{
    SheetProvenance p = base;
    if (!sheet.steps.empty()) {
        p.steps = QString("%1-%2 every %3").arg(sheet.steps.front()).arg(sheet.steps.back()).arg(every);
        QStringList chains;
        for (int c : sheet.chains)
            chains << QString::number(c);
        p.chains = QString("%1 (%2)").arg(sheet.chains.size()).arg(chains.join(','));
    }
    return p;
}

SheetProvenance SheetDialog::provenance() const
{
    return provenanceFor(m_provenance, m_sheet, m_every->value());
}

void SheetDialog::save(const QString& path)
{
    SheetOptions o;
    try {
        o = options();
    } catch (const Error& e) {
        emit saveFinished(path, QString::fromUtf8(e.what()));
        return;
    }
    m_saveButton->setEnabled(false);
    m_status->setText(tr("Saving %1...").arg(path));
    m_save.start(
        [source = m_source, o, base = m_provenance, path](const JobControl&) {
            const Sheet sheet = renderSheet(source->frames, o);
            if (sheet.image.isNull())
                fail("sample sheet", "options", "expected options that select at least one cell");
            saveSheet(sheet.image, provenanceFor(base, sheet, o.every), path);
        },
        [this, path] {
            m_saveButton->setEnabled(true);
            m_status->setText(tr("Saved %1").arg(path));
            emit saveFinished(path, QString());
        },
        [this, path](const QString& error) {
            m_saveButton->setEnabled(true);
            m_status->setText(error);
            emit saveFinished(path, error);
        });
}

void SheetDialog::chooseFileAndSave()
{
    // Starts in the folder of the last export, else the user's documents folder (never the working
    // directory, which is often the repository).
    QString folder = QSettings().value(QStringLiteral("files/lastExportFolder")).toString();
    if (folder.isEmpty() || !QFileInfo(folder).isDir())
        folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getSaveFileName(this, tr("Export sample sheet"), folder + QStringLiteral("/sheet.png"),
                                                      tr("PNG image (*.png);;PDF document (*.pdf);;SVG drawing (*.svg)"));
    if (path.isEmpty())
        return;
    storeSetting(QStringLiteral("files/lastExportFolder"), QFileInfo(path).absolutePath());
    // One message box per failed save of this dialog (the connection lives as long as the dialog).
    if (!m_saveReported) {
        m_saveReported = true;
        connect(this, &SheetDialog::saveFinished, this, [this](const QString&, const QString& error) {
            if (!error.isEmpty())
                QMessageBox::critical(this, tr("Export sample sheet"), error);
        });
    }
    save(path);
}

} // namespace gsn
