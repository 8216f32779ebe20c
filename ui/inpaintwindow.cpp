#include "inpaintwindow.h"

#include "chains.h"
#include "chainview.h"
#include "checkpoint.h"
#include "defaultmodel.h"
#include "error.h"
#include "greyimage.h"
#include "maskio.h"
#include "maskpainter.h"
#include "pngtext.h"
#include "sheet.h"
#include "sheetwriter.h"
#include "sourceimagedialog.h"
#include "studiosession.h"

#include <QAction>
#include <QActionGroup>
#include <QBuffer>
#include <QColorDialog>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QShortcut>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>


namespace gsn {

namespace {

constexpr int kMaxRecorded = 64;

QByteArray pngBytes(const QImage& image, const QString& path)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    if (!buffer.open(QIODevice::WriteOnly) || !image.save(&buffer, "PNG"))
        fail(path.toStdString(), "output", "cannot encode PNG");
    return bytes;
}

QByteArray greyPng(const std::vector<float>& pixels, int width, int height, const QString& path)
{
    if (pixels.size() != std::size_t(width) * height || width < 1)
        fail(path.toStdString(), "map", "expected statistics of a run (press Run first)");
    return pngBytes(greyImage(pixels.data(), width, height), path);
}

} // namespace

InpaintWindow::InpaintWindow(QWidget* parent) : QWidget(parent)
{
    setWindowTitle(tr("Inpainting - GSN Studio"));
    m_exports = new FileWriteQueue(this);
    buildUi();
    // Esc and Ctrl+W close the window, as they close a dialog or a document window.
    for (const QKeySequence& keys : {QKeySequence(Qt::Key_Escape), QKeySequence(QKeySequence::Close)}) {
        auto* close = new QShortcut(keys, this, this, &QWidget::close);
        close->setContext(Qt::WindowShortcut);
    }
    m_mapTimer = new QTimer(this);
    m_mapTimer->setInterval(100);
    connect(m_mapTimer, &QTimer::timeout, this, &InpaintWindow::refreshMaps);
    m_mapTimer->start();
}

// A runner's callbacks run on its worker and touch this window: they pass through the gate, which
// retireRunner closes (under the lock, so no callback is half-way through) before the runner is
// stopped off the GUI thread, possibly after this window is gone.
struct InpaintWindow::FrameGate {
    std::mutex mutex;
    bool open = true;
};

InpaintWindow::~InpaintWindow()
{
    // The worker's callbacks stop before the view and the statistics they write to go away; its join
    // happens on the reaper.
    retireRunner();
}

void InpaintWindow::retireRunner()
{
    if (!m_runner)
        return;
    {
        std::lock_guard lock(m_gate->mutex);
        m_gate->open = false;
    }
    BackgroundJob::retire([runner = std::shared_ptr<ChainRunner>(std::move(m_runner))]() mutable { runner.reset(); });
}

void InpaintWindow::buildUi()
{
    auto* top = new QHBoxLayout(this);
    auto* splitter = new QSplitter(this);
    top->addWidget(splitter);

    // Left: source and mask painter with its tools.
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    m_painter = new MaskPainter;
    auto* tools = new QToolBar;
    auto addTool = [&](const QString& name, MaskPainter::Tool tool, const QString& tip) {
        QAction* a = tools->addAction(name, this, [this, tool] { m_painter->setTool(tool); });
        a->setCheckable(true);
        a->setToolTip(tip);
        a->setChecked(tool == MaskPainter::Tool::Brush);
        return a;
    };
    auto* group = new QActionGroup(this);
    group->addAction(addTool(tr("Brush"), MaskPainter::Tool::Brush, tr("Paint clamped pixels (right button frees)")));
    group->addAction(addTool(tr("Eraser"), MaskPainter::Tool::Eraser, tr("Free pixels")));
    group->addAction(addTool(tr("Rect"), MaskPainter::Tool::Rectangle, tr("Rectangle: left clamps, right frees")));
    group->addAction(addTool(tr("Lasso"), MaskPainter::Tool::Lasso, tr("Free-hand polygon: left clamps, right frees")));
    group->addAction(addTool(tr("Fill"), MaskPainter::Tool::Fill, tr("Flood fill a region: left clamps, right frees")));
    auto* size = new QSpinBox;
    size->setRange(1, 32);
    size->setValue(m_painter->brushSize());
    size->setPrefix(tr("size "));
    size->setToolTip(tr("Brush diameter in image pixels"));
    connect(size, &QSpinBox::valueChanged, m_painter, &MaskPainter::setBrushSize);
    tools->addWidget(size);
    leftLayout->addWidget(tools);

    auto* edits = new QToolBar;
    auto* presets = new QToolButton;
    presets->setText(tr("Presets"));
    presets->setPopupMode(QToolButton::InstantPopup);
    auto* presetMenu = new QMenu(presets);
    for (MaskPreset p : {MaskPreset::LeftHalf, MaskPreset::RightHalf, MaskPreset::TopHalf, MaskPreset::BottomHalf,
                         MaskPreset::CentreSquare, MaskPreset::Border})
        presetMenu->addAction(QString::fromStdString(maskPresetName(p)), this, [this, p] { m_painter->applyPreset(p); });
    for (int percent : {25, 50, 75})
        presetMenu->addAction(tr("random %1%").arg(percent), this, [this, percent] {
            MaskPresetOptions o;
            o.fraction = percent / 100.0;
            o.seed = m_seed;
            m_painter->applyPreset(MaskPreset::Random, o);
        });
    presets->setMenu(presetMenu);
    edits->addWidget(presets);
    edits->addAction(tr("Invert"), m_painter, &MaskPainter::invert);
    edits->addAction(tr("Clear"), m_painter, &MaskPainter::clear);
    QAction* undo = m_painter->undoStack()->createUndoAction(this, tr("Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = m_painter->undoStack()->createRedoAction(this, tr("Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edits->addAction(undo);
    edits->addAction(redo);
    edits->addAction(tr("Colour..."), this, [this] {
        const QColor c = QColorDialog::getColor(m_painter->overlayColor(), this, tr("Overlay colour"));
        if (c.isValid())
            m_painter->setOverlayColor(c);
    });
    auto* opacity = new QSlider(Qt::Horizontal);
    opacity->setRange(0, 100);
    opacity->setValue(static_cast<int>(m_painter->overlayOpacity() * 100));
    opacity->setMaximumWidth(80);
    opacity->setToolTip(tr("Overlay opacity"));
    connect(opacity, &QSlider::valueChanged, this, [this](int v) { m_painter->setOverlayOpacity(v / 100.0); });
    edits->addWidget(opacity);
    leftLayout->addWidget(edits);
    leftLayout->addWidget(m_painter, 1);
    auto* legend = new QLabel(tr("Tinted + outlined = clamped (held at the source); hatched = free (filled in by the chains)"));
    legend->setWordWrap(true);
    leftLayout->addWidget(legend);
    auto* files = new QHBoxLayout;
    auto* sourceButton = new QPushButton(tr("Source..."));
    auto* modelButton = new QPushButton(tr("Model..."));
    auto* maskOpen = new QPushButton(tr("Open mask..."));
    auto* maskSave = new QPushButton(tr("Save mask..."));
    files->addWidget(modelButton);
    files->addWidget(sourceButton);
    files->addWidget(maskOpen);
    files->addWidget(maskSave);
    leftLayout->addLayout(files);
    connect(sourceButton, &QPushButton::clicked, this, &InpaintWindow::pickSource);
    connect(modelButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open model"), {}, tr("Checkpoints (*.safetensors)"));
        if (!path.isEmpty())
            openModel(path);
    });
    connect(maskOpen, &QPushButton::clicked, this, &InpaintWindow::openMaskFile);
    connect(maskSave, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save mask"), "mask.png", tr("PNG (*.png)"));
        if (path.isEmpty())
            return;
        try {
            exportMask(path); // fileExported says when it is written
            setMessage(tr("Writing %1...").arg(path));
        } catch (const std::exception& e) {
            setMessage(QString::fromStdString(e.what()));
        }
    });
    splitter->addWidget(left);

    // Right: controls, chains, maps.
    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    auto* controls = new QHBoxLayout;
    m_chains = new QSpinBox;
    m_chains->setRange(1, 100);
    m_chains->setValue(16);
    m_chains->setPrefix(tr("chains "));
    m_start = new QComboBox;
    m_start->addItems({tr("free pixels from noise"), tr("free pixels from zero"), tr("free pixels from source")});
    m_runButton = new QPushButton(tr("Run"));
    auto* resetButton = new QPushButton(tr("Reset"));
    auto* exportButton = new QToolButton;
    exportButton->setText(tr("Export"));
    exportButton->setPopupMode(QToolButton::InstantPopup);
    auto* exportMenu = new QMenu(exportButton);
    auto exportAction = [&](const QString& name, const QString& filter, const QString& file,
                            void (InpaintWindow::*fn)(const QString&)) {
        exportMenu->addAction(name, this, [this, filter, file, fn] {
            const QString path = QFileDialog::getSaveFileName(this, tr("Export"), file, filter);
            if (path.isEmpty())
                return;
            try {
                (this->*fn)(path);
                setMessage(tr("Writing %1...").arg(path)); // fileExported says when it is written
            } catch (const std::exception& e) {
                setMessage(QString::fromStdString(e.what()));
            }
        });
    };
    exportMenu->addAction(tr("Sheet of the chains..."), this, [this] {
        const QString path =
            QFileDialog::getSaveFileName(this, tr("Export"), "inpaint-sheet.png", tr("Sheets (*.png *.pdf *.svg)"));
        if (path.isEmpty())
            return;
        setMessage(tr("Writing %1...").arg(path));
        exportSheet(path); // sheetExported tells the outcome
    });
    connect(this, &InpaintWindow::sheetExported, this, [this](const QString& path, const QString& error) {
        setMessage(error.isEmpty() ? tr("Written %1").arg(path) : error);
    });
    connect(m_exports, &FileWriteQueue::written, this, &InpaintWindow::fileExported);
    connect(this, &InpaintWindow::fileExported, this, [this](const QString& path, const QString& error) {
        setMessage(error.isEmpty() ? tr("Written %1").arg(path) : error);
    });
    exportAction(tr("Mean completion..."), tr("PNG (*.png)"), "inpaint-mean.png", &InpaintWindow::exportMean);
    exportAction(tr("Spread map..."), tr("PNG (*.png)"), "inpaint-spread.png", &InpaintWindow::exportSpread);
    exportAction(tr("Mask..."), tr("PNG (*.png)"), "mask.png", &InpaintWindow::exportMask);
    exportButton->setMenu(exportMenu);
    controls->addWidget(m_chains);
    controls->addWidget(m_start);
    controls->addWidget(m_runButton);
    controls->addWidget(resetButton);
    controls->addWidget(exportButton);
    controls->addStretch();
    rightLayout->addLayout(controls);
    m_view = new ChainView;
    m_view->setMinimumSize(320, 240);
    rightLayout->addWidget(m_view, 1);
    auto* maps = new QHBoxLayout;
    auto mapBox = [&](const QString& title, QLabel*& label) {
        auto* box = new QVBoxLayout;
        box->addWidget(new QLabel(title));
        label = new QLabel;
        label->setFixedSize(140, 140);
        label->setFrameShape(QFrame::Box);
        label->setAlignment(Qt::AlignCenter);
        box->addWidget(label);
        maps->addLayout(box);
    };
    mapBox(tr("Mean completion"), m_meanLabel);
    mapBox(tr("Spread (chains disagree = bright)"), m_spreadLabel);
    maps->addStretch();
    rightLayout->addLayout(maps);
    m_status = new QLabel(tr("Open a model and pick a source image, draw a mask, press Run."));
    m_status->setWordWrap(true);
    // Room for two lines from the start: the status changes at every frame (step, spread), and a
    // label that wraps onto a second line and back would move the chain view up and down each time;
    // each such resize of the view's GL window is a round trip to the X server (the worst event-loop
    // stall of a 30-minute soak, 111 ms, was one; docs/robustness.md).
    m_status->setMinimumHeight(2 * m_status->fontMetrics().lineSpacing() + 2 * m_status->margin());
    m_status->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    rightLayout->addWidget(m_status);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);

    connect(m_runButton, &QPushButton::clicked, this, [this] {
        if (m_runner && m_runner->isRunning())
            pause();
        else
            run();
    });
    connect(resetButton, &QPushButton::clicked, this, [this] { reset(); });
    connect(m_start, &QComboBox::currentIndexChanged, this, [this](int i) { m_freeStart = static_cast<FreeStart>(i); });
    connect(m_painter, &MaskPainter::maskChanged, this, &InpaintWindow::applyMaskToChains);
}

void InpaintWindow::setModel(std::shared_ptr<const Model> model, int width, int height, const QString& name)
{
    if (!model || width * height != model->visibleSize())
        fail(name.toStdString(), "model", "expected " + std::to_string(width * height) + " visible units");
    retireRunner();
    m_model = std::move(model);
    m_modelName = name;
    if (m_width != width || m_height != height)
        m_source = {};
    m_width = width;
    m_height = height;
    if (!m_source.valid()) {
        // Until a source is picked: the dataset's first example when it fits, else a blank image.
        if (m_dataset && m_dataset->width == width && m_dataset->height == height)
            m_source = sourceFromDataset(*m_dataset, 0);
        else
            m_source = {std::vector<float>(std::size_t(width) * height, 0.0f), width, height, "blank"};
    }
    m_painter->setSource(m_source.pixels, width, height);
    setMessage(tr("Model %1 (%2, %3x%4)").arg(name, QString::fromStdString(m_model->kind())).arg(width).arg(height));
}

void InpaintWindow::openModel(const QString& path)
{
    setMessage(tr("Reading %1...").arg(QFileInfo(path).fileName()));
    struct Loaded {
        std::shared_ptr<const Model> model;
        ImageShape image;
    };
    m_load.start(
        [path](const JobControl&) {
            Checkpoint ck = loadCheckpoint(path.toStdString());
            return Loaded{std::shared_ptr<const Model>(std::move(ck.model)), ck.image};
        },
        [this, path](const Loaded& loaded) {
            // The image shape is decided here, on the GUI thread, with the dataset set by then.
            try {
                // The studio's rule (StudioSession); a dataset of another size here only feeds the source
                // dialog, so the model's own shape is used then.
                const int n = loaded.model->visibleSize();
                const ModelImageFit fit = fitModelImages(n, loaded.image, m_dataset.get());
                if (!fit.known())
                    fail(path.toStdString(), "image shape",
                         "cannot tell the image shape of " + std::to_string(n) +
                             " visible units (not stored in the file, and not a square): load the model's dataset first");
                setModel(loaded.model, fit.width, fit.height, QFileInfo(path).fileName());
            } catch (const std::exception& e) {
                setMessage(QString::fromStdString(e.what()));
                emit modelOpened(path, false);
                return;
            }
            emit modelOpened(path, true);
        },
        [this, path](const QString& error) {
            setMessage(error);
            emit modelOpened(path, false);
        });
}

void InpaintWindow::setDataset(std::shared_ptr<const Dataset> dataset)
{
    m_dataset = std::move(dataset);
    m_view->setClassifier(m_dataset ? classifierFor(*m_dataset) : nullptr); // hovering names MNIST digits
}

bool InpaintWindow::setSource(const SourceImage& source)
{
    if (!source.valid() || source.width != m_width || source.height != m_height) {
        setMessage(tr("The source image is %1x%2, the model's images are %3x%4: nothing changed (convert it with Source...)")
                       .arg(source.width).arg(source.height).arg(m_width).arg(m_height));
        return false;
    }
    m_source = source;
    m_painter->setSource(source.pixels, source.width, source.height);
    applyMaskToChains();
    setMessage(tr("Source: %1").arg(source.origin));
    return true;
}

void InpaintWindow::setChainCount(int chains)
{
    m_chains->setValue(chains);
}

int InpaintWindow::chainCount() const
{
    return m_chains->value();
}

void InpaintWindow::setFreeStart(FreeStart start)
{
    m_start->setCurrentIndex(static_cast<int>(start));
}

void InpaintWindow::setSeed(std::uint64_t seed)
{
    m_seed = seed;
}

void InpaintWindow::setMessage(const QString& text)
{
    m_message = text;
    m_status->setText(text);
    emit message(text);
}

bool InpaintWindow::ensureRunner()
{
    if (!m_model || !m_source.valid()) {
        setMessage(tr("Open a model and pick a source image first."));
        return false;
    }
    const ClampMask& mask = m_painter->mask();
    if (mask.clampedCount() > 0 && mask.freeCount() == 0) {
        setMessage(tr("Not running: %1.").arg(maskProblem(mask)));
        return false;
    }
    if (m_runner)
        return true;
    const int chains = m_chains->value();
    try {
        std::vector<ChainInit> inits(static_cast<std::size_t>(chains),
                                     m_freeStart == FreeStart::Noise  ? ChainInit::noise()
                                     : m_freeStart == FreeStart::Zero ? ChainInit::zeros()
                                                                      : ChainInit::fromImage(m_source.pixels));
        ChainSet set(m_model, m_width, m_height);
        set.reset(inits, m_seed);
        if (mask.clampedCount() > 0)
            set.setClampAll(mask, m_source.pixels);
        {
            std::lock_guard lock(m_statsMutex);
            m_stats = InpaintStats(m_width * m_height);
            m_frames.clear();
            m_recordEvery = 1;
            m_lastStep = 0;
        }
        m_view->staging()->reset();
        auto gate = m_gate = std::make_shared<FrameGate>();
        m_runner = std::make_unique<ChainRunner>(
            std::move(set),
            [this, gate](FramePtr f) {
                std::lock_guard lock(gate->mutex);
                if (gate->open)
                    onFrame(std::move(f));
            },
            [this, gate](const std::string& error) {
                std::lock_guard lock(gate->mutex); // while open, this window exists
                if (gate->open)
                    QMetaObject::invokeMethod(this, [this, text = QString::fromStdString(error)] { setMessage(text); },
                                              Qt::QueuedConnection);
            });
        m_runner->reset();
    } catch (const std::exception& e) {
        retireRunner();
        setMessage(QString::fromStdString(e.what()));
        return false;
    }
    if (mask.clampedCount() == 0)
        setMessage(tr("Warning: %1.").arg(maskProblem(mask)));
    else
        setMessage(tr("%1 chains, %2 of %3 pixels clamped").arg(chains).arg(mask.clampedCount()).arg(mask.size()));
    return true;
}

bool InpaintWindow::run()
{
    if (!ensureRunner())
        return false;
    m_runner->start();
    m_runButton->setText(tr("Pause"));
    return true;
}

void InpaintWindow::pause()
{
    if (m_runner)
        m_runner->pause();
    m_runButton->setText(tr("Run"));
}

bool InpaintWindow::reset()
{
    const bool wasRunning = m_runner && m_runner->isRunning();
    retireRunner();
    m_runButton->setText(tr("Run"));
    if (!ensureRunner())
        return false;
    if (wasRunning)
        run();
    return true;
}

bool InpaintWindow::stepBlocking(int count)
{
    if (!ensureRunner())
        return false;
    try {
        for (int i = 0; i < count; ++i)
            m_runner->withChains([](ChainSet& chains) { chains.step(); });
    } catch (const std::exception& e) {
        setMessage(QString::fromStdString(e.what()));
        return false;
    }
    m_view->refresh();
    refreshMaps();
    return true;
}

void InpaintWindow::applyMaskToChains()
{
    if (!m_runner)
        return;
    const ClampMask mask = m_painter->mask();
    if (mask.clampedCount() > 0 && mask.freeCount() == 0) {
        setMessage(tr("Paused: %1.").arg(maskProblem(mask)));
        pause();
        return;
    }
    const std::vector<float> values = m_source.pixels;
    try {
        m_runner->withChains([mask, values](ChainSet& chains) {
            if (mask.clampedCount() == 0)
                chains.clearClamps();
            else
                chains.setClampAll(mask, values);
        });
    } catch (const std::exception& e) {
        setMessage(QString::fromStdString(e.what()));
        return;
    }
    // The chains now sample another conditional: start the statistics afresh.
    std::lock_guard lock(m_statsMutex);
    m_stats.clear();
    setMessage(mask.clampedCount() == 0 ? tr("Warning: %1.").arg(maskProblem(mask))
                                        : tr("%1 of %2 pixels clamped").arg(mask.clampedCount()).arg(mask.size()));
}

void InpaintWindow::onFrame(FramePtr frame)
{
    m_view->setFrame(frame);
    std::lock_guard lock(m_statsMutex);
    if (frame->step == 0) {
        m_stats.clear();
        m_frames.clear();
        m_recordEvery = 1;
    } else if (frame->step > m_lastStep) {
        m_stats.add(frame->cells);
    }
    if (frame->step != m_lastStep || m_frames.empty()) {
        if (frame->step % m_recordEvery == 0)
            m_frames.push_back(frame);
        // Thin to every other recorded step when full, so a long run keeps an even spread of steps.
        if (static_cast<int>(m_frames.size()) > kMaxRecorded) {
            m_recordEvery *= 2;
            std::vector<FramePtr> kept;
            for (auto& f : m_frames)
                if (f->step % m_recordEvery == 0)
                    kept.push_back(f);
            m_frames = std::move(kept);
        }
    }
    m_lastStep = frame->step;
}

void InpaintWindow::refreshMaps()
{
    if (m_width == 0)
        return;
    InpaintStats s = stats();
    if (s.pixels() == 0 || s.count() == 0)
        return;
    auto show = [&](QLabel* label, const std::vector<float>& v) {
        label->setPixmap(QPixmap::fromImage(greyImage(v.data(), m_width, m_height)
                                                .scaled(label->size() - QSize(4, 4), Qt::KeepAspectRatio,
                                                        Qt::FastTransformation)));
    };
    show(m_meanLabel, s.mean());
    show(m_spreadLabel, s.spreadImage());
    const ClampMask& mask = m_painter->mask();
    const double freeSpread = s.meanSpread(mask.inverted().clampedIndices());
    m_status->setText(tr("step %1 | %2 chains | %3 of %4 pixels clamped | mean spread of free pixels %5%6")
                          .arg(m_lastStep)
                          .arg(m_chains->value())
                          .arg(mask.clampedCount())
                          .arg(mask.size())
                          .arg(freeSpread, 0, 'f', 3)
                          .arg(m_message.startsWith("Warning") ? " | " + m_message : QString()));
}

InpaintStats InpaintWindow::stats() const
{
    std::lock_guard lock(m_statsMutex);
    return m_stats;
}

std::vector<FramePtr> InpaintWindow::recordedFrames() const
{
    std::lock_guard lock(m_statsMutex);
    return m_frames;
}

void InpaintWindow::exportMask(const QString& path)
{
    const ClampMask& mask = m_painter->mask();
    if (mask.size() < 1)
        fail(path.toStdString(), "mask", "expected a mask with pixels, got an empty one");
    m_exports->write(path, pngBytes(maskToImage(mask, MaskBits::Eight), path));
}

void InpaintWindow::exportSheet(const QString& path)
{
    const std::vector<FramePtr> frames = recordedFrames();
    if (frames.empty()) {
        m_sheetExport.cancel(); // an older export still running is superseded too
        emit sheetExported(path, QString::fromStdString(errorMessage(path.toStdString(), "sheet",
                                                                     "expected recorded chain frames (press Run first)")));
        return;
    }
    SheetProvenance p;
    p.modelFile = m_modelName;
    p.modelKind = m_model ? QString::fromStdString(m_model->kind()) : QString();
    p.seed = QString::number(m_seed);
    p.steps = QString("%1-%2 (%3 recorded)").arg(frames.front()->step).arg(frames.back()->step).arg(frames.size());
    p.chains = QString::number(frames.front()->chainCount());
    const ClampMask& mask = m_painter->mask();
    p.clamp = QString("drawn mask, %1 of %2 pixels").arg(mask.clampedCount()).arg(mask.size());
    p.source = m_source.origin;
    p.extra.push_back({"Free-Start", m_start->currentText()});
    p.extra.push_back({"Mask", imageToBase64Png(maskToImage(mask, MaskBits::One))});
    p.extra.push_back({"Source-Image", imageToBase64Png(greyImage(m_source.pixels.data(), m_width, m_height))});
    m_sheetExport.start(
        [frames, p, path](const JobControl&) {
            SheetOptions options;
            options.scale = 2;
            const Sheet sheet = renderSheet(sheetFramesOf(frames), options);
            saveSheet(sheet.image, p, path);
        },
        [this, path] { emit sheetExported(path, QString()); },
        [this, path](const QString& error) { emit sheetExported(path, error); });
}

void InpaintWindow::exportMean(const QString& path)
{
    m_exports->write(path, greyPng(stats().mean(), m_width, m_height, path));
}

void InpaintWindow::exportSpread(const QString& path)
{
    m_exports->write(path, greyPng(stats().spreadImage(), m_width, m_height, path));
}

void InpaintWindow::pickSource()
{
    if (m_width == 0) {
        setMessage(tr("Open a model first: the source is cropped and scaled to its image size."));
        return;
    }
    SourceImageDialog dialog(m_width, m_height, m_dataset, this);
    if (const FramePtr f = m_view->currentFrame(); f && f->chainCount() > 0 && f->layout.width == m_width)
        dialog.setChainSample(std::vector<float>(f->cells.row(0).data(), f->cells.row(0).data() + m_width * m_height),
                              tr("chain 0 at step %1").arg(f->step));
    if (dialog.exec() == QDialog::Accepted)
        setSource(dialog.source());
}

void InpaintWindow::openMaskFile()
{
    if (m_width == 0)
        return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open mask"), {}, tr("PNG (*.png);;All files (*)"));
    if (path.isEmpty())
        return;
    try {
        const QImage image = readMaskImage(path);
        bool scale = false;
        if (!maskImageFits(image, m_width, m_height)) {
            const auto answer = QMessageBox::question(
                this, tr("Mask size"),
                tr("The mask is %1x%2, the model's images are %3x%4. Scale it to fit?")
                    .arg(image.width()).arg(image.height()).arg(m_width).arg(m_height));
            if (answer != QMessageBox::Yes)
                return;
            scale = true;
        }
        m_painter->setMask(maskFromImage(image, m_width, m_height, scale, path), tr("Load mask"));
    } catch (const std::exception& e) {
        setMessage(QString::fromStdString(e.what()));
    }
}

} // namespace gsn
