#include "classinterpolationview.h"

#include "classmixingrun.h"
#include "datasets.h"
#include "defaultmodel.h"
#include "error.h"
#include "imagestrip.h"
#include "sheetwriter.h"

#include <QAbstractSpinBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPixmap>
#include <QPushButton>
#include <QScrollArea>
#include <QShowEvent>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

namespace gsn {

namespace {

// The distinct checkpoints of the window's panels (the tempering panel runs the RBM's checkpoint again).
struct ModelEntry {
    QString name;
    std::string resource;
};

const std::vector<ModelEntry>& modelEntries()
{
    static const std::vector<ModelEntry> entries = [] {
        std::vector<ModelEntry> out;
        for (const ClassMixingModelChoice& c : classMixingModels()) {
            if (c.tempering)
                continue;
            const bool rbm = c.resource.find("rbm") != std::string::npos;
            out.push_back({rbm ? QStringLiteral("RBM (mean field)") : QString::fromStdString(c.name), c.resource});
        }
        return out;
    }();
    return entries;
}

// Image scale of the strip: large cells for a few steps, smaller for many (the strip scrolls sideways).
int stripScale(int steps)
{
    return steps <= 10 ? 4 : steps <= 14 ? 3 : steps <= 24 ? 2 : 1;
}

} // namespace

ClassInterpolationView::ClassInterpolationView(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("classInterpolation"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Model")));
    m_model = new QComboBox;
    m_model->setObjectName(QStringLiteral("interpModel"));
    for (const ModelEntry& e : modelEntries())
        m_model->addItem(e.name, QString::fromStdString(e.resource));
    m_model->setToolTip(tr("The checkpoint whose spaces are interpolated in (a GSN-2 has x, h1 and h2; a DAE and an RBM x and h1)"));
    controls->addWidget(m_model);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("From test digit")));
    m_a = new QSpinBox;
    m_a->setObjectName(QStringLiteral("interpFrom"));
    m_a->setRange(0, 9999);
    m_a->setValue(0); // a 7
    m_a->setToolTip(tr("MNIST test digit A (as gsn interpolate --from test:A)"));
    controls->addWidget(m_a);
    controls->addWidget(new QLabel(tr("to")));
    m_b = new QSpinBox;
    m_b->setObjectName(QStringLiteral("interpTo"));
    m_b->setRange(0, 9999);
    m_b->setValue(1); // a 2
    m_b->setToolTip(tr("MNIST test digit B (as gsn interpolate --to test:B)"));
    controls->addWidget(m_b);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Steps")));
    m_steps = new QSpinBox;
    m_steps->setObjectName(QStringLiteral("interpSteps"));
    m_steps->setRange(mixing::kMinInterpolationSteps, mixing::kMaxInterpolationSteps);
    m_steps->setValue(10);
    m_steps->setToolTip(tr("Images per row, both endpoints included"));
    controls->addWidget(m_steps);
    controls->addSpacing(12);
    m_export = new QPushButton(tr("Export PNG..."));
    m_export->setObjectName(QStringLiteral("interpExport"));
    m_export->setEnabled(false);
    controls->addWidget(m_export);
    controls->addStretch(1);
    layout->addLayout(controls);

    m_explain = new QLabel(tr("Each row interpolates linearly between A and B in one space and decodes every point back to "
                              "pixels with the noise off (x: the pixels themselves; h1, h2: the model's deterministic upward "
                              "pass, then the top-down pass through the tied weights). The paper's claim: in deeper spaces the "
                              "images in between stay digits (fewer blurry superpositions). Under each row: the mean and largest "
                              "pixel distance between neighbours, the path length over the endpoints' distance, and how many "
                              "images in between the classifier calls neither A's nor B's class or is unsure of."));
    m_explain->setObjectName(QStringLiteral("interpExplain"));
    m_explain->setWordWrap(true);
    layout->addWidget(m_explain);

    auto* scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("interpScroll"));
    scroll->setWidgetResizable(false);
    scroll->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_image = new QLabel;
    m_image->setObjectName(QStringLiteral("interpStrip"));
    m_image->setText(tr("Computing..."));
    m_image->adjustSize();
    scroll->setWidget(m_image);
    layout->addWidget(scroll, 1);

    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("interpStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    for (QAbstractSpinBox* box : findChildren<QAbstractSpinBox*>())
        box->setKeyboardTracking(false);
    connect(m_a, &QSpinBox::valueChanged, this, &ClassInterpolationView::schedule);
    connect(m_b, &QSpinBox::valueChanged, this, &ClassInterpolationView::schedule);
    connect(m_steps, &QSpinBox::valueChanged, this, &ClassInterpolationView::schedule);
    connect(m_model, &QComboBox::currentIndexChanged, this, &ClassInterpolationView::schedule);
    connect(m_export, &QPushButton::clicked, this, &ClassInterpolationView::exportWithDialog);
}

ClassInterpolationView::~ClassInterpolationView() = default;

void ClassInterpolationView::setDigits(int a, int b)
{
    m_a->setValue(a);
    m_b->setValue(b);
    schedule();
}

void ClassInterpolationView::setSteps(int steps)
{
    m_steps->setValue(steps);
    schedule();
}

void ClassInterpolationView::setModel(int index)
{
    m_model->setCurrentIndex(index);
    schedule();
}

void ClassInterpolationView::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (!m_shown) {
        m_shown = true;
        schedule();
    }
}

// Changes arriving together (setDigits sets two boxes) compute once.
void ClassInterpolationView::schedule()
{
    if (m_pending)
        return;
    m_pending = true;
    QTimer::singleShot(0, this, [this] {
        if (m_pending) // not cancelled meanwhile
            refresh();
    });
}

void ClassInterpolationView::refresh()
{
    m_pending = false;
    const std::string resource = m_model->currentData().toString().toStdString();
    const QString modelName = m_model->currentText();
    const int a = m_a->value(), b = m_b->value(), steps = m_steps->value();
    const auto found = m_models.find(resource);
    std::shared_ptr<const Model> model = found == m_models.end() ? nullptr : found->second;
    std::shared_ptr<const Dataset> test = m_test;
    std::shared_ptr<const Classifier> classifier = m_classifier;
    m_status->setText(tr("Interpolating from test digit %1 to %2 with %3...").arg(a).arg(b).arg(modelName));

    struct Computed {
        std::shared_ptr<const Dataset> test;
        std::shared_ptr<const Classifier> classifier;
        std::shared_ptr<const Model> model;
        std::shared_ptr<const mixing::Interpolation> result;
        QImage strip;
        QString title;
    };
    m_job.start(
        [resource, modelName, a, b, steps, model, test, classifier](const JobControl& job) {
            Computed out;
            out.test = test ? test : std::make_shared<const Dataset>(loadDataset("mnist-test"));
            out.classifier = classifier ? classifier : loadDefaultClassifier();
            if (job.cancelled())
                return out;
            out.model = model ? model : std::shared_ptr<const Model>(loadCheckpointResource(QString::fromStdString(resource)).model);
            if (job.cancelled())
                return out;
            const Dataset& d = *out.test;
            if (out.model->visibleSize() != d.pixels.cols())
                fail(resource, "model", "expected a model of " + std::to_string(d.pixels.cols()) + " pixels (the test digits')");
            for (int i : {a, b})
                if (i >= d.count())
                    fail(d.name, "test digit", "expected an index below " + std::to_string(d.count()) + ", got " + std::to_string(i));
            const auto label = [&](int i) { return d.labels.empty() ? -1 : d.labels[static_cast<std::size_t>(i)]; };
            const Classifier* c = out.classifier && out.classifier->inputs() == d.pixels.cols() ? out.classifier.get() : nullptr;
            out.result = std::make_shared<const mixing::Interpolation>(
                mixing::interpolate(*out.model, c, d.pixels.row(a), d.pixels.row(b), steps, label(a), label(b)));
            std::vector<ImageStripRow> rows;
            for (const mixing::InterpolationRow& row : out.result->rows)
                rows.push_back({QString::fromStdString(row.space), row.images, QString::fromStdString(mixing::interpolationSummary(row))});
            out.title = QStringLiteral("%1: test digit %2 (class %3) to test digit %4 (class %5), %6 steps")
                            .arg(modelName)
                            .arg(a)
                            .arg(out.result->classA)
                            .arg(b)
                            .arg(out.result->classB)
                            .arg(steps);
            out.strip = renderImageStrip(rows, d.width, d.height, stripScale(steps), out.title);
            return out;
        },
        [this, resource, modelName, a, b](Computed c) {
            if (c.test)
                m_test = c.test;
            if (c.classifier)
                m_classifier = c.classifier;
            if (c.model)
                m_models[resource] = c.model;
            if (!c.result)
                return;
            m_result = c.result;
            m_strip = c.strip;
            m_title = c.title;
            m_modelName = modelName;
            m_resource = QString::fromStdString(resource);
            m_source = QStringLiteral("test:%1 to test:%2").arg(a).arg(b);
            m_lastError.clear();
            m_image->setPixmap(QPixmap::fromImage(m_strip));
            m_image->adjustSize();
            m_export->setEnabled(true);
            m_status->setText(c.title);
            emit stripChanged();
        },
        [this](const QString& error) {
            m_lastError = error;
            m_status->setText(error);
            emit errorShown(error);
        });
}

void ClassInterpolationView::cancel()
{
    m_job.cancel();
    m_pending = false;
}

QString ClassInterpolationView::statusText() const
{
    return m_status->text();
}

void ClassInterpolationView::exportStrip(const QString& path) const
{
    if (m_strip.isNull() || !m_result)
        fail(path.toStdString(), "", "no strip yet: the interpolation is still being computed");
    SheetProvenance p;
    p.modelFile = QFileInfo(m_resource).fileName(); // the embedded checkpoint (resources/ in the source tree)
    p.source = m_source;                             // what the strip shows, not the controls' current values
    p.steps = QString::number(m_result->steps);
    p.extra.push_back({QStringLiteral("Model"), m_modelName});
    p.extra.push_back({QStringLiteral("Interpolation"), QStringLiteral("linear in each space, decoded top-down with noise off")});
    p.extra.push_back({QStringLiteral("Title"), m_title});
    saveSheet(m_strip, p, path);
}

void ClassInterpolationView::exportWithDialog()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Export interpolation strip"), QStringLiteral("interpolation.png"),
                                                tr("PNG (*.png);;PDF (*.pdf);;SVG (*.svg)"));
    if (path.isEmpty())
        return;
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("pdf") && suffix != QLatin1String("svg"))
        path += QStringLiteral(".png");
    try {
        exportStrip(path);
        m_status->setText(tr("Wrote %1").arg(path));
    } catch (const std::exception& e) {
        m_lastError = QString::fromStdString(e.what());
        m_status->setText(m_lastError);
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Interpolation"), m_lastError, QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
}

} // namespace gsn
