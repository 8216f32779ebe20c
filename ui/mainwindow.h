#pragma once
// GSN Studio's main window: the chain view in the centre, docks around it, menus and the status
// bar. Kept thin: each dock is its own class; this class wires them together.

#include "colormap.h"
#include "dataset.h"

#include <QMainWindow>

#include <memory>

class QActionGroup;

namespace gsn {

class ChainView;
class DataDock;
class FrameStatsLabel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Loads a dataset by registry name or path (through the Data dock). On failure shows the
    // error (see lastError()) and returns false; the previous dataset stays.
    bool loadDataset(const QString& spec);

    // Selects a colour map (as the View > Colour map menu does).
    void setColorMap(ColorMap map);

    ChainView* chainView() const { return m_view; }
    DataDock* dataDock() const { return m_dataDock; }
    // The last error shown to the user (one line), or empty.
    QString lastError() const { return m_lastError; }

public slots:
    // Shows a one-line error in a (non-blocking, window-modal) message box and the status bar.
    void showError(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void showDatasetExamples(std::shared_ptr<const Dataset> dataset);
    void restoreSettings();
    void saveSettings() const;

    ChainView* m_view = nullptr;
    DataDock* m_dataDock = nullptr;
    FrameStatsLabel* m_frameStats = nullptr;
    QActionGroup* m_colorMapGroup = nullptr;
    QString m_lastError;
};

} // namespace gsn
