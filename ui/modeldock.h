#pragma once
// The Model dock: make a new model (kind, hidden layer sizes, noise levels, corruption, walkback), open
// and save checkpoints (safetensors), and see what the current model is: kind, sizes, epoch, dataset,
// hyper-parameters. The dock does not own the current model nor decide whether a model fits the data:
// it shows the StudioSession's model, emits modelProposed for a new one, and sends opens and saves to
// the session, which installs the model or reports why not.

#include "checkpoint.h"
#include "model.h"
#include "trainer.h"

#include <QDockWidget>
#include <QString>

#include <memory>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace gsn {

class StudioSession;

// The studio's current model: an immutable parameter snapshot plus what is known about it.
struct StudioModel {
    std::shared_ptr<const Model> model;       // immutable; never a model being trained
    std::shared_ptr<const TrainState> state;  // training state to continue from, or null (model only)
    CheckpointInfo info;                      // dataset and run facts (empty for a new model)
    QString name;                             // file name or "new gsn2" (for titles and provenance)
    QString path;                             // file it was loaded from or saved to, or empty
    QString fileHash;                         // SHA-256 (hex) of that file when the parameters are its own, else empty
    int epoch = 0;                            // epochs completed
};
using StudioModelPtr = std::shared_ptr<const StudioModel>;

// Wraps a loaded checkpoint (`name`/`path` describe where it came from, `fileHash` is the file's SHA-256).
StudioModelPtr studioModelFromCheckpoint(Checkpoint checkpoint, const QString& name, const QString& path,
                                         const QString& fileHash = QString());

class ModelDock : public QDockWidget {
    Q_OBJECT
public:
    explicit ModelDock(QWidget* parent = nullptr);

    // The image size new models are made for (the current dataset's).
    void setImageSize(int width, int height);
    // The session whose model the dock shows and to which it sends opens and saves (it must outlive the
    // dock). Without one the dock only offers the New model form.
    void setSession(StudioSession* session);
    // The session's current model (null without a session or a model).
    StudioModelPtr current() const;

    // The config "New" would create from the form (n_visible = the image size). Throws gsn::Error.
    nlohmann::json newModelConfig() const;
    // Form access for tests and the command line: kind (a registry name, e.g. "gsn2"), hidden sizes
    // ("1500,1500").
    void setNewModelForm(const QString& kind, const QString& hiddenSizes);

    // StudioSession::openModel: read on a worker thread (the GUI thread never waits on file I/O); the
    // session then installs the model or reports the error, and emits modelLoadFinished.
    void openFile(const QString& path);
    // A load started by openFile has not finished yet.
    bool isLoading() const;
    // StudioSession::saveModel: the current model (and its training state, if any), written atomically on
    // a worker; the session emits modelSaveFinished. False (and a message) when there is nothing to save.
    bool saveFile(const QString& path);
    // One-line-per-fact description of a model (kind, sizes, epoch, dataset, hyper-parameters).
    static QString describe(const StudioModel& model);
    // Asks for a file to save the current model to: its own file, else <kind>-epoch<N>.safetensors in
    // the last folder a model was opened from or saved to (the documents folder at first). Empty when
    // the user cancels or there is no model. Remembers the folder.
    QString askSavePath();
    // Where model file dialogs start: the last folder used, else the user's documents folder.
    static QString modelFolder();
    static void rememberModelFolder(const QString& path);

public slots:
    // Builds a model from the form and emits modelProposed (or failed).
    void createNew();
    // Asks for a checkpoint and opens it.
    void openDialog();
    // Asks for a file name (the current path by default) and saves.
    void saveDialog();

signals:
    // createNew made a model (the main window offers it to the session).
    void modelProposed(gsn::StudioModelPtr model);
    void failed(const QString& message);

private:
    void kindChanged();
    // Shows `model` (the session's current one) in the title and the description.
    void showModel(const StudioModelPtr& model);

    QComboBox* m_kind = nullptr;
    QLineEdit* m_hidden = nullptr;
    QDoubleSpinBox* m_hiddenNoise = nullptr;
    QComboBox* m_corruption = nullptr;
    QDoubleSpinBox* m_corruptionLevel = nullptr;
    QSpinBox* m_walkback = nullptr;
    QSpinBox* m_seed = nullptr;
    QLabel* m_info = nullptr;
    QLabel* m_title = nullptr;
    StudioSession* m_session = nullptr;
    int m_width = 28;
    int m_height = 28;
};

} // namespace gsn

Q_DECLARE_METATYPE(gsn::StudioModelPtr)
