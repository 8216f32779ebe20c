#pragma once
// The inpainting window (SPEC 3): a source image, the mask painter over it, and N clamped chains
// (1..100) running live in a ChainView, with the running mean completion and the per-pixel spread
// map (how much the chains disagree) over every chain and step since the last reset.
//
// Run/Pause/Reset drive a ChainRunner; a mask or source edit while chains run is applied between two
// steps (clamped pixels switch at once; nothing else is disturbed). A mask with nothing clamped runs
// free chains with a warning; a fully clamped mask is refused with a message. Exports: the mask
// (PNG), the chains as a sheet (through the sheet exporter; the mask and the source image travel in
// the provenance), and the mean and spread maps (PNG).

#include "backgroundjob.h"
#include "chainframe.h"
#include "clampmask.h"
#include "dataset.h"
#include "filewritequeue.h"
#include "inpaintstats.h"
#include "model.h"
#include "sourceimage.h"

#include <QWidget>

#include <memory>
#include <mutex>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTimer;
class QToolBar;

namespace gsn {

class ChainRunner;
class ChainView;
class MaskPainter;

class InpaintWindow : public QWidget {
    Q_OBJECT
public:
    enum class FreeStart { Noise, Zero, Source };

    explicit InpaintWindow(QWidget* parent = nullptr);
    ~InpaintWindow() override;

    // The model whose chains fill in (an immutable snapshot) and its image size; `name` for provenance.
    // Stops running chains. Throws gsn::Error when width * height != the model's n_visible.
    void setModel(std::shared_ptr<const Model> model, int width, int height, const QString& name = {});
    // Reads a checkpoint on a worker thread and returns at once; modelOpened(path, ok) follows (on
    // failure the error is shown). A newer openModel supersedes a read still running.
    void openModel(const QString& path);
    // A read started by openModel has not finished yet.
    bool isLoading() const { return m_load.isRunning(); }
    // Dataset offered by the source dialog (may be null).
    void setDataset(std::shared_ptr<const Dataset> dataset);
    // Uses this source image (its size must match the model's, else a message and false).
    bool setSource(const SourceImage& source);

    void setChainCount(int chains);          // 1..100, applied at the next reset
    int chainCount() const;
    void setFreeStart(FreeStart start);
    void setSeed(std::uint64_t seed);

    // Starts the chains from the current mask and source (resetting when needed). False + message
    // when nothing can run (no model or source, fully clamped mask).
    bool run();
    void pause();
    // Restarts the chains from the free-start choice and clears the statistics.
    bool reset();
    // Runs `count` steps synchronously (tests, screenshots): like Run, but returns when done.
    bool stepBlocking(int count);

    MaskPainter* painter() const { return m_painter; }
    ChainView* chainView() const { return m_view; }
    // A copy of the running statistics (mean and spread over chains and steps >= 1).
    InpaintStats stats() const;
    // Every frame of the current run so far (start frame first; thinned to at most 64, evenly).
    std::vector<FramePtr> recordedFrames() const;
    QString lastMessage() const { return m_message; }

    // Exports of a mask and of the 28 x 28 maps: encoded at once (throw gsn::Error when there is nothing
    // to export), written atomically on a worker (fileExported tells the outcome; the menu versions show
    // it). exports() is the writer, for waiting on it.
    void exportMask(const QString& path);
    void exportMean(const QString& path);
    void exportSpread(const QString& path);
    FileWriteQueue* exports() const { return m_exports; }
    // The sheet of the recorded frames (megapixels at scale 2): its frames and provenance are taken now,
    // the rendering and encoding run on a worker; then sheetExported(path, error), error empty on success.
    // A newer export supersedes one still being written (its file is still completed, unannounced).
    void exportSheet(const QString& path);

signals:
    void message(const QString& text);
    // The checkpoint read by openModel(path) is in use (ok) or its error is shown (not ok).
    void modelOpened(const QString& path, bool ok);
    // An exportSheet finished: error is empty when the file was written, else says why.
    void sheetExported(const QString& path, const QString& error);
    // An exportMask/Mean/Spread's file was written (error empty) or not (error says why).
    void fileExported(const QString& path, const QString& error);

private:
    struct FrameGate;
    void buildUi();
    // Stops the runner off the GUI thread; from the call on, its frames and errors no longer reach us.
    void retireRunner();
    void applyMaskToChains();
    void onFrame(FramePtr frame);            // worker thread
    void refreshMaps();                      // GUI thread, timer
    void setMessage(const QString& text);
    bool ensureRunner();
    void pickSource();
    void openMaskFile();

    std::shared_ptr<const Model> m_model;
    QString m_modelName;
    int m_width = 0;
    int m_height = 0;
    std::shared_ptr<const Dataset> m_dataset;
    SourceImage m_source;
    std::uint64_t m_seed = 1;
    FreeStart m_freeStart = FreeStart::Noise;

    MaskPainter* m_painter = nullptr;
    ChainView* m_view = nullptr;
    QLabel* m_meanLabel = nullptr;
    QLabel* m_spreadLabel = nullptr;
    QLabel* m_status = nullptr;
    QSpinBox* m_chains = nullptr;
    QComboBox* m_start = nullptr;
    QPushButton* m_runButton = nullptr;
    QTimer* m_mapTimer = nullptr;

    std::unique_ptr<ChainRunner> m_runner;
    std::shared_ptr<FrameGate> m_gate;       // open while m_runner's callbacks may touch this window
    BackgroundJob m_load{this};              // checkpoint reads (openModel)
    BackgroundJob m_sheetExport{this};       // exportSheet's rendering and encoding
    FileWriteQueue* m_exports = nullptr;     // exportMask/Mean/Spread's writes
    mutable std::mutex m_statsMutex;         // guards m_stats and m_frames (the worker adds to them)
    InpaintStats m_stats;
    std::vector<FramePtr> m_frames;
    std::int64_t m_recordEvery = 1;
    std::int64_t m_lastStep = 0;
    QString m_message;
};

} // namespace gsn
