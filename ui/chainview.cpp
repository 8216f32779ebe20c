#include "chainview.h"

#include <QCoreApplication>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFramebufferObject>
#include <QPainter>
#include <QResizeEvent>
#include <QToolTip>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QWindow>

#include <algorithm>
#include <cmath>

namespace gsn {

namespace {

constexpr double kMinZoom = 0.05;
constexpr double kMaxZoom = 64.0;
constexpr int kFitMargin = 8;          // widget pixels kept free around the content in fit mode
constexpr int kMaxFilmLength = 64;

} // namespace

// The native window the view draws into. It forwards input to the view, so the view handles mouse,
// wheel and keys the same whether they come from the window system or from a test.
class ChainView::Surface final : public QWindow {
public:
    explicit Surface(ChainView* view) : m_view(view)
    {
        setSurfaceType(QSurface::OpenGLSurface);
        setFormat(QSurfaceFormat::defaultFormat());
    }

protected:
    bool event(QEvent* event) override
    {
        switch (event->type()) {
        case QEvent::UpdateRequest:
            m_view->renderToScreen();
            return true;
        case QEvent::MouseButtonPress:
        case QEvent::MouseButtonRelease:
        case QEvent::MouseButtonDblClick:
        case QEvent::MouseMove:
        case QEvent::Wheel:
        case QEvent::KeyPress:
        case QEvent::KeyRelease:
            // Positions are the same in both: the window fills the view.
            QCoreApplication::sendEvent(m_view, event);
            return true;
        case QEvent::DragEnter:
        case QEvent::DragMove:
        case QEvent::DragLeave:
        case QEvent::Drop:
            // Drops over the chains go to the window the view is in (checkpoints dropped on the studio).
            QCoreApplication::sendEvent(m_view->window(), event);
            return true;
        default: return QWindow::event(event);
        }
    }

    void exposeEvent(QExposeEvent*) override
    {
        if (isExposed())
            m_view->renderToScreen();
    }

private:
    ChainView* m_view;
};

ChainView::ChainView(QWidget* parent) : QWidget(parent), m_staging(std::make_shared<FrameStaging>(1))
{
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(160, 120);
    m_surface = new Surface(this);
    m_container = QWidget::createWindowContainer(m_surface, this); // takes ownership of the window
    m_container->setFocusPolicy(Qt::NoFocus);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_container);
    // No polling: the staging buffer notifies once per take (from the producer's thread, so the call
    // is queued to the GUI thread), and a single-shot timer holds back a frame that arrives within the
    // refresh interval of the last take: up to 100 takes a second, none while nothing arrives.
    m_refreshTimer.setTimerType(Qt::PreciseTimer);
    m_refreshTimer.setSingleShot(true);
    connect(&m_refreshTimer, &QTimer::timeout, this, &ChainView::refresh);
    m_sinceRefresh.start();
    m_staging->setNotify([this] { QMetaObject::invokeMethod(this, &ChainView::frameStaged, Qt::QueuedConnection); });
}

ChainView::~ChainView()
{
    // After this no producer thread calls into the view; updates already queued die with the QObject.
    m_staging->setNotify({});
    releaseGL();
    // The native window calls back into the view: destroy it while the view is still whole.
    delete m_container;
    m_container = nullptr;
    m_surface = nullptr;
}

void ChainView::setFrame(FramePtr frame)
{
    if (frame && frame->valid() && frame->layout.isImage())
        m_staging->publish(std::move(frame));
}

void ChainView::setRefreshInterval(int ms)
{
    m_refreshInterval = std::max(1, ms);
    m_sinceRefresh.restart();
    if (m_refreshTimer.isActive())
        m_refreshTimer.start(m_refreshInterval);
}

void ChainView::frameStaged()
{
    if (m_refreshTimer.isActive())
        return; // a refresh is already due; it takes whatever is newest then
    const qint64 wait = m_refreshInterval - m_sinceRefresh.elapsed();
    if (wait <= 0)
        refresh();
    else
        m_refreshTimer.start(int(wait));
}

void ChainView::refresh()
{
    ++m_refreshCount;
    m_refreshTimer.stop(); // a refresh held back for the interval is this one
    m_sinceRefresh.restart();
    FramePtr frame = m_staging->takeNewest();
    if (!frame)
        return;
    m_frame = std::move(frame);
    if (m_filmstrip)
        m_history = m_staging->history(m_filmLength);
    m_newFrame = true;
    updateLayout();
    emit frameTaken(m_frame->step);
    scheduleRedraw();
}

// ---- settings --------------------------------------------------------------------------------------

void ChainView::setColorMap(ColorMap map)
{
    if (map == m_colorMap)
        return;
    m_colorMap = map;
    m_renderer.setColorMap(map);
    emit viewChanged();
    scheduleRedraw();
}

void ChainView::setSmooth(bool smooth)
{
    if (smooth == m_smooth)
        return;
    m_smooth = smooth;
    if (m_fit)
        applyFit(); // nearest filtering fits to whole zoom factors, smooth does not
    emit viewChanged();
    scheduleRedraw();
}

void ChainView::setPadding(int pixels)
{
    m_padding = std::clamp(pixels, 0, 16);
    updateLayout();
    scheduleRedraw();
}

void ChainView::setColumns(int columns)
{
    m_columns = std::max(0, columns);
    updateLayout();
    scheduleRedraw();
}

void ChainView::setZoom(double zoom)
{
    m_zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    m_fit = false;
    emit viewChanged();
    scheduleRedraw();
}

void ChainView::setPan(QPointF pan)
{
    m_pan = pan;
    m_fit = false;
    emit viewChanged();
    scheduleRedraw();
}

void ChainView::fitToView()
{
    m_fit = true;
    applyFit();
    emit viewChanged();
    scheduleRedraw();
}

void ChainView::setFilmstrip(bool on)
{
    if (on == m_filmstrip)
        return;
    m_filmstrip = on;
    // The staging buffer keeps history only while a filmstrip needs it (1000 chains are 3 MB a frame).
    m_staging->setHistoryDepth(on ? m_filmLength : 1);
    m_history = on ? m_staging->history(m_filmLength) : std::vector<FramePtr>{};
    updateLayout();
    scheduleRedraw();
}

void ChainView::setFilmstripChains(std::vector<int> chains)
{
    chains.erase(std::remove_if(chains.begin(), chains.end(), [](int c) { return c < 0; }), chains.end());
    m_filmChains = std::move(chains);
    updateLayout();
    emit filmstripChainsChanged();
    scheduleRedraw();
}

void ChainView::setFilmstripLength(int length)
{
    m_filmLength = std::clamp(length, 1, kMaxFilmLength);
    if (m_filmstrip) {
        m_staging->setHistoryDepth(m_filmLength);
        m_history = m_staging->history(m_filmLength);
    }
    updateLayout();
    scheduleRedraw();
}

// ---- layout ----------------------------------------------------------------------------------------

int ChainView::cellWidth() const
{
    return m_frame ? m_frame->layout.width : 0;
}

int ChainView::cellHeight() const
{
    return m_frame ? m_frame->layout.height : 0;
}

void ChainView::updateLayout()
{
    const int oldColumns = m_layout.columns(), oldRows = m_layout.rows();
    ChainGridLayout::Input input;
    if (m_frame) {
        input.mode = m_filmstrip ? ChainGridLayout::Mode::Filmstrip : ChainGridLayout::Mode::Grid;
        input.chainCount = m_frame->chainCount();
        input.cellWidth = m_frame->layout.width;
        input.cellHeight = m_frame->layout.height;
        input.padding = m_padding;
        input.columns = m_columns;
        input.viewport = QSizeF(width(), height());
        input.filmstripChains = m_filmChains;
        input.historyFrames = int(m_history.size());
        input.maxTextureSize = m_renderer.maxTextureSize();
    }
    m_layout = ChainGridLayout(std::move(input));
    m_atlasDirty = true;
    if (!m_frame)
        return;
    if (m_fit)
        applyFit();
    if (oldColumns != m_layout.columns() || oldRows != m_layout.rows())
        emit viewChanged();
}

void ChainView::applyFit()
{
    const QSizeF content = m_layout.contentSize();
    if (content.isEmpty() || width() <= 0 || height() <= 0)
        return;
    const double availableW = std::max(1, width() - 2 * kFitMargin);
    const double availableH = std::max(1, height() - 2 * kFitMargin);
    double zoom = std::min(availableW / content.width(), availableH / content.height());
    if (!m_smooth && zoom >= 1.0)
        zoom = std::floor(zoom); // square, equal pixels with nearest filtering
    m_zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    // Whole-pixel pan keeps image pixels on screen pixel boundaries.
    m_pan = QPointF(std::round((width() - content.width() * m_zoom) / 2.0),
                    std::round((height() - content.height() * m_zoom) / 2.0));
}

QRectF ChainView::cellRect(int row, int column) const
{
    const QRectF cell = m_layout.cellRect(row, column);
    return {m_pan.x() + cell.x() * m_zoom, m_pan.y() + cell.y() * m_zoom, cell.width() * m_zoom,
            cell.height() * m_zoom};
}

const Frame* ChainView::sourceFrame(const ChainGridLayout::Source& source) const
{
    if (!m_filmstrip)
        return m_frame.get();
    return source.frame < int(m_history.size()) ? m_history[std::size_t(source.frame)].get() : nullptr;
}

std::optional<ChainView::CellInfo> ChainView::cellAt(QPointF widgetPos) const
{
    if (!m_frame)
        return std::nullopt;
    const auto hit = m_layout.cellAt((widgetPos - m_pan) / m_zoom);
    if (!hit)
        return std::nullopt;
    const auto source = m_layout.source(hit->row, hit->column);
    const Frame* frame = source ? sourceFrame(*source) : nullptr;
    const int w = cellWidth(), h = cellHeight();
    // A history frame from before a dataset switch may have another size or fewer chains.
    if (!frame || source->chain >= frame->chainCount() || frame->layout.width != w || frame->layout.height != h)
        return std::nullopt;
    CellInfo info;
    info.chain = source->chain;
    info.row = hit->row;
    info.column = hit->column;
    info.pixelX = hit->pixelX;
    info.pixelY = hit->pixelY;
    info.step = frame->step;
    info.value = frame->cells(info.chain, info.pixelY * w + info.pixelX);
    if (m_classifier && m_classifier->width() == w && m_classifier->height() == h) {
        // One image: a 784 x 256 product, microseconds.
        const Matrix p = m_classifier->probabilities(frame->cells.row(info.chain));
        info.classProbability = p.row(0).maxCoeff(&info.predictedClass);
    }
    return info;
}

// Fills m_atlasBytes with the cells in layout order; tile (column, row) starts at (column*w, row*h).
void ChainView::fillAtlas()
{
    const int w = cellWidth(), h = cellHeight();
    const int atlasW = m_layout.columns() * w;
    const int atlasH = m_layout.rows() * h;
    m_atlasBytes.assign(std::size_t(atlasW) * atlasH, 0);
    for (int row = 0; row < m_layout.rows(); ++row) {
        for (int column = 0; column < m_layout.columns(); ++column) {
            const auto source = m_layout.source(row, column);
            const Frame* frame = source ? sourceFrame(*source) : nullptr;
            // A history frame from before a dataset switch may have another size: leave it blank.
            if (!frame || source->chain >= frame->chainCount() || frame->layout.width != w || frame->layout.height != h)
                continue;
            const float* src = frame->cells.row(source->chain).data();
            for (int y = 0; y < h; ++y) {
                std::uint8_t* dst = m_atlasBytes.data() + std::size_t(row * h + y) * atlasW + std::size_t(column) * w;
                for (int x = 0; x < w; ++x)
                    dst[x] = greyLevel(src[y * w + x]);
            }
        }
    }
}

// ---- OpenGL ----------------------------------------------------------------------------------------

bool ChainView::ensureGL()
{
    if (!m_context) {
        m_context = std::make_unique<QOpenGLContext>();
        m_context->setFormat(QSurfaceFormat::defaultFormat());
        if (!m_context->create()) {
            m_glError = QStringLiteral("OpenGL is not available: no OpenGL context could be created "
                                       "(the chain view needs OpenGL 3.3 or OpenGL ES 3.0).");
            showGlError();
            return false;
        }
        m_offscreen = std::make_unique<QOffscreenSurface>();
        m_offscreen->setFormat(m_context->format());
        m_offscreen->create();
        // The renderer's resources go with the context, whoever destroys it. unique_ptr::reset has
        // already cleared m_context when the signal comes, hence the captured pointer.
        QOpenGLContext* context = m_context.get();
        connect(context, &QOpenGLContext::aboutToBeDestroyed, this,
                [this, context] { m_renderer.release(makeCurrent(context)); }, Qt::DirectConnection);
        if (!makeCurrent()) {
            m_glError = QStringLiteral("OpenGL is not available: the chain view's context cannot be made current.");
            showGlError();
            return false;
        }
        if (!m_renderer.initialize(m_context.get())) {
            m_glError = m_renderer.error();
            showGlError();
        }
        updateLayout(); // the texture size limit may have changed the layout
    }
    return m_renderer.initialized();
}

bool ChainView::makeCurrent(QOpenGLContext* context)
{
    if (!context)
        context = m_context.get();
    if (!context)
        return false;
    if (m_surface && m_surface->handle() && context->makeCurrent(m_surface))
        return true;
    return m_offscreen && context->makeCurrent(m_offscreen.get());
}

void ChainView::showGlError()
{
    if (m_container)
        m_container->hide();
    QWidget::update(); // paintEvent shows the message
}

void ChainView::releaseGL()
{
    // Destroying the context releases the renderer's resources (aboutToBeDestroyed, above).
    m_context.reset();
    m_offscreen.reset();
}

void ChainView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    if (m_columns == 0 && !m_filmstrip)
        updateLayout(); // automatic columns follow the widget's aspect ratio
    else if (m_fit)
        applyFit();
    scheduleRedraw();
}

// Seen only when OpenGL failed (the native window covers the widget otherwise).
void ChainView::paintEvent(QPaintEvent*)
{
    if (m_glError.isEmpty())
        return;
    QPainter painter(this);
    painter.fillRect(rect(), ChainRenderer::kBackground);
    painter.setPen(Qt::white);
    painter.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap, m_glError);
}

void ChainView::scheduleRedraw()
{
    if (m_surface && m_surface->isExposed())
        m_surface->requestUpdate();
}

void ChainView::setViewCursor(const QCursor& cursor)
{
    setCursor(cursor);
    if (m_surface)
        m_surface->setCursor(cursor);
}

void ChainView::unsetViewCursor()
{
    unsetCursor();
    if (m_surface)
        m_surface->unsetCursor();
}

void ChainView::renderToScreen()
{
    if (!m_surface || !m_surface->isExposed() || !ensureGL() || !m_context->makeCurrent(m_surface))
        return;
    const QSize pixels = m_surface->size() * m_surface->devicePixelRatio();
    render(pixels, m_context->defaultFramebufferObject());
    m_context->swapBuffers(m_surface);
    ++m_paintCount;
    if (m_newFrame) {
        ++m_framesDrawn;
        m_newFrame = false;
    }
}

void ChainView::setClassifier(std::shared_ptr<const Classifier> classifier)
{
    m_classifier = std::move(classifier);
}

QWindow* ChainView::nativeWindow() const
{
    return m_surface;
}

QImage ChainView::grabFramebuffer()
{
    if (!ensureGL() || !makeCurrent())
        return {};
    const qreal dpr = m_surface ? m_surface->devicePixelRatio() : devicePixelRatioF();
    const QSize pixels = size() * dpr;
    QOpenGLFramebufferObjectFormat format;
    format.setAttachment(QOpenGLFramebufferObject::CombinedDepthStencil); // QPainter overlays clip with stencil
    QOpenGLFramebufferObject fbo(pixels.expandedTo(QSize(1, 1)), format);
    if (!fbo.isValid() || !fbo.bind())
        return {};
    render(pixels, fbo.handle());
    QImage image = fbo.toImage();
    fbo.release();
    image.setDevicePixelRatio(dpr);
    return image;
}

void ChainView::render(QSize pixels, GLuint fbo)
{
    if (m_atlasDirty && !m_layout.empty()) {
        fillAtlas();
        m_renderer.uploadAtlas(m_atlasBytes.data(), m_layout.columns() * cellWidth(), m_layout.rows() * cellHeight());
        m_atlasDirty = false;
    }
    ChainRenderer::View view;
    view.size = QSizeF(width(), height());
    view.zoom = m_zoom;
    view.pan = m_pan;
    view.smooth = m_smooth;
    // Outline the chains selected for the filmstrip (in the gaps around the cells).
    for (int chain : m_filmChains) {
        if (const auto cell = m_layout.gridCellOf(chain))
            view.outlines.push_back(cellRect(cell->row, cell->column));
    }
    m_renderer.render(pixels, fbo, m_layout, view);
}

// ---- interaction -----------------------------------------------------------------------------------

void ChainView::wheelEvent(QWheelEvent* event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0.0 || !m_frame)
        return;
    const QPointF pos = event->position();
    const double newZoom = std::clamp(m_zoom * std::pow(1.25, steps), kMinZoom, kMaxZoom);
    // Keep the content point under the cursor where it is.
    const QPointF anchor = (pos - m_pan) / m_zoom;
    m_zoom = newZoom;
    m_pan = pos - anchor * m_zoom;
    m_fit = false;
    emit viewChanged();
    scheduleRedraw();
    event->accept();
}

void ChainView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton || event->button() == Qt::MiddleButton) {
        m_dragging = true;
        m_dragMoved = false;
        m_dragStart = event->position();
        m_panStart = m_pan;
        setViewCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    QWidget::mousePressEvent(event);
}

void ChainView::mouseMoveEvent(QMouseEvent* event)
{
    if (m_dragging) {
        m_dragMoved = true;
        m_pan = m_panStart + (event->position() - m_dragStart);
        m_fit = false;
        emit viewChanged();
        scheduleRedraw();
        return;
    }
    if (const auto info = cellAt(event->position())) {
        const bool selected =
            std::find(m_filmChains.begin(), m_filmChains.end(), info->chain) != m_filmChains.end();
        QToolTip::showText(event->globalPosition().toPoint(),
                           tr("chain %1, step %2%3\npixel (%4, %5) = %6%7")
                               .arg(info->chain)
                               .arg(info->step)
                               .arg(info->predictedClass >= 0 ? tr("\nclass %1 (p = %2)")
                                                                    .arg(info->predictedClass)
                                                                    .arg(double(info->classProbability), 0, 'f', 2)
                                                              : QString())
                               .arg(info->pixelX)
                               .arg(info->pixelY)
                               .arg(double(info->value), 0, 'f', 3)
                               .arg(selected ? tr("\nin the filmstrip") : tr("\nCtrl+click: add to the filmstrip")),
                           this, cellRect(info->row, info->column).toAlignedRect());
    } else {
        QToolTip::hideText();
    }
}

void ChainView::mouseReleaseEvent(QMouseEvent* event)
{
    if (m_dragging) {
        m_dragging = false;
        unsetViewCursor();
        // Ctrl+click (no drag) on a grid cell toggles that chain in the filmstrip selection.
        if (!m_dragMoved && !m_filmstrip && (event->modifiers() & Qt::ControlModifier)) {
            if (const auto info = cellAt(event->position())) {
                std::vector<int> chains = m_filmChains;
                const auto it = std::find(chains.begin(), chains.end(), info->chain);
                if (it == chains.end())
                    chains.push_back(info->chain);
                else
                    chains.erase(it);
                setFilmstripChains(std::move(chains));
            }
        }
        event->accept();
        return;
    }
    QWidget::mouseReleaseEvent(event);
}

void ChainView::mouseDoubleClickEvent(QMouseEvent* event)
{
    fitToView();
    event->accept();
}

void ChainView::zoomBy(double factor)
{
    const QPointF centre(width() / 2.0, height() / 2.0);
    const QPointF anchor = (centre - m_pan) / m_zoom;
    m_zoom = std::clamp(m_zoom * factor, kMinZoom, kMaxZoom);
    m_pan = centre - anchor * m_zoom;
    m_fit = false;
    emit viewChanged();
    scheduleRedraw();
}

void ChainView::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomBy(1.25); break;
    case Qt::Key_Minus: zoomBy(0.8); break;
    case Qt::Key_0:
    case Qt::Key_Home: fitToView(); break;
    default: QWidget::keyPressEvent(event); return;
    }
    event->accept();
}

QImage grabWithChainViews(QWidget* widget)
{
    QImage image = widget->grab().toImage();
    QPainter painter(&image);
    for (ChainView* view : widget->findChildren<ChainView*>()) {
        if (!view->isVisible() || view->visibleRegion().isEmpty())
            continue;
        const QImage drawn = view->grabFramebuffer();
        if (!drawn.isNull())
            painter.drawImage(view->mapTo(widget, QPoint(0, 0)), drawn);
    }
    return image;
}

} // namespace gsn
