#pragma once
// The chain view's OpenGL drawing: one quad over the content, a fragment shader that looks each
// pixel up in an R8 atlas of the cells (tile (column, row) at (column*w, row*h)) and colours it
// through a 256 x 1 colour-map texture (":/shaders/chainview.vert|frag", GLSL 3.30 core or ES 3.00).
// No widgets: the owner creates the context and makes it current around every call.
//
// Resources are created by initialize() and freed by release(); the owner calls release() with the
// context current when the context goes (QOpenGLContext::aboutToBeDestroyed).

#include "chaingrid.h"
#include "colormap.h"

#include <QColor>
#include <QOpenGLBuffer>
#include <QOpenGLExtraFunctions>
#include <QOpenGLVertexArrayObject>
#include <QPointF>
#include <QRectF>
#include <QSize>
#include <QString>

#include <cstdint>
#include <memory>
#include <vector>

class QOpenGLContext;
class QOpenGLShaderProgram;

namespace gsn {

class ChainRenderer : protected QOpenGLExtraFunctions {
public:
    static inline const QColor kBackground{46, 48, 54};

    ChainRenderer();
    ~ChainRenderer();
    ChainRenderer(const ChainRenderer&) = delete;
    ChainRenderer& operator=(const ChainRenderer&) = delete;

    // `context` is current. Checks the version, compiles the shaders, caches uniform locations and
    // creates the buffers and textures; false with error() set when any of that failed.
    bool initialize(QOpenGLContext* context);
    // The context is current (or, when it cannot be made current, `current` false: the ids are
    // forgotten, the context's destruction frees them). Safe to call twice or before initialize().
    void release(bool current = true);
    bool initialized() const { return m_program != nullptr; }
    // Why initialize() failed; empty otherwise.
    QString error() const { return m_error; }
    // GL_MAX_TEXTURE_SIZE once initialized (4096 before): the atlas must fit.
    int maxTextureSize() const { return m_maxTextureSize; }

    // Colour map for the next render (uploaded then, only when it changed).
    void setColorMap(ColorMap map);
    // Uploads the atlas, shape = [height, width] grey levels, row-major; the texture's storage is
    // reallocated only when the size changes, otherwise updated in place. Context current.
    void uploadAtlas(const std::uint8_t* bytes, int width, int height);

    // How the content is placed in the view: the layout, zoom (screen pixels per image pixel) and pan
    // (view position of the content's top-left corner) in device-independent view pixels.
    struct View {
        QSizeF size;                  // the view's size in device-independent pixels
        double zoom = 1.0;
        QPointF pan;
        bool smooth = false;          // bilinear rather than nearest filtering
        std::vector<QRectF> outlines; // cells to outline (filmstrip selection), view coordinates
    };
    // Draws into framebuffer `fbo` of `pixels` size: background, then (when the layout has cells and
    // an atlas was uploaded for it) the cells, then the outlines. Context current.
    void render(QSize pixels, unsigned int fbo, const ChainGridLayout& layout, const View& view);

private:
    bool buildProgram(bool gles);
    void uploadColorMap();

    std::unique_ptr<QOpenGLShaderProgram> m_program;
    QOpenGLVertexArrayObject m_vao;
    QOpenGLBuffer m_vbo{QOpenGLBuffer::VertexBuffer};
    unsigned int m_atlasTexture = 0;
    unsigned int m_colorTexture = 0;
    int m_atlasWidth = 0; // allocated atlas storage
    int m_atlasHeight = 0;
    int m_maxTextureSize = 4096;
    ColorMap m_colorMap = ColorMap::Grey;
    bool m_colorDirty = true;
    QString m_error;
    struct Uniforms {
        int scale = -1, offset = -1, atlas = -1, colormap = -1, cellSize = -1, padding = -1, grid = -1,
            cellCount = -1, atlasSize = -1, background = -1;
    } m_uniforms;
};

} // namespace gsn
