#include "chaingrid.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace gsn {

ChainGridLayout::ChainGridLayout(Input input) : m_input(std::move(input))
{
    const int w = m_input.cellWidth, h = m_input.cellHeight;
    if (w <= 0 || h <= 0 || m_input.chainCount <= 0)
        return;
    const int maxColumns = std::max(1, m_input.maxTextureSize / w);
    const int maxRows = std::max(1, m_input.maxTextureSize / h);
    if (m_input.mode == Mode::Filmstrip) {
        const int chains = m_input.filmstripChains.empty() ? std::min(m_input.chainCount, kDefaultFilmstripChains)
                                                           : int(m_input.filmstripChains.size());
        m_rows = std::min(chains, maxRows);
        m_columns = std::min(std::max(1, m_input.historyFrames), maxColumns);
        m_cellCount = m_rows * m_columns;
        return;
    }
    const int count = m_input.chainCount;
    const int padding = m_input.padding;
    int columns = m_input.columns;
    if (columns <= 0) {
        // The column count that shows the cells largest in the viewport; among counts within 1 % of that,
        // the one with the fewest empty cells in the last row (16 chains: 4 x 4, not 5 + 5 + 5 + 1), then
        // the fewest columns.
        const QSizeF& viewport = m_input.viewport;
        const double vw = viewport.width() > 0 && viewport.height() > 0 ? viewport.width() : 1.0;
        const double vh = viewport.width() > 0 && viewport.height() > 0 ? viewport.height() : 1.0;
        auto scaleOf = [&](int c) {
            const int rows = (count + c - 1) / c;
            return std::min(vw / (double(c) * (w + padding)), vh / (double(rows) * (h + padding)));
        };
        double best = 0.0;
        for (int c = 1; c <= count; ++c)
            best = std::max(best, scaleOf(c));
        int bestEmpty = count + 1;
        for (int c = 1; c <= count; ++c) {
            if (scaleOf(c) < best * 0.99)
                continue;
            const int empty = ((count + c - 1) / c) * c - count;
            if (empty < bestEmpty) {
                bestEmpty = empty;
                columns = c;
            }
        }
    }
    columns = std::clamp(columns, 1, count);
    // Very many chains could still exceed the texture size: widen the grid, then cut off.
    const int minColumns = (count + maxRows - 1) / maxRows;
    m_columns = std::clamp(std::max(columns, minColumns), 1, maxColumns);
    m_rows = std::min((count + m_columns - 1) / m_columns, maxRows);
    m_cellCount = std::min(count, m_columns * m_rows);
}

QSizeF ChainGridLayout::contentSize() const
{
    if (m_columns == 0 || m_rows == 0)
        return {};
    const int padding = m_input.padding;
    return {double(m_columns) * (m_input.cellWidth + padding) - padding,
            double(m_rows) * (m_input.cellHeight + padding) - padding};
}

QRectF ChainGridLayout::cellRect(int row, int column) const
{
    const int padding = m_input.padding;
    return {double(column) * (m_input.cellWidth + padding), double(row) * (m_input.cellHeight + padding),
            double(m_input.cellWidth), double(m_input.cellHeight)};
}

std::optional<ChainGridLayout::Hit> ChainGridLayout::cellAt(QPointF contentPos) const
{
    if (m_cellCount == 0)
        return std::nullopt;
    const int w = m_input.cellWidth, h = m_input.cellHeight, padding = m_input.padding;
    const int column = int(std::floor(contentPos.x() / (w + padding)));
    const int row = int(std::floor(contentPos.y() / (h + padding)));
    if (column < 0 || row < 0 || column >= m_columns || row >= m_rows)
        return std::nullopt;
    const int px = int(std::floor(contentPos.x() - double(column) * (w + padding)));
    const int py = int(std::floor(contentPos.y() - double(row) * (h + padding)));
    if (px >= w || py >= h)
        return std::nullopt; // in the gap right of or below the cell
    if (!source(row, column))
        return std::nullopt;
    return Hit{row, column, px, py};
}

std::optional<ChainGridLayout::Source> ChainGridLayout::source(int row, int column) const
{
    if (row < 0 || column < 0 || row >= m_rows || column >= m_columns)
        return std::nullopt;
    if (m_input.mode == Mode::Filmstrip) {
        if (column >= m_input.historyFrames)
            return std::nullopt; // fewer frames published than the filmstrip is long
        const int chain = m_input.filmstripChains.empty() ? row : m_input.filmstripChains[std::size_t(row)];
        return Source{column, chain};
    }
    const int chain = row * m_columns + column;
    if (chain >= m_cellCount)
        return std::nullopt;
    return Source{0, chain};
}

std::optional<ChainGridLayout::Cell> ChainGridLayout::gridCellOf(int chain) const
{
    if (m_input.mode != Mode::Grid || chain < 0 || chain >= m_cellCount)
        return std::nullopt;
    return Cell{chain / m_columns, chain % m_columns};
}

} // namespace gsn
