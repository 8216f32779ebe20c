#include "chainrenderer.h"

#include <QFile>
#include <QOpenGLContext>
#include <QOpenGLPaintDevice>
#include <QOpenGLShaderProgram>
#include <QPainter>
#include <QVector2D>
#include <QVector3D>

#include <algorithm>
#include <array>
#include <cmath>

namespace gsn {

namespace {

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

ChainRenderer::ChainRenderer() = default;

// The owner releases with the context current before it goes; here only the CPU side is left.
ChainRenderer::~ChainRenderer() = default;

bool ChainRenderer::initialize(QOpenGLContext* context)
{
    m_error.clear();
    initializeOpenGLFunctions();
    const QSurfaceFormat format = context->format();
    const bool gles = context->isOpenGLES();
    const bool versionOk = gles ? format.majorVersion() >= 3 : format.version() >= qMakePair(3, 3);
    if (!versionOk) {
        m_error = QStringLiteral("The chain view needs OpenGL 3.3 or OpenGL ES 3.0; this context is %1 %2.%3.")
                      .arg(gles ? QStringLiteral("OpenGL ES") : QStringLiteral("OpenGL"))
                      .arg(format.majorVersion())
                      .arg(format.minorVersion());
        return false;
    }
    if (!buildProgram(gles))
        return false;

    GLint maxTextureSize = 4096;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &maxTextureSize);
    m_maxTextureSize = int(maxTextureSize);
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
    m_colorDirty = true;
    return true;
}

bool ChainRenderer::buildProgram(bool gles)
{
    QString error;
    const QString vert = shaderSource(QStringLiteral(":/shaders/chainview.vert"), gles, &error);
    const QString frag = shaderSource(QStringLiteral(":/shaders/chainview.frag"), gles, &error);
    if (!error.isEmpty()) {
        m_error = error;
        return false;
    }
    auto program = std::make_unique<QOpenGLShaderProgram>();
    if (!program->addShaderFromSourceCode(QOpenGLShader::Vertex, vert)
        || !program->addShaderFromSourceCode(QOpenGLShader::Fragment, frag)) {
        m_error = QStringLiteral("chain view shaders: %1").arg(program->log().trimmed());
        return false;
    }
    program->bindAttributeLocation("a_content", 0);
    if (!program->link()) {
        m_error = QStringLiteral("chain view shaders: link: %1").arg(program->log().trimmed());
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
    m_program = std::move(program);
    return true;
}

void ChainRenderer::release(bool current)
{
    if (!current) {
        // Without a current context GL objects cannot be deleted; the context's destruction frees them.
        (void)m_program.release(); // its destructor would call GL
        m_atlasTexture = m_colorTexture = 0;
        m_atlasWidth = m_atlasHeight = 0;
        return;
    }
    m_program.reset();
    m_vbo.destroy();
    m_vao.destroy();
    if (m_atlasTexture)
        glDeleteTextures(1, &m_atlasTexture);
    if (m_colorTexture)
        glDeleteTextures(1, &m_colorTexture);
    m_atlasTexture = m_colorTexture = 0;
    m_atlasWidth = m_atlasHeight = 0;
}

void ChainRenderer::setColorMap(ColorMap map)
{
    if (map == m_colorMap)
        return;
    m_colorMap = map;
    m_colorDirty = true;
}

void ChainRenderer::uploadColorMap()
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

void ChainRenderer::uploadAtlas(const std::uint8_t* bytes, int width, int height)
{
    if (!m_program || width <= 0 || height <= 0)
        return;
    glBindTexture(GL_TEXTURE_2D, m_atlasTexture);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    if (width != m_atlasWidth || height != m_atlasHeight) {
        // Storage is (re)allocated only when the layout changes; every frame updates it in place.
        glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, width, height, 0, GL_RED, GL_UNSIGNED_BYTE, nullptr);
        m_atlasWidth = width;
        m_atlasHeight = height;
    }
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RED, GL_UNSIGNED_BYTE, bytes);
}

void ChainRenderer::render(QSize pixels, unsigned int fbo, const ChainGridLayout& layout, const View& view)
{
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glViewport(0, 0, pixels.width(), pixels.height());
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_STENCIL_TEST);
    glDisable(GL_DEPTH_TEST);
    glClearColor(kBackground.redF(), kBackground.greenF(), kBackground.blueF(), 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!m_program || layout.empty())
        return;

    const int w = layout.input().cellWidth, h = layout.input().cellHeight;
    const int atlasW = layout.columns() * w, atlasH = layout.rows() * h;
    glBindTexture(GL_TEXTURE_2D, m_atlasTexture);
    const GLint filter = view.smooth ? GL_LINEAR : GL_NEAREST;
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
    if (m_colorDirty)
        uploadColorMap();

    const QSizeF content = layout.contentSize();
    const GLfloat quad[8] = {0.0f, 0.0f, GLfloat(content.width()), 0.0f,
                             0.0f, GLfloat(content.height()), GLfloat(content.width()), GLfloat(content.height())};
    const double viewW = std::max(1.0, view.size.width()), viewH = std::max(1.0, view.size.height());
    const double zoom = view.zoom;

    m_program->bind();
    m_program->setUniformValue(m_uniforms.scale, QVector2D(float(2.0 * zoom / viewW), float(-2.0 * zoom / viewH)));
    m_program->setUniformValue(m_uniforms.offset,
                               QVector2D(float(2.0 * view.pan.x() / viewW - 1.0), float(1.0 - 2.0 * view.pan.y() / viewH)));
    m_program->setUniformValue(m_uniforms.atlas, 0);
    m_program->setUniformValue(m_uniforms.colormap, 1);
    m_program->setUniformValue(m_uniforms.cellSize, QVector2D(float(w), float(h)));
    m_program->setUniformValue(m_uniforms.padding, float(layout.input().padding));
    glUniform2i(m_uniforms.grid, layout.columns(), layout.rows());
    m_program->setUniformValue(m_uniforms.cellCount, layout.cellCount());
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

    if (!view.outlines.empty()) {
        // Drawn in the gaps around the cells, through QPainter on the same framebuffer.
        QOpenGLPaintDevice device(pixels);
        device.setDevicePixelRatio(pixels.width() / std::max(1.0, view.size.width()));
        QPainter painter(&device);
        painter.setPen(QPen(QColor(255, 170, 0), 1.0));
        for (const QRectF& cell : view.outlines) {
            // An aliased 1-pixel QRect outline covers columns x .. x+w: one pixel outside the cell all round.
            painter.drawRect(QRect(int(std::floor(cell.left())) - 1, int(std::floor(cell.top())) - 1,
                                   int(std::ceil(cell.width())) + 1, int(std::ceil(cell.height())) + 1));
        }
    }
}

} // namespace gsn
