#pragma once
// The Data dock: choose a dataset (MNIST, Fashion-MNIST, LFW faces, or a user file), see what it
// holds, and browse a strip of its examples. Loading errors are reported, never thrown.

#include "dataset.h"

#include <QDockWidget>

#include <memory>

class QComboBox;
class QLabel;
class QListView;

namespace gsn {

class ExampleStripModel;

class DataDock : public QDockWidget {
    Q_OBJECT
public:
    explicit DataDock(QWidget* parent = nullptr);

    // Loads a registry name ("mnist-test", "fashion-test", "faces", ...) or a file path.
    // On success emits datasetLoaded and returns true; on failure emits loadFailed with the
    // one-line gsn::Error message, keeps the previous dataset and returns false.
    bool loadDataset(const QString& spec);
    std::shared_ptr<const Dataset> dataset() const { return m_dataset; }
    QString currentSpec() const { return m_spec; }

public slots:
    // Asks for a user file (.mat, .npy, IDX) and loads it.
    void openFile();

signals:
    void datasetLoaded(std::shared_ptr<const gsn::Dataset> dataset);
    void loadFailed(const QString& message);
    // The user double-clicked (or pressed Enter on) an example in the strip.
    void exampleActivated(int index);

private:
    void chooserActivated(int row);
    void selectSpecInChooser(const QString& spec);

    QComboBox* m_chooser = nullptr;
    QLabel* m_info = nullptr;
    QListView* m_strip = nullptr;
    ExampleStripModel* m_model = nullptr;
    std::shared_ptr<const Dataset> m_dataset;
    QString m_spec;
};

} // namespace gsn
