#pragma once
// A list model over a dataset's images for the Data dock's strip: thumbnails are made on demand,
// so browsing 60000 examples costs only what is on screen.

#include "dataset.h"

#include <QAbstractListModel>

#include <memory>

namespace gsn {

class ExampleStripModel : public QAbstractListModel {
    Q_OBJECT
public:
    explicit ExampleStripModel(QObject* parent = nullptr);

    // Shows the dataset's images (null clears the strip).
    void setDataset(std::shared_ptr<const Dataset> dataset);
    std::shared_ptr<const Dataset> dataset() const { return m_dataset; }
    // Thumbnail edge in pixels (images are scaled by a whole factor to at most this size).
    void setThumbnailSize(int pixels);
    int thumbnailSize() const { return m_thumbnail; }

    int rowCount(const QModelIndex& parent = {}) const override;
    // DecorationRole: thumbnail; ToolTipRole: "#index" and the label when present.
    QVariant data(const QModelIndex& index, int role) const override;

private:
    std::shared_ptr<const Dataset> m_dataset;
    int m_thumbnail = 56;
};

} // namespace gsn
