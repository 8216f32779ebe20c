#pragma once
// Paint a target (issue 13 item 1, "a density the user paints with a brush on a grid"; docs/mixing.md
// "Painting a target"): a grid of cells over a box of the plane that the user paints with a soft brush
// (left button paints, right button erases, undo per stroke), started empty or from the lab's current
// target, with the painted density's blur. The result is a PaintedTarget config (targets2d.h:
// {"kind": "painted", "box", "values", "blur"}) for the lab, or a target file saved with
// saveTargetFile (atomic). Nothing painted is refused with the engine's message, in the dialog.

#include "target.h"

#include <QDialog>
#include <QWidget>

#include <nlohmann/json.hpp>

#include <array>
#include <memory>
#include <vector>

class QDoubleSpinBox;
class QLabel;

namespace gsn {

// The canvas: nx x ny cell values in [0, 1], row 0 at the bottom (y0), drawn as a grey map.
class TargetCanvas : public QWidget {
    Q_OBJECT
public:
    TargetCanvas(int nx, int ny, std::array<double, 4> box, QWidget* parent = nullptr);

    int columns() const { return m_nx; }
    int rows() const { return m_ny; }
    std::array<double, 4> box() const { return m_box; }
    const std::vector<double>& values() const { return m_values; }
    // Replaces the values (size nx * ny, clamped to [0, 1]); one undo step.
    void setValues(std::vector<double> values);
    void clear();
    bool undo(); // false when there is nothing to undo
    // Brush radius in cells (the value falls off to 0 at the rim) and level in (0, 1]: a stroke raises
    // every cell under it to at least level x falloff (1 - d^2 at distance d radii); erasing empties them.
    void setBrush(double radiusCells, double level);
    // One dab at a widget position (what a mouse press does); `erase` as the right button.
    void dab(QPointF position, bool erase);
    // The cell (column, row) under a widget position, or (-1, -1) outside the grid.
    QPoint cellAt(QPointF position) const;
    // The widget position of a cell's centre (tests paint through it).
    QPointF cellCentre(int column, int row) const;
    int paintedCells() const;

    QSize sizeHint() const override { return {480, 480}; }
    QSize minimumSizeHint() const override { return {240, 240}; }

signals:
    void changed();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;

private:
    QRectF gridRect() const;
    void pushUndo();
    void stroke(QPointF from, QPointF to, bool erase);

    int m_nx, m_ny;
    std::array<double, 4> m_box;
    std::vector<double> m_values;
    std::vector<std::vector<double>> m_undo;
    double m_radius = 2.0;
    double m_level = 1.0;
    bool m_stroking = false;
    bool m_erasing = false;
    QPointF m_last;
};

class PaintTargetDialog : public QDialog {
    Q_OBJECT
public:
    static constexpr int kCells = 48;
    // `box` is the plane's region painted; `start`, when given, is rasterised onto the grid (its density at
    // the cell centres, scaled so that the highest cell is 1) as the first painting.
    PaintTargetDialog(std::array<double, 4> box, std::shared_ptr<const Target> start, QWidget* parent = nullptr);

    TargetCanvas* canvas() const { return m_canvas; }
    void setBlur(double blur);
    double blur() const;
    // {"kind": "painted", "box": [...], "values": [[row 0], ...], "blur": b}
    nlohmann::json targetConfig() const;
    // Writes the painting as a target file (saveTargetFile, atomic); gsn::Error naming the file or the field.
    void saveTo(const QString& path) const;
    QString lastError() const { return m_lastError; }

public slots:
    void accept() override; // refused (the dialog stays open, the reason shown) when nothing is painted

private:
    void updateSummary();
    void showError(const QString& message);

    TargetCanvas* m_canvas = nullptr;
    QDoubleSpinBox* m_blur = nullptr;
    QDoubleSpinBox* m_radius = nullptr;
    QDoubleSpinBox* m_level = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_error = nullptr;
    QString m_lastError;
};

} // namespace gsn
