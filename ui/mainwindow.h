#pragma once
// GSN Studio's main window: the chain view in the centre, docks around it, menus and the status
// bar. Kept thin: the StudioSession owns the dataset, the model, the chains, training and evaluation;
// each dock is its own class; this class builds the widgets and wires them to the session.

#include "colormap.h"
#include "dataset.h"
#include "modeldock.h"
#include "studiosession.h"

#include <QMainWindow>
#include <QPointer>

#include <cstdint>
#include <memory>

class QActionGroup;
class QLabel;
class QMenu;

namespace gsn {

class ChainController;
class ChainView;
class ChainsDock;
class DataDock;
class EvaluateDock;
class FrameStatsLabel;
class MixingLab;
class ClassMixingWindow;
class TrainingController;
class TrainingDock;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // The studio's document: dataset, current model, chains, training, evaluation.
    StudioSession* session() const { return m_session; }

    // Loads a dataset by registry name or path (through the Data dock). On failure shows the
    // error (see lastError()) and returns false; the previous dataset stays.
    bool loadDataset(const QString& spec);

    // Selects a colour map (as the View > Colour map menu does).
    void setColorMap(ColorMap map);

    // StudioSession::setModel: makes `model` the current model: new chains of it (the Chains dock's
    // settings), training of the previous model abandoned. Refuses (message, false; running chains keep
    // running) a model whose visible size differs from the dataset's images.
    bool setModel(StudioModelPtr model);
    // Starts opening a checkpoint file as the current model and returns at once; the file is read on
    // a worker thread (running chains keep running) and modelLoadFinished tells how it went (a message
    // on failure).
    void openModel(const QString& path);
    // Starts every chain at an image file (PNG, JPEG, ...; also what dropping an image on the window
    // does): converted to grey, centre-cropped and scaled to the chains' image size, and inverted when
    // its border is light while the dataset's images have dark borders (photos of digits on paper).
    // Read on a worker; imageStartFinished tells how it went (a message on failure; the running
    // chains keep running).
    void startChainsFromImage(const QString& path);
    // Loads the embedded default GSN-2 (message and false when missing or unreadable).
    bool loadDefaultModel();
    StudioModelPtr currentModel() const;
    // Checkpoints opened successfully, newest first (at most 8, kept in QSettings; File > Open recent).
    QStringList recentModels() const;

    ChainView* chainView() const { return m_view; }
    DataDock* dataDock() const { return m_dataDock; }
    ModelDock* modelDock() const { return m_modelDock; }
    ChainsDock* chainsDock() const { return m_chainsDock; }
    TrainingDock* trainingDock() const { return m_trainingDock; }
    EvaluateDock* evaluateDock() const { return m_evaluateDock; }
    ChainController* chains() const { return m_chains; }
    TrainingController* training() const { return m_training; }
    // The last error shown to the user (one line), or empty.
    QString lastError() const { return m_lastError; }

    // Asks Save / Discard / Cancel when the current model has unsaved training (StudioSession::
    // hasUnsavedWork), `action` saying what would lose it ("open another model", "quit"); Save asks for a
    // file and saves. True: go on (nothing unsaved, saved, or discarded). The box is window-modal; its
    // object name is "unsavedWorkBox" (tests answer it).
    bool confirmDiscardUnsaved(const QString& action);
    // View > Reset layout: every dock back where the first start puts it, the window fitted to the screen.
    void resetLayout();
    // The size the first start gives the window on `available` (the screen's available geometry).
    static QSize defaultSize(const QSize& available);

public slots:
    // Shows a one-line error in a (non-blocking, window-modal) message box and the status bar.
    void showError(const QString& message);
    // File > Export sheet...: the recorded chain frames in a SheetDialog.
    void exportSheet();

signals:
    // The current model changed (another model, or newer parameters from training): an immutable snapshot.
    void currentModelChanged(std::shared_ptr<const gsn::Model> model, const QString& name, int epoch);
    // An openModel finished: ok when the file's model became the current model.
    void modelLoadFinished(const QString& path, bool ok);
    // A startChainsFromImage finished: ok when the chains were reset to the image.
    void imageStartFinished(const QString& path, bool ok);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void createActions();
    void showDatasetExamples(std::shared_ptr<const Dataset> dataset);
    void restoreSettings();
    void saveSettings() const;
    void placeOnScreen(); // first start and Reset layout: most of the available screen, centred
    // The studio part of the window (Model, Chains, Training docks; model switching; sheets; drops)
    // lives in mainwindow_studio.cpp so this file stays the frame.
    void createStudio();
    void addStudioFileActions(QMenu* file);
    void addStudioMenus();
    void datasetChangedForStudio(std::shared_ptr<const Dataset> dataset);
    void sessionModelChanged(StudioModelPtr model, StudioSession::ModelChange change);
    void rememberModel(const QString& path);
    void rebuildRecentMenu();
    void updateChainRate();
    void updateModelDataNote(); // the Chains dock's and the status bar's words on the model and the data

    ChainView* m_view = nullptr;
    StudioSession* m_session = nullptr;
    StudioModelPtr m_defaultModel;             // the embedded default, once loadDefaultModel has parsed it
    DataDock* m_dataDock = nullptr;
    EvaluateDock* m_evaluateDock = nullptr;
    QByteArray m_defaultState;                 // saveState() of the first-start layout (Reset layout)
    FrameStatsLabel* m_frameStats = nullptr;
    QActionGroup* m_colorMapGroup = nullptr;
    QString m_lastError;
    QPointer<MixingLab> m_lab; // the Mixing lab window while it is open (Window > Mixing lab)
    QPointer<ClassMixingWindow> m_classMixing; // the Class mixing window while it is open (Window > Class mixing)
    ModelDock* m_modelDock = nullptr;
    QMenu* m_recentMenu = nullptr;
    ChainsDock* m_chainsDock = nullptr;
    TrainingDock* m_trainingDock = nullptr;
    ChainController* m_chains = nullptr;       // the session's
    TrainingController* m_training = nullptr;  // the session's
    QLabel* m_chainRate = nullptr;
    QLabel* m_dataFit = nullptr;
};

} // namespace gsn
