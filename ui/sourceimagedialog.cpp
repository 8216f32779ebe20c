#include "sourceimagedialog.h"

#include "greyimage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace gsn {

SourceImageDialog::SourceImageDialog(int width, int height, std::shared_ptr<const Dataset> dataset, QWidget* parent)
    : QDialog(parent), m_width(width), m_height(height), m_dataset(std::move(dataset))
{
    setWindowTitle(tr("Source image"));
    setAcceptDrops(true);
    auto* layout = new QVBoxLayout(this);
    m_tabs = new QTabWidget(this);
    layout->addWidget(m_tabs);

    // Dataset page.
    auto* dataPage = new QWidget;
    auto* form = new QFormLayout(dataPage);
    m_index = new QSpinBox;
    m_class = new QComboBox;
    auto* next = new QPushButton(tr("Next of class"));
    const bool fits = m_dataset && m_dataset->width == width && m_dataset->height == height;
    if (fits) {
        m_index->setRange(0, m_dataset->count() - 1);
        for (int c = 0; c < m_dataset->labelCount; ++c)
            m_class->addItem(QString::number(c), c);
    } else {
        m_index->setEnabled(false);
    }
    m_class->setEnabled(fits && m_dataset->labelCount > 0);
    next->setEnabled(m_class->isEnabled());
    form->addRow(tr("Dataset"), new QLabel(m_dataset ? QString::fromStdString(m_dataset->name) : tr("(none loaded)")));
    form->addRow(tr("Index"), m_index);
    auto* classRow = new QHBoxLayout;
    classRow->addWidget(m_class);
    classRow->addWidget(next);
    form->addRow(tr("Class"), classRow);
    m_tabs->addTab(dataPage, tr("Dataset"));
    connect(next, &QPushButton::clicked, this, [this] {
        const int i = nextOfClass(*m_dataset, m_class->currentData().toInt(), m_index->value());
        if (i >= 0)
            m_index->setValue(i);
    });
    connect(m_index, &QSpinBox::valueChanged, this, &SourceImageDialog::updatePreview);

    // File page.
    auto* filePage = new QWidget;
    auto* fileLayout = new QVBoxLayout(filePage);
    auto* open = new QPushButton(tr("Open PNG/JPEG... (or drop a file here)"));
    m_invert = new QCheckBox(tr("Invert (dark strokes on light paper -> light on dark like MNIST)"));
    fileLayout->addWidget(open);
    fileLayout->addWidget(m_invert);
    fileLayout->addStretch();
    m_tabs->addTab(filePage, tr("File"));
    connect(open, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open image"), {}, tr("Images (*.png *.jpg *.jpeg)"));
        if (!path.isEmpty())
            openFile(path);
    });
    connect(m_invert, &QCheckBox::toggled, this, &SourceImageDialog::updatePreview);
    connect(m_tabs, &QTabWidget::currentChanged, this, &SourceImageDialog::updatePreview);

    auto* previewRow = new QHBoxLayout;
    previewRow->addWidget(new QLabel(tr("Result (%1x%2):").arg(width).arg(height)));
    m_preview = new QLabel;
    m_preview->setFixedSize(std::max(112, width * 4), std::max(112, height * 4));
    m_preview->setFrameShape(QFrame::Box);
    previewRow->addWidget(m_preview);
    previewRow->addStretch();
    layout->addLayout(previewRow);
    m_messageLabel = new QLabel;
    m_messageLabel->setWordWrap(true);
    layout->addWidget(m_messageLabel);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (source().valid())
            accept();
        else
            setMessage(tr("Nothing to use yet: pick an example, open an image or take a chain's sample."));
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    if (!fits && m_dataset)
        setMessage(tr("The dataset's images are %1x%2, the model's %3x%4: open an image file instead.")
                       .arg(m_dataset->width).arg(m_dataset->height).arg(width).arg(height));
    updatePreview();
}

void SourceImageDialog::setChainSample(std::vector<float> pixels, const QString& origin)
{
    if (pixels.size() != std::size_t(m_width) * m_height)
        return;
    m_chain = {std::move(pixels), m_width, m_height, origin};
    if (m_chainPage < 0) {
        auto* page = new QLabel(tr("Use the current sample of the running chain:\n%1").arg(origin));
        m_chainPage = m_tabs->addTab(page, tr("Chain"));
    }
    updatePreview();
}

bool SourceImageDialog::openFile(const QString& path)
{
    QImageReader reader(path);
    reader.setDecideFormatFromContent(true);
    const QImage image = reader.read();
    if (image.isNull()) {
        setMessage(tr("%1: not an image (%2); nothing changed.").arg(QFileInfo(path).fileName(), reader.errorString()));
        return false;
    }
    m_fileImage = image;
    m_fileName = QFileInfo(path).fileName();
    m_tabs->setCurrentIndex(1);
    QStringList notes;
    if (image.width() != m_width || image.height() != m_height)
        notes << tr("%1x%2 -> cropped to the model's aspect and scaled to %3x%4")
                     .arg(image.width()).arg(image.height()).arg(m_width).arg(m_height);
    if (imageHasColour(image))
        notes << tr("colour -> converted to grey");
    setMessage(notes.isEmpty() ? tr("%1: used as is.").arg(m_fileName) : m_fileName + ": " + notes.join("; ") + ".");
    updatePreview();
    return true;
}

SourceImage SourceImageDialog::source() const
{
    const int page = m_tabs->currentIndex();
    if (page == 0 && m_dataset && m_index->isEnabled())
        return sourceFromDataset(*m_dataset, m_index->value());
    if (page == 1 && !m_fileImage.isNull())
        return convertToSource(m_fileImage, m_width, m_height, {m_invert->isChecked()}, m_fileName);
    if (page == m_chainPage && m_chain.valid())
        return m_chain;
    return {};
}

void SourceImageDialog::updatePreview()
{
    const SourceImage s = source();
    if (!s.valid()) {
        m_preview->clear();
        return;
    }
    m_preview->setPixmap(QPixmap::fromImage(greyImage(s.pixels.data(), s.width, s.height)
                                                .scaled(m_preview->size(), Qt::KeepAspectRatio, Qt::FastTransformation)));
}

void SourceImageDialog::setMessage(const QString& text)
{
    m_message = text;
    m_messageLabel->setText(text);
}

void SourceImageDialog::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void SourceImageDialog::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.front().isLocalFile())
        openFile(urls.front().toLocalFile());
}

} // namespace gsn
