#pragma once
// The Data dock: choose a dataset (MNIST, Fashion-MNIST, LFW faces, or a user file), see what it
// holds, and browse a strip of its examples. Loading errors are reported, never thrown. Files are read
// and decoded on a BackgroundJob (a 60000-image file takes a second): the GUI thread only shows the result.

#include "backgroundjob.h"
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

    // Loads a registry name ("mnist-test", "fashion-test", "faces", ...) or a file path on a worker and
    // returns at once; a newer request supersedes one still loading. Later, on the GUI thread: on success
    // datasetLoaded, on failure loadFailed with the one-line gsn::Error message (the previous dataset
    // stays); then loadFinished either way.
    void requestDataset(const QString& spec);
    bool isLoading() const { return m_load.isRunning(); }
    // requestDataset, then a local event loop (the GUI stays live) until that load is done; true if it
    // succeeded. For scripts and tests; the dock's own controls use requestDataset.
    bool loadDataset(const QString& spec);
    std::shared_ptr<const Dataset> dataset() const { return m_dataset; }
    QString currentSpec() const { return m_spec; }

public slots:
    // Asks for a user file (.mat, .npy, IDX) and loads it.
    void openFile();

signals:
    void datasetLoaded(std::shared_ptr<const gsn::Dataset> dataset);
    void loadFailed(const QString& message);
    void loadFinished(bool ok);
    // The user double-clicked (or pressed Enter on) an example in the strip.
    void exampleActivated(int index);

private:
    void chooserActivated(int row);
    void selectSpecInChooser(const QString& spec);
    void applyDataset(std::shared_ptr<const Dataset> dataset, const QString& spec);
    void refuseDataset(const QString& message);
    void showInfo();

    QComboBox* m_chooser = nullptr;
    QLabel* m_info = nullptr;
    QListView* m_strip = nullptr;
    ExampleStripModel* m_model = nullptr;
    std::shared_ptr<const Dataset> m_dataset;
    QString m_spec;
    bool m_lastOk = false;
    BackgroundJob m_load{this};
};

} // namespace gsn
