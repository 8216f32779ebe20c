#pragma once
// The mask painter: a zoomed view of the source image with the clamp mask drawn over it (SPEC 3).
//
// Clamped pixels (held fixed by the chains) are tinted with the overlay colour at the chosen opacity
// and the clamped region is outlined; free pixels (resampled by the chains) are cross-hatched. So the
// two are told apart on dark and light images alike.
//
// Tools: Brush (clamps a disc of `brushSize` pixels along the stroke), Eraser (frees it), Rectangle,
// Lasso (free-hand polygon), Fill (flood fill of the 4-connected region of equal state). With the
// rectangle, lasso and fill the left button clamps and the right button frees. Actions: invert,
// clear, presets (engine/sampling/clampmask.h), set mask (e.g. loaded). Every edit is ONE command on the
// undo stack (a whole stroke is one edit); an edit that changes nothing pushes nothing. The stack keeps
// the last kUndoLimit edits (each holds the mask before and after it, ~2 KB on MNIST: an unlimited
// history grows for as long as one window is edited).
//
// The programmatic edits below are exactly what the mouse tools do, so tests can drive them.

#include "clampmask.h"

#include <QColor>
#include <QImage>
#include <QPolygonF>
#include <QRect>
#include <QWidget>

#include <vector>

class QUndoStack;

namespace gsn {

class MaskPainter : public QWidget {
    Q_OBJECT
public:
    enum class Tool { Brush, Eraser, Rectangle, Lasso, Fill };
    static constexpr int kUndoLimit = 256;

    explicit MaskPainter(QWidget* parent = nullptr);

    // Source pixels (shape = [height * width], values in [0, 1]). A new size starts an empty mask and
    // clears the undo history; the same size keeps the mask.
    void setSource(const std::vector<float>& pixels, int width, int height);
    const std::vector<float>& source() const { return m_source; }
    int imageWidth() const { return m_mask.width; }
    int imageHeight() const { return m_mask.height; }

    const ClampMask& mask() const { return m_mask; }
    QUndoStack* undoStack() const { return m_undo; }

    void setTool(Tool tool);
    Tool tool() const { return m_tool; }
    // Brush diameter in image pixels (1..32).
    void setBrushSize(int pixels);
    int brushSize() const { return m_brushSize; }
    void setOverlayColor(const QColor& color);
    QColor overlayColor() const { return m_overlay; }
    // Opacity of the tint on clamped pixels (0..1).
    void setOverlayOpacity(double opacity);
    double overlayOpacity() const { return m_opacity; }

    // Undoable edits (image pixel coordinates; clamp = true clamps, false frees).
    void strokeBrush(const std::vector<QPointF>& points, bool clamp);   // points at pixel centres = x + 0.5
    void fillRect(const QRect& rect, bool clamp);
    void fillPolygon(const QPolygonF& polygon, bool clamp);             // pixel centres inside (odd-even)
    void floodFill(QPoint pixel, bool clamp);
    void invert();
    void clear();
    void applyPreset(MaskPreset preset, const MaskPresetOptions& options = {});
    // Replaces the mask (same size, else gsn::Error); `what` names the undo step (e.g. "Load mask").
    void setMask(const ClampMask& mask, const QString& what);

    // Widget <-> image mapping of the current zoom (image pixel coordinates, not rounded).
    QPointF toImage(QPointF widgetPos) const;
    QRectF imageRect() const;
    // What is drawn, as an image (for tests and screenshots).
    QImage render() const;

signals:
    // The mask changed (edit, undo, redo, new size).
    void maskChanged();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    QSize sizeHint() const override { return {448, 448}; }

private:
    friend class MaskEditCommand;
    void paintDisc(ClampMask& mask, QPointF centre, bool clamp) const;
    void paintLine(ClampMask& mask, QPointF from, QPointF to, bool clamp) const;
    void commit(const ClampMask& before, const ClampMask& after, const QString& what);
    void assign(const ClampMask& mask);      // no undo: used by the undo commands
    void draw(QPainter& p, const QRectF& target) const;

    std::vector<float> m_source;
    ClampMask m_mask;
    QUndoStack* m_undo = nullptr;
    Tool m_tool = Tool::Brush;
    int m_brushSize = 3;
    QColor m_overlay{255, 140, 0};
    double m_opacity = 0.45;

    // Gesture in progress.
    bool m_pressed = false;
    bool m_pressClamp = true;
    ClampMask m_before;
    QPointF m_last;                  // image coordinates
    QPointF m_pressPos;
    QPolygonF m_lasso;
    QPointF m_hover{-1, -1};
};

} // namespace gsn
