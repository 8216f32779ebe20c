#include "painttargetdialog.h"

#include "error.h"
#include "targets2d.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace gsn {

namespace {

constexpr std::size_t kMaxUndo = 64;

QString number(double v)
{
    return QString::number(v, 'g', 3);
}

} // namespace

TargetCanvas::TargetCanvas(int nx, int ny, std::array<double, 4> box, QWidget* parent)
    : QWidget(parent), m_nx(nx), m_ny(ny), m_box(box), m_values(static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny), 0.0)
{
    setObjectName(QStringLiteral("paintCanvas"));
    setMouseTracking(false);
    setCursor(Qt::CrossCursor);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setToolTip(tr("Left button paints density, right button erases; each stroke is one undo step"));
}

void TargetCanvas::setValues(std::vector<double> values)
{
    if (values.size() != m_values.size())
        return;
    pushUndo();
    for (double& v : values)
        v = std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0;
    m_values = std::move(values);
    update();
    emit changed();
}

void TargetCanvas::clear()
{
    setValues(std::vector<double>(m_values.size(), 0.0));
}

bool TargetCanvas::undo()
{
    if (m_undo.empty())
        return false;
    m_values = std::move(m_undo.back());
    m_undo.pop_back();
    update();
    emit changed();
    return true;
}

void TargetCanvas::setBrush(double radiusCells, double level)
{
    m_radius = std::max(0.5, radiusCells);
    m_level = std::clamp(level, 0.01, 1.0);
}

int TargetCanvas::paintedCells() const
{
    return static_cast<int>(std::count_if(m_values.begin(), m_values.end(), [](double v) { return v > 0; }));
}

QRectF TargetCanvas::gridRect() const
{
    // Square cells in the widget's largest centred rectangle of the grid's aspect (a margin for the labels).
    const QRectF area = QRectF(rect()).adjusted(40, 8, -8, -24);
    const double cell = std::max(1.0, std::min(area.width() / m_nx, area.height() / m_ny));
    const QSizeF size(cell * m_nx, cell * m_ny);
    return QRectF(area.center() - QPointF(size.width() / 2, size.height() / 2), size);
}

QPoint TargetCanvas::cellAt(QPointF p) const
{
    const QRectF g = gridRect();
    if (!g.contains(p))
        return {-1, -1};
    const int column = std::clamp(static_cast<int>((p.x() - g.left()) / g.width() * m_nx), 0, m_nx - 1);
    const int rowFromTop = std::clamp(static_cast<int>((p.y() - g.top()) / g.height() * m_ny), 0, m_ny - 1);
    return {column, m_ny - 1 - rowFromTop};
}

QPointF TargetCanvas::cellCentre(int column, int row) const
{
    const QRectF g = gridRect();
    return {g.left() + (column + 0.5) * g.width() / m_nx, g.top() + (m_ny - 1 - row + 0.5) * g.height() / m_ny};
}

void TargetCanvas::dab(QPointF position, bool erase)
{
    const QRectF g = gridRect();
    const double cell = g.width() / m_nx;
    // The brush centre in cell units (column, row from the bottom), then every cell within the radius.
    const double cx = (position.x() - g.left()) / cell;
    const double cy = m_ny - (position.y() - g.top()) / cell;
    const int c0 = std::max(0, static_cast<int>(std::floor(cx - m_radius)));
    const int c1 = std::min(m_nx - 1, static_cast<int>(std::ceil(cx + m_radius)));
    const int r0 = std::max(0, static_cast<int>(std::floor(cy - m_radius)));
    const int r1 = std::min(m_ny - 1, static_cast<int>(std::ceil(cy + m_radius)));
    bool touched = false;
    for (int r = r0; r <= r1; ++r)
        for (int c = c0; c <= c1; ++c) {
            const double d = std::hypot(c + 0.5 - cx, r + 0.5 - cy) / m_radius;
            if (d >= 1)
                continue;
            const double falloff = 1 - d * d;
            double& v = m_values[static_cast<std::size_t>(r) * static_cast<std::size_t>(m_nx) + static_cast<std::size_t>(c)];
            const double next = erase ? 0.0 : std::max(v, m_level * falloff);
            touched = touched || next != v;
            v = next;
        }
    if (touched) {
        update();
        emit changed();
    }
}

void TargetCanvas::stroke(QPointF from, QPointF to, bool erase)
{
    // Dabs every half cell along the segment, so a fast drag leaves no gaps.
    const double cell = gridRect().width() / m_nx;
    const double length = std::hypot(to.x() - from.x(), to.y() - from.y());
    const int n = std::max(1, static_cast<int>(std::ceil(length / std::max(1.0, cell * 0.5))));
    for (int i = 1; i <= n; ++i)
        dab(from + (to - from) * (static_cast<double>(i) / n), erase);
}

void TargetCanvas::pushUndo()
{
    m_undo.push_back(m_values);
    if (m_undo.size() > kMaxUndo)
        m_undo.erase(m_undo.begin());
}

void TargetCanvas::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton && event->button() != Qt::RightButton)
        return QWidget::mousePressEvent(event);
    pushUndo();
    m_stroking = true;
    m_erasing = event->button() == Qt::RightButton;
    m_last = event->position();
    dab(m_last, m_erasing);
}

void TargetCanvas::mouseMoveEvent(QMouseEvent* event)
{
    if (!m_stroking)
        return QWidget::mouseMoveEvent(event);
    stroke(m_last, event->position(), m_erasing);
    m_last = event->position();
}

void TargetCanvas::mouseReleaseEvent(QMouseEvent* event)
{
    if (m_stroking)
        stroke(m_last, event->position(), m_erasing);
    m_stroking = false;
}

void TargetCanvas::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const QRectF g = gridRect();
    QImage image(m_nx, m_ny, QImage::Format_RGB32);
    for (int r = 0; r < m_ny; ++r)
        for (int c = 0; c < m_nx; ++c) {
            const double v = m_values[static_cast<std::size_t>(r) * static_cast<std::size_t>(m_nx) + static_cast<std::size_t>(c)];
            const int level = 255 - static_cast<int>(std::lround(v * 215)); // white (empty) to dark blue-grey
            image.setPixel(c, m_ny - 1 - r, qRgb(level * 9 / 10, level * 19 / 20, level));
        }
    p.drawImage(g, image);
    p.setPen(QPen(palette().mid().color(), 1));
    p.drawRect(g);
    // Axes: the box's corners and the centre, in the plane's coordinates.
    p.setPen(palette().text().color());
    const QFontMetrics fm(font());
    const auto& [x0, x1, y0, y1] = m_box;
    p.drawText(QRectF(g.left() - 20, g.bottom() + 2, 40, fm.height()), Qt::AlignCenter, number(x0));
    p.drawText(QRectF(g.right() - 20, g.bottom() + 2, 40, fm.height()), Qt::AlignCenter, number(x1));
    p.drawText(QRectF(g.center().x() - 20, g.bottom() + 2, 40, fm.height()), Qt::AlignCenter, QStringLiteral("x\u2081"));
    p.drawText(QRectF(0, g.bottom() - fm.height(), g.left() - 4, fm.height()), Qt::AlignRight | Qt::AlignVCenter, number(y0));
    p.drawText(QRectF(0, g.top(), g.left() - 4, fm.height()), Qt::AlignRight | Qt::AlignVCenter, number(y1));
    p.drawText(QRectF(0, g.center().y() - fm.height() / 2.0, g.left() - 4, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
               QStringLiteral("x\u2082"));
}

PaintTargetDialog::PaintTargetDialog(std::array<double, 4> box, std::shared_ptr<const Target> start, QWidget* parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("PaintTargetDialog"));
    setWindowTitle(tr("Paint a target"));
    m_canvas = new TargetCanvas(kCells, kCells, box, this);

    auto* controls = new QFormLayout;
    m_radius = new QDoubleSpinBox;
    m_radius->setObjectName(QStringLiteral("paintRadius"));
    m_radius->setRange(0.5, 12);
    m_radius->setSingleStep(0.5);
    m_radius->setValue(2.5);
    m_radius->setSuffix(tr(" cells"));
    controls->addRow(tr("Brush radius"), m_radius);
    m_level = new QDoubleSpinBox;
    m_level->setObjectName(QStringLiteral("paintLevel"));
    m_level->setRange(0.05, 1);
    m_level->setSingleStep(0.05);
    m_level->setValue(1);
    m_level->setToolTip(tr("The density a stroke paints at the brush's centre (1 = the darkest cell); modes of different "
                           "levels have different weights"));
    controls->addRow(tr("Brush level"), m_level);
    m_blur = new QDoubleSpinBox;
    m_blur->setObjectName(QStringLiteral("paintBlur"));
    m_blur->setRange(0, 5);
    m_blur->setDecimals(2);
    m_blur->setSingleStep(0.05);
    const double cellWidth = (box[1] - box[0]) / kCells;
    m_blur->setValue(std::round(cellWidth * 100) / 100);
    m_blur->setToolTip(tr("0: the density is piecewise constant on the cells (fastest; its score is 0, so MALA and "
                          "Langevin move as a random walk). Above 0: a Gaussian of this standard deviation at every "
                          "painted cell (smooth, with an exact score)"));
    controls->addRow(tr("Blur (sd)"), m_blur);
    auto updateBrush = [this] { m_canvas->setBrush(m_radius->value(), m_level->value()); };
    connect(m_radius, &QDoubleSpinBox::valueChanged, this, updateBrush);
    connect(m_level, &QDoubleSpinBox::valueChanged, this, updateBrush);
    updateBrush();

    auto* undo = new QPushButton(tr("&Undo"));
    undo->setObjectName(QStringLiteral("paintUndo"));
    undo->setShortcut(QKeySequence::Undo);
    connect(undo, &QPushButton::clicked, m_canvas, &TargetCanvas::undo);
    auto* clear = new QPushButton(tr("&Clear"));
    clear->setObjectName(QStringLiteral("paintClear"));
    connect(clear, &QPushButton::clicked, m_canvas, &TargetCanvas::clear);
    auto* save = new QPushButton(tr("&Save as target file..."));
    save->setObjectName(QStringLiteral("paintSave"));
    connect(save, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save the painted target"), QStringLiteral("painted.json"),
                                                          tr("Targets (*.json)"));
        if (path.isEmpty())
            return;
        try {
            saveTo(path);
            m_error->setText(tr("Saved %1").arg(path));
        } catch (const Error& e) {
            showError(QString::fromStdString(e.what()));
        }
    });

    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("paintSummary"));
    m_summary->setWordWrap(true);
    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("paintError"));
    m_error->setWordWrap(true);
    auto* help = new QLabel(tr("Paint where the density should be: left button paints, right button erases. "
                               "Each separate blob of painted cells is one mode; its weight is its painted mass."));
    help->setWordWrap(true);

    auto* side = new QVBoxLayout;
    side->addWidget(help);
    side->addLayout(controls);
    auto* editRow = new QHBoxLayout;
    editRow->addWidget(undo);
    editRow->addWidget(clear);
    side->addLayout(editRow);
    side->addWidget(save);
    side->addWidget(m_summary);
    side->addWidget(m_error);
    side->addStretch(1);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Use in the lab"));
    buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("paintUse"));
    connect(buttons, &QDialogButtonBox::accepted, this, &PaintTargetDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* row = new QHBoxLayout;
    row->addWidget(m_canvas, 1);
    auto* sideWidget = new QWidget;
    sideWidget->setLayout(side);
    sideWidget->setMaximumWidth(280);
    row->addWidget(sideWidget);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(row, 1);
    layout->addWidget(buttons);

    if (start) {
        // The start target's density at the cell centres, highest cell = 1 (cells below 1e-3 of it stay empty).
        const double dx = (box[1] - box[0]) / kCells, dy = (box[3] - box[2]) / kCells;
        Matrix centres(kCells * kCells, 2);
        for (int r = 0; r < kCells; ++r)
            for (int c = 0; c < kCells; ++c) {
                centres(r * kCells + c, 0) = static_cast<float>(box[0] + (c + 0.5) * dx);
                centres(r * kCells + c, 1) = static_cast<float>(box[2] + (r + 0.5) * dy);
            }
        const Vector logp = start->logDensity(centres);
        float top = -std::numeric_limits<float>::infinity();
        for (Eigen::Index i = 0; i < logp.size(); ++i)
            if (std::isfinite(logp(i)))
                top = std::max(top, logp(i));
        std::vector<double> values(static_cast<std::size_t>(kCells * kCells), 0.0);
        if (std::isfinite(top))
            for (int i = 0; i < kCells * kCells; ++i) {
                const double v = std::isfinite(logp(i)) ? std::exp(double(logp(i)) - double(top)) : 0.0;
                values[static_cast<std::size_t>(i)] = v >= 1e-3 ? v : 0.0;
            }
        m_canvas->setValues(std::move(values));
    }
    connect(m_canvas, &TargetCanvas::changed, this, &PaintTargetDialog::updateSummary);
    connect(m_blur, &QDoubleSpinBox::valueChanged, this, &PaintTargetDialog::updateSummary);
    updateSummary();
    resize(820, 560);
}

void PaintTargetDialog::setBlur(double blur)
{
    m_blur->setValue(blur);
}

double PaintTargetDialog::blur() const
{
    return m_blur->value();
}

nlohmann::json PaintTargetDialog::targetConfig() const
{
    const auto [x0, x1, y0, y1] = m_canvas->box();
    nlohmann::json rows = nlohmann::json::array();
    const auto& v = m_canvas->values();
    for (int r = 0; r < m_canvas->rows(); ++r) {
        nlohmann::json row = nlohmann::json::array();
        for (int c = 0; c < m_canvas->columns(); ++c)
            row.push_back(std::round(v[static_cast<std::size_t>(r * m_canvas->columns() + c)] * 1e4) / 1e4);
        rows.push_back(std::move(row));
    }
    return {{"kind", PaintedTarget::kKind}, {"box", {x0, x1, y0, y1}}, {"values", std::move(rows)}, {"blur", m_blur->value()}};
}

void PaintTargetDialog::saveTo(const QString& path) const
{
    const std::shared_ptr<const Target> target = createTarget(targetConfig(), path.toStdString());
    saveTargetFile(path.toStdString(), *target);
}

void PaintTargetDialog::accept()
{
    try {
        createTarget(targetConfig(), "the painting");
    } catch (const Error& e) {
        showError(QString::fromStdString(e.what()));
        return;
    }
    QDialog::accept();
}

void PaintTargetDialog::updateSummary()
{
    const int cells = m_canvas->paintedCells();
    if (cells == 0) {
        m_summary->setText(tr("Nothing painted yet."));
        return;
    }
    try {
        const std::shared_ptr<const Target> t = createTarget(targetConfig(), "the painting");
        const std::vector<double> w = t->modeWeights();
        QStringList weights;
        for (std::size_t i = 0; i < w.size() && i < 6; ++i)
            weights << QString::number(w[i], 'f', 2);
        if (w.size() > 6)
            weights << QStringLiteral("...");
        m_summary->setText(tr("%n painted cell(s), %1 mode(s) (blobs), weights %2", nullptr, cells)
                               .arg(t->modeCount())
                               .arg(weights.join(QStringLiteral(", "))));
        m_error->clear();
    } catch (const Error& e) {
        m_summary->setText(QString::fromStdString(e.what()));
    }
}

void PaintTargetDialog::showError(const QString& message)
{
    m_lastError = message;
    m_error->setText(message);
}

} // namespace gsn
