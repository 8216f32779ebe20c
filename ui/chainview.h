#pragma once
// The live chain view: a grid of C chains (or a filmstrip of consecutive steps of selected chains)
// drawn from one R8 texture atlas, updated in place each frame, through GLSL shaders compiled into
// the binary (":/shaders/chainview.vert|frag"). Producers publish frames into a staging buffer from
// any thread; the staging buffer notifies the view, which takes the newest frame (at most once per
// refresh interval) and never waits for them. Nothing runs while no frame arrives: the view redraws
// only for a new frame, a resize or expose, or a change of its settings.
//
// Three parts: ChainGridLayout (chaingrid.h) places the cells and says what each shows, for drawing
// and hovering alike; ChainRenderer (chainrenderer.h) owns the GL resources and draws; this widget
// holds the frames, the settings, the context and the native window, and handles input.
//
// The view is a widget hosting a native OpenGL window (QWidget::createWindowContainer) that it draws
// into directly with its own context. A QOpenGLWidget would render into a framebuffer object that
// Qt then composes with the rest of the window on every frame; on a software rasteriser that
// composition alone costs ~10 ms a frame at 1000 x 800 (docs/benchmarks.md). QWidget::grab() does
// not see the native window: grabFramebuffer() renders the view offscreen, and grabWithChainViews()
// (below) grabs a whole window with its chain views drawn in.

#include "colormap.h"
#include "chainframe.h"
#include "chaingrid.h"
#include "chainrenderer.h"
#include "classifier.h"
#include "framestaging.h"

#include <QElapsedTimer>
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
class QWindow;

namespace gsn {

class ChainView : public QWidget {
    Q_OBJECT
public:
    explicit ChainView(QWidget* parent = nullptr);
    ~ChainView() override;

    // Thread-safe: publishes a frame into the staging buffer; the view takes and draws it soon after.
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
    int gridColumns() const { return m_layout.columns(); }
    int gridRows() const { return m_layout.rows(); }
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
    std::int64_t paintCount() const { return m_paintCount; }   // renders to the screen, for any reason
    std::int64_t refreshCount() const { return m_refreshCount; } // refresh() calls (looks into the staging buffer)
    std::int64_t framesSkipped() const { return m_staging->skippedCount(); }
    // Empty when OpenGL works; otherwise why the view cannot draw (shown in the widget too).
    QString glError() const { return m_glError; }
    // Renders the view as it is now (settings, frame, size) into an offscreen framebuffer and
    // returns it, device pixel ratio set; a null image when OpenGL is not available.
    QImage grabFramebuffer();
    // The native window the view draws into; its input events are handled by the view.
    QWindow* nativeWindow() const;
    // Shortest time in ms between two takes from the staging buffer (default 10): a frame that
    // arrives sooner after the last refresh (or after this call) waits for the rest of the interval.
    void setRefreshInterval(int ms);

public slots:
    // Takes the newest staged frame (if any) and schedules a repaint; called when the staging buffer
    // notifies (through the rate-limiting timer), and by tests and windows that want a frame now.
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
    // Makes `context` (default: the view's) current on the native window when it exists, else on an
    // offscreen surface.
    bool makeCurrent(QOpenGLContext* context = nullptr);
    void releaseGL();
    void showGlError(); // replaces the native window with the message painted by paintEvent
    // Draws the view into framebuffer `fbo` of `pixels` size; the context is current.
    void render(QSize pixels, GLuint fbo);
    // Draws into the native window and swaps; called for its expose and update-request events.
    void renderToScreen();
    void scheduleRedraw();
    // The staging buffer has a frame: refresh now, or when the refresh interval since the last is over.
    void frameStaged();
    void setViewCursor(const QCursor& cursor);
    void unsetViewCursor();
    void updateLayout();
    void applyFit();
    // The frame a layout cell's source refers to (the current frame or a filmstrip history frame).
    const Frame* sourceFrame(const ChainGridLayout::Source& source) const;
    void fillAtlas();
    int cellWidth() const;
    int cellHeight() const;

    std::shared_ptr<FrameStaging> m_staging;
    FramePtr m_frame;                   // newest frame taken
    std::vector<FramePtr> m_history;    // filmstrip columns, oldest first
    QTimer m_refreshTimer;              // single shot: the rest of the refresh interval
    QElapsedTimer m_sinceRefresh;
    int m_refreshInterval = 10;

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

    ChainGridLayout m_layout;
    std::vector<std::uint8_t> m_atlasBytes; // shape = [gridRows*h, gridColumns*w], grey levels

    Surface* m_surface = nullptr;       // the native window drawn into, owned by m_container
    QWidget* m_container = nullptr;     // child widget hosting m_surface
    std::unique_ptr<QOpenGLContext> m_context;
    std::unique_ptr<QOffscreenSurface> m_offscreen; // for grabs and clean-up while the window is hidden
    ChainRenderer m_renderer;           // GL resources, valid while m_context lives
    bool m_atlasDirty = true;
    bool m_newFrame = false;
    QString m_glError;

    std::shared_ptr<const Classifier> m_classifier;
    std::int64_t m_framesDrawn = 0;
    std::int64_t m_paintCount = 0;
    std::int64_t m_refreshCount = 0;
    bool m_dragging = false;
    bool m_dragMoved = false;
    QPointF m_dragStart;
    QPointF m_panStart;
};

// QWidget::grab() of `widget` with every visible chain view inside it drawn in (grab() alone leaves
// their native windows' area empty): for screenshots of whole windows.
QImage grabWithChainViews(QWidget* widget);

} // namespace gsn
