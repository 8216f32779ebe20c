#include "chainview.h"

#include <QCoreApplication>
#include <QFile>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFramebufferObject>
#include <QOpenGLPaintDevice>
#include <QOpenGLShaderProgram>
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
constexpr int kDefaultFilmChains = 10; // rows shown when no chains are selected for the filmstrip
const QColor kBackground(46, 48, 54);

// Shader sources are written for GLSL 3.30 core; an OpenGL ES 3 context gets the ES header instead.
QString shaderSource(const QString& path, bool gles, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot open the shader resource").arg(path);
        return {};
    }
    QString source = QString::fromUtf8(file.readAll());
    if (gles)
        source.replace(QStringLiteral("#version 330 core"),
                       QStringLiteral("#version 300 es\nprecision highp float;\nprecision highp int;"));
    return source;
}

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
    m_refreshTimer.setTimerType(Qt::PreciseTimer);
    m_refreshTimer.setInterval(10); // up to 100 refreshes a second; a vsynced swap limits drawing to the display rate
    connect(&m_refreshTimer, &QTimer::timeout, this, &ChainView::refresh);
    m_refreshTimer.start();
}

ChainView::~ChainView()
{
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
    m_refreshTimer.setInterval(std::max(1, ms));
}

void ChainView::refresh()
{
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
    m_colorDirty = true;
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

QSizeF ChainView::contentSize() const
{
    if (m_gridColumns == 0 || m_gridRows == 0)
        return {};
    return {double(m_gridColumns) * (cellWidth() + m_padding) - m_padding,
            double(m_gridRows) * (cellHeight() + m_padding) - m_padding};
}

void ChainView::updateLayout()
{
    const int oldColumns = m_gridColumns, oldRows = m_gridRows;
    m_gridColumns = m_gridRows = m_cellCount = 0;
    if (!m_frame) {
        m_atlasDirty = true;
        return;
    }
    const int w = m_frame->layout.width, h = m_frame->layout.height;
    const int maxColumns = std::max(1, int(m_maxTextureSize) / w);
    const int maxRows = std::max(1, int(m_maxTextureSize) / h);
    if (m_filmstrip) {
        const int chains = m_filmChains.empty() ? std::min(m_frame->chainCount(), kDefaultFilmChains)
                                                : int(m_filmChains.size());
        m_gridRows = std::min(chains, maxRows);
        m_gridColumns = std::min(std::max(1, int(m_history.size())), maxColumns);
        m_cellCount = m_gridRows * m_gridColumns;
    } else {
        const int count = m_frame->chainCount();
        int columns = m_columns;
        if (columns == 0) {
            // Columns that make the grid's aspect ratio closest to the widget's.
            const double aspect = height() > 0 ? double(width()) / height() : 1.0;
            columns = int(std::lround(std::sqrt(count * aspect * (h + m_padding) / double(w + m_padding))));
        }
        columns = std::clamp(columns, 1, std::max(1, count));
        // Very many chains could still exceed the texture size: widen the grid, then cut off.
        const int minColumns = (count + maxRows - 1) / maxRows;
        m_gridColumns = std::clamp(std::max(columns, minColumns), 1, maxColumns);
        m_gridRows = std::min((count + m_gridColumns - 1) / m_gridColumns, maxRows);
        m_cellCount = std::min(count, m_gridColumns * m_gridRows);
    }
    m_atlasDirty = true;
    if (m_fit)
        applyFit();
    if (oldColumns != m_gridColumns || oldRows != m_gridRows)
        emit viewChanged();
}

void ChainView::applyFit()
{
    const QSizeF content = contentSize();
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
    const double x = column * (cellWidth() + m_padding);
    const double y = row * (cellHeight() + m_padding);
    return {m_pan.x() + x * m_zoom, m_pan.y() + y * m_zoom, cellWidth() * m_zoom, cellHeight() * m_zoom};
}

std::optional<ChainView::CellInfo> ChainView::cellAt(QPointF widgetPos) const
{
    if (!m_frame || m_gridColumns == 0)
        return std::nullopt;
    const double cx = (widgetPos.x() - m_pan.x()) / m_zoom;
    const double cy = (widgetPos.y() - m_pan.y()) / m_zoom;
    const int w = cellWidth(), h = cellHeight();
    const int column = int(std::floor(cx / (w + m_padding)));
    const int row = int(std::floor(cy / (h + m_padding)));
    if (column < 0 || row < 0 || column >= m_gridColumns || row >= m_gridRows)
        return std::nullopt;
    const int px = int(std::floor(cx - column * (w + m_padding)));
    const int py = int(std::floor(cy - row * (h + m_padding)));
    if (px >= w || py >= h)
        return std::nullopt;
    CellInfo info;
    info.row = row;
    info.column = column;
    info.pixelX = px;
    info.pixelY = py;
    const Frame* frame = nullptr;
    if (m_filmstrip) {
        if (column >= int(m_history.size()))
            return std::nullopt;
        frame = m_history[column].get();
        info.chain = m_filmChains.empty() ? row : m_filmChains[row];
    } else {
        info.chain = row * m_gridColumns + column;
        if (info.chain >= m_cellCount)
            return std::nullopt;
        frame = m_frame.get();
    }
    if (!frame || info.chain >= frame->chainCount() || frame->layout.width != w || frame->layout.height != h)
        return std::nullopt;
    info.step = frame->step;
    info.value = frame->cells(info.chain, py * w + px);
    if (m_classifier && m_classifier->width() == w && m_classifier->height() == h) {
        // One image: a 784 x 256 product, microseconds.
        const Matrix p = m_classifier->probabilities(frame->cells.row(info.chain));
        info.classProbability = p.row(0).maxCoeff(&info.predictedClass);
    }
    return info;
}

// Fills m_atlasBytes with the cells in grid order; tile (column, row) starts at (column*w, row*h).
void ChainView::fillAtlas()
{
    const int w = cellWidth(), h = cellHeight();
    const int atlasW = m_gridColumns * w;
    const int atlasH = m_gridRows * h;
    m_atlasBytes.assign(std::size_t(atlasW) * atlasH, 0);
    for (int row = 0; row < m_gridRows; ++row) {
        for (int column = 0; column < m_gridColumns; ++column) {
            const Frame* frame = nullptr;
            int chain = 0;
            if (m_filmstrip) {
                if (column >= int(m_history.size()))
                    continue;
                frame = m_history[column].get();
                chain = m_filmChains.empty() ? row : m_filmChains[row];
            } else {
                chain = row * m_gridColumns + column;
                if (chain >= m_cellCount)
                    continue;
                frame = m_frame.get();
            }
            // A history frame from before a dataset switch may have another size: leave it blank.
            if (!frame || chain < 0 || chain >= frame->chainCount() || frame->layout.width != w || frame->layout.height != h)
                continue;
            const float* src = frame->cells.row(chain).data();
            for (int y = 0; y < h; ++y) {
                std::uint8_t* dst = m_atlasBytes.data() + std::size_t(row * h + y) * atlasW + std::size_t(column) * w;
                for (int x = 0; x < w; ++x)
                    dst[x] = greyLevel(src[y * w + x]);
            }
        }
    }
}

// ---- OpenGL ----------------------------------------------------------------------------------------

bool ChainView::buildProgram()
{
    const bool gles = m_context->isOpenGLES();
    QString error;
    const QString vert = shaderSource(QStringLiteral(":/shaders/chainview.vert"), gles, &error);
    const QString frag = shaderSource(QStringLiteral(":/shaders/chainview.frag"), gles, &error);
    if (!error.isEmpty()) {
        m_glError = error;
        return false;
    }
    auto program = std::make_unique<QOpenGLShaderProgram>();
    if (!program->addShaderFromSourceCode(QOpenGLShader::Vertex, vert)
        || !program->addShaderFromSourceCode(QOpenGLShader::Fragment, frag)) {
        m_glError = QStringLiteral("chain view shaders: %1").arg(program->log().trimmed());
        return false;
    }
    program->bindAttributeLocation("a_content", 0);
    if (!program->link()) {
        m_glError = QStringLiteral("chain view shaders: link: %1").arg(program->log().trimmed());
        return false;
    }
    m_uniforms.scale = program->uniformLocation("u_scale");
    m_uniforms.offset = program->uniformLocation("u_offset");
    m_uniforms.atlas = program->uniformLocation("u_atlas");
    m_uniforms.colormap = program->uniformLocation("u_colormap");
    m_uniforms.cellSize = program->uniformLocation("u_cellSize");
    m_uniforms.padding = program->uniformLocation("u_padding");
    m_uniforms.grid = program->uniformLocation("u_grid");
    m_uniforms.cellCount = program->uniformLocation("u_cellCount");
    m_uniforms.atlasSize = program->uniformLocation("u_atlasSize");
    m_uniforms.background = program->uniformLocation("u_background");
    m_program = program.release();
    return true;
}

void ChainView::initializeGL()
{
    initializeOpenGLFunctions();
    const QSurfaceFormat format = m_context->format();
    const bool gles = m_context->isOpenGLES();
    const bool versionOk = gles ? format.majorVersion() >= 3 : format.version() >= qMakePair(3, 3);
    if (!versionOk) {
        m_glError = QStringLiteral("The chain view needs OpenGL 3.3 or OpenGL ES 3.0; this context is %1 %2.%3.")
                        .arg(gles ? QStringLiteral("OpenGL ES") : QStringLiteral("OpenGL"))
                        .arg(format.majorVersion())
                        .arg(format.minorVersion());
        return;
    }
    if (!buildProgram())
        return;

    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &m_maxTextureSize);
    m_vao.create();
    QOpenGLVertexArrayObject::Binder binder(&m_vao);
    m_vbo.create();
    m_vbo.bind();
    m_vbo.setUsagePattern(QOpenGLBuffer::DynamicDraw);
    m_vbo.allocate(8 * sizeof(GLfloat));
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 2 * sizeof(GLfloat), nullptr);
    m_vbo.release();

    glGenTextures(1, &m_atlasTexture);
    glGenTextures(1, &m_colorTexture);
    glBindTexture(GL_TEXTURE_2D, m_colorTexture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 256, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glBindTexture(GL_TEXTURE_2D, m_atlasTexture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glBindTexture(GL_TEXTURE_2D, 0);
    m_atlasWidth = m_atlasHeight = 0;
    m_atlasDirty = m_colorDirty = true;
    updateLayout(); // the texture size limit may have changed the layout
}

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
        if (!makeCurrent()) {
            m_glError = QStringLiteral("OpenGL is not available: the chain view's context cannot be made current.");
            showGlError();
            return false;
        }
        initializeGL();
        if (!m_glError.isEmpty())
            showGlError();
    }
    return m_program != nullptr;
}

bool ChainView::makeCurrent()
{
    if (!m_context)
        return false;
    if (m_surface && m_surface->handle() && m_context->makeCurrent(m_surface))
        return true;
    return m_offscreen && m_context->makeCurrent(m_offscreen.get());
}

void ChainView::showGlError()
{
    if (m_container)
        m_container->hide();
    QWidget::update(); // paintEvent shows the message
}

void ChainView::releaseGL()
{
    if (!m_context)
        return;
    if (!makeCurrent()) {
        m_context.reset();
        return;
    }
    delete m_program;
    m_program = nullptr;
    m_vbo.destroy();
    m_vao.destroy();
    if (m_atlasTexture)
        glDeleteTextures(1, &m_atlasTexture);
    if (m_colorTexture)
        glDeleteTextures(1, &m_colorTexture);
    m_atlasTexture = m_colorTexture = 0;
    m_atlasWidth = m_atlasHeight = 0;
    m_context->doneCurrent();
    m_context.reset();
    m_offscreen.reset();
}

void ChainView::uploadColorMap()
{
    const ColorTable& table = colorTable(m_colorMap);
    std::array<std::uint8_t, 256 * 4> rgba{};
    for (int i = 0; i < 256; ++i) {
        rgba[i * 4 + 0] = table[i][0];
        rgba[i * 4 + 1] = table[i][1];
        rgba[i * 4 + 2] = table[i][2];
        rgba[i * 4 + 3] = 255;
    }
    glBindTexture(GL_TEXTURE_2D, m_colorTexture);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, 256, 1, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    m_colorDirty = false;
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
    painter.fillRect(rect(), kBackground);
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
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glViewport(0, 0, pixels.width(), pixels.height());
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_STENCIL_TEST);
    glDisable(GL_DEPTH_TEST);
    glClearColor(kBackground.redF(), kBackground.greenF(), kBackground.blueF(), 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!m_program || !m_frame || m_cellCount == 0)
        return;

    const int w = cellWidth(), h = cellHeight();
    const int atlasW = m_gridColumns * w, atlasH = m_gridRows * h;
    glBindTexture(GL_TEXTURE_2D, m_atlasTexture);
    if (m_atlasDirty) {
        fillAtlas();
        glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
        if (atlasW != m_atlasWidth || atlasH != m_atlasHeight) {
            // Storage is (re)allocated only when the layout changes; every frame updates it in place.
            glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, atlasW, atlasH, 0, GL_RED, GL_UNSIGNED_BYTE, nullptr);
            m_atlasWidth = atlasW;
            m_atlasHeight = atlasH;
        }
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, atlasW, atlasH, GL_RED, GL_UNSIGNED_BYTE, m_atlasBytes.data());
        m_atlasDirty = false;
    }
    const GLint filter = m_smooth ? GL_LINEAR : GL_NEAREST;
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
    if (m_colorDirty)
        uploadColorMap();

    const QSizeF content = contentSize();
    const GLfloat quad[8] = {0.0f, 0.0f, GLfloat(content.width()), 0.0f,
                             0.0f, GLfloat(content.height()), GLfloat(content.width()), GLfloat(content.height())};
    const double viewW = std::max(1, width()), viewH = std::max(1, height());

    m_program->bind();
    m_program->setUniformValue(m_uniforms.scale, QVector2D(float(2.0 * m_zoom / viewW), float(-2.0 * m_zoom / viewH)));
    m_program->setUniformValue(m_uniforms.offset,
                               QVector2D(float(2.0 * m_pan.x() / viewW - 1.0), float(1.0 - 2.0 * m_pan.y() / viewH)));
    m_program->setUniformValue(m_uniforms.atlas, 0);
    m_program->setUniformValue(m_uniforms.colormap, 1);
    m_program->setUniformValue(m_uniforms.cellSize, QVector2D(float(w), float(h)));
    m_program->setUniformValue(m_uniforms.padding, float(m_padding));
    glUniform2i(m_uniforms.grid, m_gridColumns, m_gridRows);
    m_program->setUniformValue(m_uniforms.cellCount, m_cellCount);
    m_program->setUniformValue(m_uniforms.atlasSize, QVector2D(float(atlasW), float(atlasH)));
    m_program->setUniformValue(m_uniforms.background,
                               QVector3D(kBackground.redF(), kBackground.greenF(), kBackground.blueF()));
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, m_atlasTexture);
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, m_colorTexture);
    glActiveTexture(GL_TEXTURE0);

    QOpenGLVertexArrayObject::Binder binder(&m_vao);
    m_vbo.bind();
    m_vbo.write(0, quad, sizeof(quad));
    m_vbo.release();
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    m_program->release();

    // Outline the chains selected for the filmstrip (in the gaps around the cells).
    if (!m_filmstrip && !m_filmChains.empty()) {
        QOpenGLPaintDevice device(pixels);
        device.setDevicePixelRatio(pixels.width() / std::max(1.0, double(width())));
        QPainter painter(&device);
        painter.setPen(QPen(QColor(255, 170, 0), 1.0));
        for (int chain : m_filmChains) {
            if (chain >= m_cellCount)
                continue;
            // An aliased 1-pixel QRect outline covers columns x .. x+w: one pixel outside the cell all round.
            const QRectF cell = cellRect(chain / m_gridColumns, chain % m_gridColumns);
            painter.drawRect(QRect(int(std::floor(cell.left())) - 1, int(std::floor(cell.top())) - 1,
                                   int(std::ceil(cell.width())) + 1, int(std::ceil(cell.height())) + 1));
        }
    }
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
