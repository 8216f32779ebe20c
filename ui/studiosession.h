#pragma once
// The studio's document (the role Tiled's MapDocument plays for its editor): one non-widget QObject
// that owns the dataset, the current model, the chains, training and evaluation. Every change goes
// through it, so the right typed signal fires once and every dock observes one source of truth; the
// docks send it commands, the main window only builds widgets and wires them to it. It also holds the
// one rule for whether a model fits the data (fitModelImages), which the inpaint window uses too.

#include "backgroundjob.h"
#include "checkpoint.h"
#include "dataset.h"
#include "evaluateworker.h"
#include "framestaging.h"
#include "modeldock.h"
#include "trainingcontroller.h"

#include <QObject>
#include <QString>

#include <deque>
#include <functional>
#include <memory>

namespace gsn {

class ChainController;

// The images a model's n_visible units are shown as, given the dataset in use.
struct ModelImageFit {
    int width = 0;                 // 0 x 0: the shape cannot be told
    int height = 0;
    bool datasetMismatch = false;  // a dataset is set and its image size differs from n_visible
    bool known() const { return width > 0 && height > 0; }
};
// The one rule: the dataset's image size when it has `visible` pixels; otherwise the shape the model
// stores (or a square); otherwise unknown. `data` may be null.
ModelImageFit fitModelImages(long long visible, const ImageShape& stored, const Dataset* data);

// What the user is told about the current model and the loaded data, in one wording for sizes ("28x28
// images" on both sides): which data the model was trained on and whether the loaded dataset fits it.
struct ModelDataNote {
    QString text;           // empty without a model
    bool mismatch = false;  // other data, or images of another size: the chains show what the model makes of it
};
ModelDataNote modelDataNote(const struct StudioModel* model, const Dataset* data);

class StudioSession : public QObject {
    Q_OBJECT
public:
    // Why the current model changed.
    enum class ModelChange {
        Installed, // setModel (a new, opened or default model): new chains, training of the old one abandoned
        Trained,   // newer parameters (and state) from training; the chains already have them
        Saved,     // the same model, now saved to a file (path and name changed)
    };
    Q_ENUM(ModelChange)

    // Chain frames go to `staging` (the chain view's); null: a staging buffer of the session's own.
    explicit StudioSession(std::shared_ptr<FrameStaging> staging = nullptr, QObject* parent = nullptr);
    // Abandons training and stops the chains (their runners are joined here: shutdown).
    ~StudioSession() override;

    // The dataset chains start from and training uses (null before the first).
    std::shared_ptr<const Dataset> dataset() const { return m_dataset; }
    // Uses `dataset` from now on (the chains' image starts; running chains keep running); emits
    // datasetChanged. Null is ignored.
    void setDataset(std::shared_ptr<const Dataset> dataset);

    StudioModelPtr currentModel() const { return m_model; }
    // Makes `model` the current model: new chains of it (the chains' settings), training and evaluation of
    // the previous model cancelled; emits modelChanged(model, Installed). First asks the replace guard
    // (setReplaceGuard) when there is unsaved work: false without a message when it declines. Refuses
    // (emits error, returns false; running chains keep running) a model whose visible size differs from
    // the dataset's images, or whose image shape cannot be told without a dataset. Null: false, no message.
    bool setModel(StudioModelPtr model);
    // Asks the replace guard as setModel does (false: nothing happens), then starts reading a checkpoint on
    // a worker and returns at once (running chains keep running); then installs its model (no second
    // question) or error(message), and modelLoadFinished. A newer openModel supersedes a read still running.
    void openModel(const QString& path);

    // Training has changed the current model since it was installed or last saved, or a run is going on:
    // replacing the model now would lose work.
    bool hasUnsavedWork() const;
    // Called before the current model is replaced while hasUnsavedWork() (the studio asks Save / Discard /
    // Cancel); returns whether to go on. Without a guard the model is replaced.
    void setReplaceGuard(std::function<bool()> guard) { m_replaceGuard = std::move(guard); }
    // hasUnsavedWork() ? the guard's answer : true. What setModel and openModel ask; quitting asks it too.
    bool mayReplaceModel();
    // A read started by openModel has not finished yet.
    bool isLoading() const { return m_load.isRunning(); }
    // Starts writing the current model (and its training state) atomically on a worker and returns at
    // once (the GUI thread never waits on the disk); false and error(message) without a model. Then, on
    // success, modelChanged(saved, Saved) if the current model is still the one written (a model trained
    // or replaced meanwhile stays unsaved), and modelSaveFinished(path, true); on failure error(message)
    // and modelSaveFinished(path, false), the model unchanged. Saves are written one after another.
    bool saveModel(const QString& path);
    // saveModel, then runs the event loop (the chains keep running) until that save finished: whether it
    // succeeded. For the unsaved-work question, whose caller must know before it goes on.
    bool saveModelAndWait(const QString& path);
    // Runs the event loop until every save asked for has finished (returns at once when none runs).
    void finishSaves();
    // A save started by saveModel has not finished yet.
    bool isSaving() const { return m_save.isRunning() || !m_saveQueue.empty(); }

    // Starts every chain at an image file (PNG, JPEG, ...): decoded on a worker, converted to grey,
    // centre-cropped and scaled to the chains' image size, and inverted when its border is light while
    // the dataset's images have dark borders. Then imageStartFinished (and error(message) on failure;
    // the running chains keep running). A newer request supersedes one still being read.
    void startChainsFromImage(const QString& path);

    ChainController* chains() const { return m_chains; }
    TrainingController* training() const { return m_training; }
    EvaluateWorker* evaluation() const { return m_evaluation; }

    // Starts training the current model on the dataset with `settings` (its start and data are replaced
    // by the session's); false and error(message) when it cannot start.
    bool startTraining(TrainingRequest settings);
    // Stops training after the current batch (the parameters reached are kept; training()->finished follows).
    void cancelTraining();
    // Starts an evaluation (evaluation()'s signals tell the outcome); false while one runs.
    bool startEvaluation(EvaluationRequest request);
    // Asks the running evaluation to stop (evaluation()->cancelled follows).
    void cancelEvaluation();

signals:
    void datasetChanged(std::shared_ptr<const gsn::Dataset> dataset);
    void modelChanged(gsn::StudioModelPtr model, gsn::StudioSession::ModelChange change);
    // An openModel finished: ok when the file's model became the current model.
    void modelLoadFinished(const QString& path, bool ok);
    // A saveModel finished: ok when the file was written.
    void modelSaveFinished(const QString& path, bool ok);
    // A startChainsFromImage finished: ok when the chains were reset to the image (`origin` names it).
    void imageStartFinished(const QString& path, bool ok, const QString& origin);
    // A one-line message for the user: a refused model, a failed read or save, a chain or training error.
    void error(const QString& message);

private:
    void acceptTrainedModel(StudioModelPtr model);
    bool installModel(StudioModelPtr model); // setModel without asking the guard
    void startNextSave();                    // the front of m_saveQueue, if no save is being written

    std::function<bool()> m_replaceGuard;
    bool m_trainedSinceSave = false;            // Trained since the last Installed / Saved

    std::shared_ptr<const Dataset> m_dataset;
    StudioModelPtr m_model;
    ChainController* m_chains = nullptr;        // children; deleted (training first) by the destructor
    TrainingController* m_training = nullptr;
    EvaluateWorker* m_evaluation = nullptr;
    BackgroundJob m_load{this};                 // checkpoint reads; a newer openModel drops an older one
    BackgroundJob m_imageRead{this};            // image decodes; a newer request drops an older one
    BackgroundJob m_save{this};                 // the save being written
    std::deque<std::pair<QString, StudioModelPtr>> m_saveQueue; // saves asked for while one is written
};

} // namespace gsn
