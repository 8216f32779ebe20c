#include "datadock.h"

#include "datasets.h"
#include "error.h"
#include "examplestripmodel.h"

#include <QComboBox>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QListView>
#include <QVBoxLayout>

namespace gsn {

namespace {

struct Choice {
    const char* label;
    const char* spec;
    const char* split; // the tooltip: which rows of which files
};

// The built-in choices; the last chooser entry opens a file dialog.
constexpr Choice kChoices[] = {
    {"MNIST (test, 10000)", "mnist-test", "The 10000 MNIST test digits (28x28 images)"},
    {"MNIST (train, 50000)", "mnist-train",
     "MNIST training digits 0-49999 (28x28 images): the papers' training set. The last 10000 of MNIST's 60000 "
     "training digits are the validation set the Parzen protocol chooses sigma on"},
    {"Fashion-MNIST (test, 10000)", "fashion-test", "The 10000 Fashion-MNIST test images (28x28 images)"},
    {"Fashion-MNIST (train, 60000)", "fashion-train",
     "All 60000 Fashion-MNIST training images (28x28 images): no rows are held out for validation, unlike MNIST's 50000"},
    {"Faces (LFW subset, 25 x 25)", "faces", "The LFW face subset of scikit-image (25x25 images)"},
};

} // namespace

DataDock::DataDock(QWidget* parent) : QDockWidget(tr("Data"), parent)
{
    setObjectName(QStringLiteral("DataDock"));
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);

    m_chooser = new QComboBox(body);
    m_chooser->setObjectName(QStringLiteral("datasetChooser"));
    for (const Choice& choice : kChoices) {
        m_chooser->addItem(tr(choice.label), QString::fromLatin1(choice.spec));
        m_chooser->setItemData(m_chooser->count() - 1, tr(choice.split), Qt::ToolTipRole);
    }
    m_chooser->addItem(tr("Open file (TFD, Olivetti, Frey .mat, .npy, IDX)..."), QString());
    m_chooser->setToolTip(tr("Dataset shown in the strip and used for training and chain initialisation"));
    connect(m_chooser, &QComboBox::activated, this, &DataDock::chooserActivated);
    layout->addWidget(m_chooser);

    m_info = new QLabel(tr("No dataset loaded"), body);
    m_info->setObjectName(QStringLiteral("datasetInfo"));
    m_info->setWordWrap(true);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_info);

    m_model = new ExampleStripModel(this);
    m_strip = new QListView(body);
    m_strip->setObjectName(QStringLiteral("exampleStrip"));
    m_strip->setModel(m_model);
    m_strip->setViewMode(QListView::IconMode);
    m_strip->setFlow(QListView::LeftToRight);
    m_strip->setWrapping(true);
    m_strip->setResizeMode(QListView::Adjust);
    m_strip->setUniformItemSizes(true);
    m_strip->setMovement(QListView::Static);
    m_strip->setSpacing(2);
    m_strip->setIconSize(QSize(m_model->thumbnailSize(), m_model->thumbnailSize()));
    m_strip->setLayoutMode(QListView::Batched); // lays out 60000 items without stalling the GUI
    m_strip->setToolTip(tr("Double-click an example to use it (e.g. to start chains from it)"));
    connect(m_strip, &QListView::activated, this, [this](const QModelIndex& index) { emit exampleActivated(index.row()); });
    layout->addWidget(m_strip, 1);

    setWidget(body);
}

void DataDock::chooserActivated(int row)
{
    const QString spec = m_chooser->itemData(row).toString();
    if (spec.isEmpty())
        openFile();
    else if (spec != m_spec)
        requestDataset(spec);
}

void DataDock::openFile()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open dataset"), QString(),
        tr("Datasets (*.mat *.npy *-ubyte *-ubyte.gz);;All files (*)"));
    if (path.isEmpty())
        selectSpecInChooser(m_spec); // dialog cancelled: show the dataset that is still loaded
    else
        requestDataset(path);
}

void DataDock::requestDataset(const QString& spec)
{
    m_info->setText(tr("Loading %1...").arg(spec.toHtmlEscaped()));
    m_load.start(
        [spec](const JobControl&) {
            try {
                return std::make_shared<const Dataset>(gsn::loadDataset(spec.toStdString()));
            } catch (const std::bad_alloc&) {
                fail(spec.toStdString(), "size", "expected a dataset that fits in memory (not enough memory to load it)");
            }
        },
        [this, spec](std::shared_ptr<const Dataset> dataset) { applyDataset(std::move(dataset), spec); },
        [this](const QString& message) { refuseDataset(message); });
}

bool DataDock::loadDataset(const QString& spec)
{
    requestDataset(spec);
    const std::uint64_t generation = m_load.generation();
    QEventLoop loop; // loadFinished comes queued from the worker, so it cannot have been emitted yet
    connect(this, &DataDock::loadFinished, &loop, &QEventLoop::quit);
    loop.exec();
    return m_load.generation() == generation && m_lastOk && m_spec == spec;
}

void DataDock::refuseDataset(const QString& message)
{
    m_lastOk = false;
    selectSpecInChooser(m_spec);
    showInfo();
    emit loadFailed(message);
    emit loadFinished(false);
}

void DataDock::applyDataset(std::shared_ptr<const Dataset> dataset, const QString& spec)
{
    m_lastOk = true;
    m_dataset = dataset;
    m_spec = spec;
    m_model->setDataset(dataset);
    selectSpecInChooser(spec);
    showInfo();
    emit datasetLoaded(dataset);
    emit loadFinished(true);
}

void DataDock::showInfo()
{
    if (!m_dataset) {
        m_info->setText(tr("No dataset loaded"));
        m_info->setToolTip(QString());
        return;
    }
    const Dataset& dataset = *m_dataset;
    QString info = tr("<b>%1</b>: %2 images, %3 x %4")
                       .arg(QString::fromStdString(dataset.name).toHtmlEscaped())
                       .arg(dataset.count())
                       .arg(dataset.width)
                       .arg(dataset.height);
    if (dataset.labelCount > 0)
        info += tr(", %1 classes").arg(dataset.labelCount);
    info += tr("<br>hash %1").arg(QString::fromStdString(dataset.hash));
    m_info->setText(info);
    m_info->setToolTip(QString::fromStdString(dataset.source));
}

void DataDock::selectSpecInChooser(const QString& spec)
{
    int index = m_chooser->findData(spec);
    if (index < 0 && !spec.isEmpty()) {
        // A user file: list it above the "Open file" entry so it can be chosen again.
        index = m_chooser->count() - 1;
        m_chooser->insertItem(index, QFileInfo(spec).fileName(), spec);
        m_chooser->setItemData(index, spec, Qt::ToolTipRole);
    }
    if (index >= 0)
        m_chooser->setCurrentIndex(index);
}

} // namespace gsn
