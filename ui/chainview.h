#pragma once
// The live chain view: a grid of C chains (or a filmstrip of consecutive steps of selected chains)
// drawn from one R8 texture atlas, updated in place each frame, through GLSL shaders compiled into
// the binary (":/shaders/chainview.vert|frag"). Producers publish frames into a staging buffer from
// any thread; the view takes the newest one at its own refresh and never waits for them.
//
// The view is a widget hosting a native OpenGL window (QWidget::createWindowContainer) that it draws
// into directly with its own context. A QOpenGLWidget would render into a framebuffer object that
// Qt then composes with the rest of the window on every frame; on a software rasteriser that
// composition alone costs ~10 ms a frame at 1000 x 800 (docs/benchmarks.md). QWidget::grab() does
// not see the native window: grabFramebuffer() renders the view offscreen, and grabWithChainViews()
// (below) grabs a whole window with its chain views drawn in.

#include "colormap.h"
#include "chainframe.h"
#include "classifier.h"
#include "framestaging.h"

#include <QOpenGLBuffer>
#include <QOpenGLExtraFunctions>
#include <QOpenGLVertexArrayObject>
#include <QImage>
#include <QPointF>
#include <QTimer>
#include <QWidget>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

class QOffscreenSurface;
class QOpenGLContext;
class QOpenGLShaderProgram;
class QWindow;

namespace gsn {

class ChainView : public QWidget, protected QOpenGLExtraFunctions {
    Q_OBJECT
public:
    explicit ChainView(QWidget* parent = nullptr);
    ~ChainView() override;

    // Thread-safe: publishes a frame into the staging buffer; it is drawn at the next refresh.
    void setFrame(FramePtr frame);
    // The staging buffer, for producers that outlive a call into the view (keep the shared_ptr).
    std::shared_ptr<FrameStaging> staging() const { return m_staging; }
    // The frame drawn (or about to be drawn), or null before the first refresh with a frame.
    FramePtr currentFrame() const { return m_frame; }

    void setColorMap(ColorMap map);
    ColorMap colorMap() const { return m_colorMap; }
    // Smooth (bilinear) or nearest filtering of image pixels.
    void setSmooth(bool smooth);
    bool smooth() const { return m_smooth; }
    // Gap between cells in image pixels (0..16).
    void setPadding(int pixels);
    int padding() const { return m_padding; }
    // Grid columns; 0 = choose from the widget's aspect ratio.
    void setColumns(int columns);
    int columns() const { return m_columns; }

    // Zoom in screen pixels per image pixel, and pan (widget position of the content's top-left
    // corner). Setting either leaves fit mode; fitToView() returns to it (largest whole zoom when
    // filtering is nearest, so pixels stay square).
    void setZoom(double zoom);
    double zoom() const { return m_zoom; }
    void setPan(QPointF pan);
    QPointF pan() const { return m_pan; }
    void fitToView();
    bool fitting() const { return m_fit; }
    // Multiplies the zoom, keeping the widget's centre fixed.
    void zoomBy(double factor);

    // Ctrl+click on a chain in the grid toggles it in the filmstrip selection (outlined in the grid).
    // Filmstrip mode: one row per selected chain, columns are the last `length` published frames
    // (consecutive steps, oldest on the left; length 1..64). Empty selection = the first min(C, 10) chains.
    void setFilmstrip(bool on);
    bool filmstrip() const { return m_filmstrip; }
    void setFilmstripChains(std::vector<int> chains);
    std::vector<int> filmstripChains() const { return m_filmChains; }
    void setFilmstripLength(int length);
    int filmstripLength() const { return m_filmLength; }

    // Layout of what is drawn: grid columns and rows, and one cell's rectangle in widget coordinates.
    int gridColumns() const { return m_gridColumns; }
    int gridRows() const { return m_gridRows; }
    QRectF cellRect(int row, int column) const;

    // The cell under a widget position: chain index, step, grid row and column, and the image pixel.
    struct CellInfo {
        int chain = -1;
        std::int64_t step = 0;
        int row = 0;
        int column = 0;
        int pixelX = 0;
        int pixelY = 0;
        float value = 0.0f;
        int predictedClass = -1;        // the classifier's class for the cell's image, -1 without one
        float classProbability = 0.0f;  // its probability
    };
    std::optional<CellInfo> cellAt(QPointF widgetPos) const;

    // A classifier for the images shown (same image size), or null: hovering then names each cell's
    // class. Set by the studio for MNIST data (Fashion-MNIST has the same size but other classes).
    void setClassifier(std::shared_ptr<const Classifier> classifier);
    std::shared_ptr<const Classifier> classifier() const { return m_classifier; }

    std::int64_t framesDrawn() const { return m_framesDrawn; } // new frames that reached the screen
    std::int64_t framesSkipped() const { return m_staging->skippedCount(); }
    // Empty when OpenGL works; otherwise why the view cannot draw (shown in the widget too).
    QString glError() const { return m_glError; }
    // Renders the view as it is now (settings, frame, size) into an offscreen framebuffer and
    // returns it, device pixel ratio set; a null image when OpenGL is not available.
    QImage grabFramebuffer();
    // The native window the view draws into; its input events are handled by the view.
    QWindow* nativeWindow() const;
    // Refresh period in ms for taking frames from the staging buffer (default 10).
    void setRefreshInterval(int ms);

public slots:
    // Takes the newest staged frame (if any) and schedules a repaint; called by the refresh timer.
    void refresh();

signals:
    // A new frame was taken from the staging buffer.
    void frameTaken(qint64 step);
    // Zoom, pan, layout or display settings changed.
    void viewChanged();
    // The filmstrip selection changed (Ctrl+click or setFilmstripChains).
    void filmstripChainsChanged();

protected:
    void resizeEvent(QResizeEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    class Surface;
    friend class Surface;

    // Creates the context and the GL resources on first use; false (and glError set) when that failed.
    bool ensureGL();
    // Makes the context current on the native window when it exists, else on an offscreen surface.
    bool makeCurrent();
    void initializeGL();
    void releaseGL();
    void showGlError(); // replaces the native window with the message painted by paintEvent
    // Draws the view into framebuffer `fbo` of `pixels` size; the context is current.
    void render(QSize pixels, GLuint fbo);
    // Draws into the native window and swaps; called for its expose and update-request events.
    void renderToScreen();
    void scheduleRedraw();
    void setViewCursor(const QCursor& cursor);
    void unsetViewCursor();
    bool buildProgram();
    void updateLayout();
    void applyFit();
    void fillAtlas();
    void uploadColorMap();
    QSizeF contentSize() const; // in image pixels, padding included
    int cellWidth() const;
    int cellHeight() const;

    std::shared_ptr<FrameStaging> m_staging;
    FramePtr m_frame;                   // newest frame taken
    std::vector<FramePtr> m_history;    // filmstrip columns, oldest first
    QTimer m_refreshTimer;

    ColorMap m_colorMap = ColorMap::Grey;
    bool m_smooth = false;
    int m_padding = 2;
    int m_columns = 0;
    double m_zoom = 1.0;
    QPointF m_pan;
    bool m_fit = true;
    bool m_filmstrip = false;
    std::vector<int> m_filmChains;
    int m_filmLength = 10;

    int m_gridColumns = 0;
    int m_gridRows = 0;
    int m_cellCount = 0;
    std::vector<std::uint8_t> m_atlasBytes; // shape = [gridRows*h, gridColumns*w], grey levels

    Surface* m_surface = nullptr;       // the native window drawn into, owned by m_container
    QWidget* m_container = nullptr;     // child widget hosting m_surface
    std::unique_ptr<QOpenGLContext> m_context;
    std::unique_ptr<QOffscreenSurface> m_offscreen; // for grabs and clean-up while the window is hidden

    // GL state (valid between initializeGL and releaseGL).
    QOpenGLShaderProgram* m_program = nullptr;
    QOpenGLVertexArrayObject m_vao;
    QOpenGLBuffer m_vbo{QOpenGLBuffer::VertexBuffer};
    GLuint m_atlasTexture = 0;
    GLuint m_colorTexture = 0;
    int m_atlasWidth = 0;  // allocated texture size; reallocated only when the layout changes
    int m_atlasHeight = 0;
    GLint m_maxTextureSize = 4096;
    bool m_atlasDirty = true;
    bool m_colorDirty = true;
    bool m_newFrame = false;
    QString m_glError;
    struct Uniforms {
        int scale = -1, offset = -1, atlas = -1, colormap = -1, cellSize = -1, padding = -1, grid = -1,
            cellCount = -1, atlasSize = -1, background = -1;
    } m_uniforms;

    std::shared_ptr<const Classifier> m_classifier;
    std::int64_t m_framesDrawn = 0;
    bool m_dragging = false;
    bool m_dragMoved = false;
    QPointF m_dragStart;
    QPointF m_panStart;
};

// QWidget::grab() of `widget` with every visible chain view inside it drawn in (grab() alone leaves
// their native windows' area empty): for screenshots of whole windows.
QImage grabWithChainViews(QWidget* widget);

} // namespace gsn
