#include "examplestripmodel.h"

#include "greyimage.h"

#include <QPixmap>

#include <algorithm>

namespace gsn {

ExampleStripModel::ExampleStripModel(QObject* parent) : QAbstractListModel(parent) {}

void ExampleStripModel::setDataset(std::shared_ptr<const Dataset> dataset)
{
    beginResetModel();
    m_dataset = std::move(dataset);
    endResetModel();
}

void ExampleStripModel::setThumbnailSize(int pixels)
{
    beginResetModel();
    m_thumbnail = std::max(8, pixels);
    endResetModel();
}

int ExampleStripModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_dataset ? 0 : m_dataset->count();
}

QVariant ExampleStripModel::data(const QModelIndex& index, int role) const
{
    if (!m_dataset || !index.isValid() || index.row() >= m_dataset->count())
        return {};
    const int i = index.row();
    switch (role) {
    case Qt::DecorationRole: {
        const int w = m_dataset->width, h = m_dataset->height;
        const QImage image = greyImage(m_dataset->pixels.row(i).data(), w, h);
        // Whole-factor scaling keeps pixels square and crisp.
        const int factor = std::max(1, m_thumbnail / std::max(w, h));
        return QPixmap::fromImage(image.scaled(w * factor, h * factor, Qt::KeepAspectRatio, Qt::FastTransformation));
    }
    case Qt::ToolTipRole: {
        QString text = QStringLiteral("#%1").arg(i);
        if (i < int(m_dataset->labels.size()))
            text += tr(" label %1").arg(m_dataset->labels[i]);
        return text;
    }
    default: return {};
    }
}

} // namespace gsn
