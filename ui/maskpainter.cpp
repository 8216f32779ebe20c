#include "maskpainter.h"

#include "error.h"
#include "greyimage.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>
#include <cmath>

namespace gsn {

// One edit: the whole mask before and after (masks are small: 784 bytes for MNIST, 9 KB at 96x96).
class MaskEditCommand : public QUndoCommand {
public:
    MaskEditCommand(MaskPainter* painter, ClampMask before, ClampMask after, const QString& text)
        : m_painter(painter), m_before(std::move(before)), m_after(std::move(after))
    {
        setText(text);
    }
    void undo() override { m_painter->assign(m_before); }
    void redo() override { m_painter->assign(m_after); }

private:
    MaskPainter* m_painter;
    ClampMask m_before;
    ClampMask m_after;
};

MaskPainter::MaskPainter(QWidget* parent) : QWidget(parent), m_undo(new QUndoStack(this))
{
    m_undo->setUndoLimit(kUndoLimit); // before any command: QUndoStack accepts a limit only when empty
    setMouseTracking(true);
    setMinimumSize(160, 160);
    setCursor(Qt::CrossCursor);
}

void MaskPainter::setSource(const std::vector<float>& pixels, int width, int height)
{
    if (width < 1 || height < 1 || pixels.size() != std::size_t(width) * height)
        fail("mask painter", "source", "expected " + std::to_string(width) + "x" + std::to_string(height) + " pixels");
    m_source = pixels;
    if (width != m_mask.width || height != m_mask.height) {
        m_undo->clear();
        m_mask = ClampMask(width, height);
        emit maskChanged();
    }
    update();
}

void MaskPainter::setTool(Tool tool)
{
    m_tool = tool;
    update();
}

void MaskPainter::setBrushSize(int pixels)
{
    m_brushSize = std::clamp(pixels, 1, 32);
    update();
}

void MaskPainter::setOverlayColor(const QColor& color)
{
    m_overlay = color;
    update();
}

void MaskPainter::setOverlayOpacity(double opacity)
{
    m_opacity = std::clamp(opacity, 0.0, 1.0);
    update();
}

void MaskPainter::assign(const ClampMask& mask)
{
    m_mask = mask;
    update();
    emit maskChanged();
}

void MaskPainter::commit(const ClampMask& before, const ClampMask& after, const QString& what)
{
    if (before == after)
        return;
    m_undo->push(new MaskEditCommand(this, before, after, what));
}

void MaskPainter::paintDisc(ClampMask& mask, QPointF c, bool clamp) const
{
    // Pixels whose centre lies within brushSize / 2 of c; a size-1 brush is the pixel under c.
    const double r = m_brushSize / 2.0;
    const int x0 = std::max(0, static_cast<int>(std::floor(c.x() - r)));
    const int x1 = std::min(mask.width - 1, static_cast<int>(std::floor(c.x() + r)));
    const int y0 = std::max(0, static_cast<int>(std::floor(c.y() - r)));
    const int y1 = std::min(mask.height - 1, static_cast<int>(std::floor(c.y() + r)));
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            const double dx = x + 0.5 - c.x(), dy = y + 0.5 - c.y();
            const bool inside = m_brushSize == 1 ? (x == static_cast<int>(std::floor(c.x())) &&
                                                    y == static_cast<int>(std::floor(c.y())))
                                                 : dx * dx + dy * dy <= r * r;
            if (inside)
                mask.clamped[static_cast<std::size_t>(y * mask.width + x)] = clamp ? 1 : 0;
        }
}

void MaskPainter::paintLine(ClampMask& mask, QPointF from, QPointF to, bool clamp) const
{
    // Discs every quarter pixel along the segment, so fast strokes leave no gaps.
    const double len = std::hypot(to.x() - from.x(), to.y() - from.y());
    const int n = std::max(1, static_cast<int>(std::ceil(len * 4)));
    for (int i = 0; i <= n; ++i)
        paintDisc(mask, from + (to - from) * (double(i) / n), clamp);
}

void MaskPainter::strokeBrush(const std::vector<QPointF>& points, bool clamp)
{
    if (points.empty() || m_mask.size() == 0)
        return;
    ClampMask after = m_mask;
    paintDisc(after, points.front(), clamp);
    for (std::size_t i = 1; i < points.size(); ++i)
        paintLine(after, points[i - 1], points[i], clamp);
    commit(m_mask, after, clamp ? tr("Brush") : tr("Eraser"));
}

void MaskPainter::fillRect(const QRect& rect, bool clamp)
{
    const QRect r = rect.normalized().intersected(QRect(0, 0, m_mask.width, m_mask.height));
    ClampMask after = m_mask;
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x)
            after.clamped[static_cast<std::size_t>(y * after.width + x)] = clamp ? 1 : 0;
    commit(m_mask, after, tr("Rectangle"));
}

void MaskPainter::fillPolygon(const QPolygonF& polygon, bool clamp)
{
    if (polygon.size() < 3)
        return;
    ClampMask after = m_mask;
    for (int y = 0; y < after.height; ++y)
        for (int x = 0; x < after.width; ++x)
            if (polygon.containsPoint(QPointF(x + 0.5, y + 0.5), Qt::OddEvenFill))
                after.clamped[static_cast<std::size_t>(y * after.width + x)] = clamp ? 1 : 0;
    commit(m_mask, after, tr("Lasso"));
}

void MaskPainter::floodFill(QPoint pixel, bool clamp)
{
    if (pixel.x() < 0 || pixel.y() < 0 || pixel.x() >= m_mask.width || pixel.y() >= m_mask.height)
        return;
    ClampMask after = m_mask;
    const int w = after.width;
    const std::uint8_t from = after.clamped[static_cast<std::size_t>(pixel.y() * w + pixel.x())];
    const std::uint8_t to = clamp ? 1 : 0;
    if (from == to)
        return;
    std::vector<int> stack{pixel.y() * w + pixel.x()};
    after.clamped[static_cast<std::size_t>(stack.back())] = to;
    while (!stack.empty()) {
        const int i = stack.back();
        stack.pop_back();
        const int x = i % w, y = i / w;
        const int next[4][2] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
        for (const auto& n : next) {
            if (n[0] < 0 || n[1] < 0 || n[0] >= w || n[1] >= after.height)
                continue;
            auto& v = after.clamped[static_cast<std::size_t>(n[1] * w + n[0])];
            if (v == from) {
                v = to;
                stack.push_back(n[1] * w + n[0]);
            }
        }
    }
    commit(m_mask, after, tr("Fill"));
}

void MaskPainter::invert()
{
    commit(m_mask, m_mask.inverted(), tr("Invert"));
}

void MaskPainter::clear()
{
    commit(m_mask, ClampMask(m_mask.width, m_mask.height), tr("Clear"));
}

void MaskPainter::applyPreset(MaskPreset preset, const MaskPresetOptions& options)
{
    if (m_mask.size() == 0)
        return;
    commit(m_mask, makeMask(preset, m_mask.width, m_mask.height, options),
           tr("Preset %1").arg(QString::fromStdString(maskPresetName(preset))));
}

void MaskPainter::setMask(const ClampMask& mask, const QString& what)
{
    if (mask.width != m_mask.width || mask.height != m_mask.height)
        fail("mask painter", "mask size", "expected " + std::to_string(m_mask.width) + "x" +
                                              std::to_string(m_mask.height) + ", got " + std::to_string(mask.width) +
                                              "x" + std::to_string(mask.height));
    commit(m_mask, mask, what);
}

QRectF MaskPainter::imageRect() const
{
    if (m_mask.size() == 0)
        return {};
    // Largest whole zoom that fits (square pixels), centred.
    const double zoom = std::max(1.0, std::floor(std::min(double(width()) / m_mask.width, double(height()) / m_mask.height)));
    const double w = zoom * m_mask.width, h = zoom * m_mask.height;
    return {(width() - w) / 2.0, (height() - h) / 2.0, w, h};
}

QPointF MaskPainter::toImage(QPointF pos) const
{
    const QRectF r = imageRect();
    if (r.isEmpty())
        return {};
    return {(pos.x() - r.left()) * m_mask.width / r.width(), (pos.y() - r.top()) * m_mask.height / r.height()};
}

void MaskPainter::draw(QPainter& p, const QRectF& target) const
{
    const int w = m_mask.width, h = m_mask.height;
    if (w == 0)
        return;
    const double sx = target.width() / w, sy = target.height() / h;
    // Source, then the tint of clamped pixels, then hatching of free pixels, then the outline.
    QImage src = m_source.empty() ? QImage(w, h, QImage::Format_Grayscale8) : greyImage(m_source.data(), w, h);
    if (m_source.empty())
        src.fill(0);
    p.drawImage(target, src);
    QImage tint(w, h, QImage::Format_ARGB32_Premultiplied);
    tint.fill(Qt::transparent);
    QColor c = m_overlay;
    c.setAlphaF(static_cast<float>(m_opacity));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (m_mask.isClamped(x, y))
                tint.setPixelColor(x, y, c);
    p.drawImage(target, tint);
    QPainterPath freePath, edges;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const bool cl = m_mask.isClamped(x, y);
            const QRectF cell(target.left() + x * sx, target.top() + y * sy, sx, sy);
            if (!cl)
                freePath.addRect(cell);
            // Boundary between clamped and free (or clamped and the image edge).
            auto clampedAt = [&](int xx, int yy) { return xx >= 0 && yy >= 0 && xx < w && yy < h && m_mask.isClamped(xx, yy); };
            if (cl) {
                if (!clampedAt(x - 1, y)) { edges.moveTo(cell.topLeft()); edges.lineTo(cell.bottomLeft()); }
                if (!clampedAt(x + 1, y)) { edges.moveTo(cell.topRight()); edges.lineTo(cell.bottomRight()); }
                if (!clampedAt(x, y - 1)) { edges.moveTo(cell.topLeft()); edges.lineTo(cell.topRight()); }
                if (!clampedAt(x, y + 1)) { edges.moveTo(cell.bottomLeft()); edges.lineTo(cell.bottomRight()); }
            }
        }
    QColor hatch = m_overlay.lightness() > 128 ? QColor(80, 160, 255, 110) : QColor(120, 200, 255, 110);
    QBrush hatchBrush(hatch, Qt::BDiagPattern);
    hatchBrush.setTransform(QTransform::fromScale(std::max(1.0, sx / 4), std::max(1.0, sy / 4)));
    p.fillPath(freePath.simplified(), hatchBrush);
    QColor edge = m_overlay;
    edge.setAlpha(255);
    p.setPen(QPen(edge, std::max(1.0, sx / 6)));
    p.drawPath(edges);
}

QImage MaskPainter::render() const
{
    QImage image(size(), QImage::Format_RGB32);
    image.fill(palette().window().color());
    QPainter p(&image);
    draw(p, imageRect());
    return image;
}

void MaskPainter::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const QRectF r = imageRect();
    draw(p, r);
    if (m_mask.size() == 0)
        return;
    const double zoom = r.width() / m_mask.width;
    p.setPen(QPen(Qt::white, 1, Qt::DashLine));
    p.setBrush(Qt::NoBrush);
    if (m_pressed && m_tool == Tool::Rectangle) {
        const QRectF sel = QRectF(m_pressPos, m_last).normalized();
        p.drawRect(QRectF(r.topLeft() + sel.topLeft() * zoom, sel.size() * zoom));
    } else if (m_pressed && m_tool == Tool::Lasso) {
        QPolygonF shown;
        for (const QPointF& q : m_lasso)
            shown << r.topLeft() + q * zoom;
        p.drawPolygon(shown);
    } else if ((m_tool == Tool::Brush || m_tool == Tool::Eraser) && m_hover.x() >= 0) {
        const double radius = m_brushSize / 2.0 * zoom;
        p.drawEllipse(r.topLeft() + m_hover * zoom, radius, radius);
    }
}

void MaskPainter::mousePressEvent(QMouseEvent* event)
{
    if (m_mask.size() == 0 || (event->button() != Qt::LeftButton && event->button() != Qt::RightButton))
        return;
    m_pressed = true;
    m_pressClamp = event->button() == Qt::LeftButton;
    m_before = m_mask;
    m_pressPos = m_last = toImage(event->position());
    m_lasso = QPolygonF{m_pressPos};
    if (m_tool == Tool::Brush || m_tool == Tool::Eraser) {
        // Live feedback while the stroke goes on; committed as one command on release.
        paintDisc(m_mask, m_last, m_tool == Tool::Brush && m_pressClamp);
        emit maskChanged();
    } else if (m_tool == Tool::Fill) {
        m_pressed = false;
        floodFill(QPoint(static_cast<int>(std::floor(m_last.x())), static_cast<int>(std::floor(m_last.y()))), m_pressClamp);
    }
    update();
}

void MaskPainter::mouseMoveEvent(QMouseEvent* event)
{
    const QPointF p = toImage(event->position());
    m_hover = p;
    if (m_pressed) {
        if (m_tool == Tool::Brush || m_tool == Tool::Eraser) {
            paintLine(m_mask, m_last, p, m_tool == Tool::Brush && m_pressClamp);
            emit maskChanged();
        } else if (m_tool == Tool::Lasso) {
            m_lasso << p;
        }
        m_last = p;
    }
    update();
}

void MaskPainter::mouseReleaseEvent(QMouseEvent* event)
{
    if (!m_pressed)
        return;
    m_pressed = false;
    const QPointF p = toImage(event->position());
    switch (m_tool) {
    case Tool::Brush:
    case Tool::Eraser: {
        ClampMask after = m_mask;
        m_mask = m_before; // the command's redo installs `after`
        commit(m_before, after, m_tool == Tool::Brush && m_pressClamp ? tr("Brush") : tr("Eraser"));
        break;
    }
    case Tool::Rectangle: {
        const QPoint a(static_cast<int>(std::floor(std::min(m_pressPos.x(), p.x()))),
                       static_cast<int>(std::floor(std::min(m_pressPos.y(), p.y()))));
        const QPoint b(static_cast<int>(std::floor(std::max(m_pressPos.x(), p.x()))),
                       static_cast<int>(std::floor(std::max(m_pressPos.y(), p.y()))));
        fillRect(QRect(a, b), m_pressClamp);
        break;
    }
    case Tool::Lasso:
        m_lasso << p;
        fillPolygon(m_lasso, m_pressClamp);
        m_lasso.clear();
        break;
    case Tool::Fill:
        break;
    }
    update();
}

void MaskPainter::leaveEvent(QEvent*)
{
    m_hover = {-1, -1};
    update();
}

} // namespace gsn
