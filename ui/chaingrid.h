#pragma once
// Where the chain view's cells go, and what each cell shows: pure geometry, no OpenGL, no widgets.
// Content coordinates are image pixels with the origin at the top-left corner of the first cell;
// the view maps them to the widget with its zoom and pan. The same cell -> (frame, chain) mapping
// serves hovering (ChainView::cellAt) and filling the texture atlas, so the two cannot disagree.
//
// Grid mode: C chains in row-major order, columns given or chosen from the viewport's aspect ratio.
// Filmstrip mode: one row per selected chain (empty selection = the first min(C, 10) chains), one
// column per history frame (consecutive published steps, oldest on the left).

#include <QPointF>
#include <QRectF>
#include <QSizeF>

#include <optional>
#include <vector>

namespace gsn {

class ChainGridLayout {
public:
    enum class Mode { Grid, Filmstrip };

    static constexpr int kDefaultFilmstripChains = 10; // rows shown when no chains are selected

    struct Input {
        Mode mode = Mode::Grid;
        int chainCount = 0;             // chains in the current frame; 0 = nothing to lay out
        int cellWidth = 0;              // image size in pixels; <= 0 = nothing to lay out
        int cellHeight = 0;
        int padding = 0;                // gap between cells in image pixels
        int columns = 0;                // grid columns; 0 = from the viewport's aspect ratio
        QSizeF viewport;                // widget size, for automatic columns
        std::vector<int> filmstripChains; // filmstrip rows' chains (non-negative); empty = 0..min(C, 10)-1
        int historyFrames = 0;          // frames available as filmstrip columns
        int maxTextureSize = 4096;      // the atlas (columns*w x rows*h) must fit: rows/columns are cut off
    };

    // An empty layout: no cells.
    ChainGridLayout() = default;
    explicit ChainGridLayout(Input input);

    const Input& input() const { return m_input; }
    int columns() const { return m_columns; }
    int rows() const { return m_rows; }
    // Cells that may show a chain: rows*columns in filmstrip mode, min(C, rows*columns) in the grid.
    int cellCount() const { return m_cellCount; }
    bool empty() const { return m_cellCount == 0; }

    // Size of all cells with the gaps between them (none outside), in image pixels; empty when no cells.
    QSizeF contentSize() const;
    // Cell (row, column)'s rectangle in content coordinates (cellWidth x cellHeight).
    QRectF cellRect(int row, int column) const;

    // The cell (row, column) and pixel under a content position; none in the gaps, outside the
    // grid, or on a cell that shows nothing (see source()).
    struct Hit {
        int row = 0;
        int column = 0;
        int pixelX = 0;
        int pixelY = 0;
    };
    std::optional<Hit> cellAt(QPointF contentPos) const;

    // What cell (row, column) shows: a frame index (grid: 0, the current frame; filmstrip: the
    // history index, 0 = oldest) and a chain; none for cells past the last chain or history frame.
    // The chain may still be missing from an older frame (fewer chains): the caller checks.
    struct Source {
        int frame = 0;
        int chain = 0;
    };
    std::optional<Source> source(int row, int column) const;
    // The cell showing `chain` of the current frame in grid mode, or none (filmstrip mode, or
    // the chain is past the cells).
    struct Cell {
        int row = 0;
        int column = 0;
    };
    std::optional<Cell> gridCellOf(int chain) const;

private:
    Input m_input;
    int m_columns = 0;
    int m_rows = 0;
    int m_cellCount = 0;
};

} // namespace gsn
