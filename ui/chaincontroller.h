#pragma once
// The Chains dock's engine side: a thin QObject owning a gsn::ChainRunner (C chains of the current
// model on an engine thread). Frames go straight from the worker into the chain view's staging buffer
// and a bounded recorder (for File > Export sheet); nothing here waits on the engine: a model switch or
// a reset builds new chains on the GUI thread (cheap: start images only) and retires the old runner
// through a WorkerReaper, so its join happens off the GUI thread.

#include "chainframe.h"
#include "chains.h"
#include "dataset.h"
#include "framestaging.h"
#include "model.h"
#include "workerreaper.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace gsn {

// How reset() starts the chains.
enum class ChainStart {
    Noise,        // uniform noise in (0, 1)
    TestImage,    // every chain at one chosen image of the current dataset
    RandomImages, // chain c at a random image of the current dataset (drawn from the seed)
    Image,        // every chain at the image given by setStartImage (a dropped or opened file)
};

// The recent frames of the chains (bounded), shared with sheet exports.
class FrameRecorder {
public:
    // Keeps at most `maxFrames` frames and about `maxBytes` of pixels.
    FrameRecorder(int maxFrames = 400, std::size_t maxBytes = 128u << 20);
    void add(FramePtr frame);   // any thread
    void clear();               // any thread
    std::vector<FramePtr> frames() const; // oldest first

private:
    mutable std::mutex m_mutex;
    std::deque<FramePtr> m_frames;
    int m_maxFrames;
    std::size_t m_maxBytes;
};

class ChainController : public QObject {
    Q_OBJECT
public:
    explicit ChainController(std::shared_ptr<FrameStaging> staging, QObject* parent = nullptr);
    // Stops the runner and joins every worker (shutdown only).
    ~ChainController() override;

    // New chains of `model` (an immutable snapshot) for width x height images, started as reset() does.
    // Keeps running if chains were running. Throws gsn::Error when width * height != n_visible.
    void setModel(std::shared_ptr<const Model> model, int width, int height);
    // Newer parameters of the same architecture (a training snapshot): used from the next step on, chain
    // state kept. Does not wait. A model of another architecture is ignored (returns false).
    bool updateParameters(std::shared_ptr<const Model> model);
    // The dataset test images come from (may differ in size from the model: then chains start from noise).
    void setDataset(std::shared_ptr<const Dataset> data);

    // Settings used by the next reset() (setChainCount and setStart reset at once when chains exist).
    void setChainCount(int chains);                      // clamped to 1..1000
    int chainCount() const { return m_chainCount; }
    void setSeed(std::uint64_t seed);
    std::uint64_t seed() const { return m_seed; }
    void setStart(ChainStart start, int imageIndex = 0);
    ChainStart start() const { return m_start; }
    // The image ChainStart::Image starts every chain at (shape = [height * width], values in [0, 1]),
    // and where it came from. An image of another size than the chains' starts them from noise.
    void setStartImage(std::vector<float> pixels, const QString& origin);
    QString startImageOrigin() const { return m_startImageOrigin; }
    // Target steps per second; <= 0 = as fast as possible. Applies at once.
    void setRate(double stepsPerSecond);
    double rate() const { return m_rate; }
    // Show the fed-back (sampled) state instead of the mean of P(X | ...). Applies from the next frame.
    void setShowSamples(bool samples);
    bool showSamples() const { return m_showSamples->load(); }
    // Noise used while sampling (GSN hidden noise sigma, corruption level); < 0 = the model's own.
    // Takes effect at the next step (a copy of the parameters with these settings).
    void setSamplingNoise(double hiddenNoise, double corruptionLevel);

    bool hasChains() const { return m_runner != nullptr; }
    bool isRunning() const;
    double measuredRate() const;   // steps per second over the last second or so
    std::uint64_t steps() const;
    std::shared_ptr<const Model> model() const { return m_model; }
    int width() const { return m_width; }
    int height() const { return m_height; }
    FrameRecorder& recorder() const { return *m_recorder; }
    // Chain runners alive in the whole program (runners being retired included): 0 once all are joined.
    static int liveRunners();

public slots:
    void startChains();
    void pause();
    void toggleRunning();
    void stepOnce();
    // Restarts the chains with the current settings (new start images and seed).
    void reset();

signals:
    void runningChanged(bool running);
    void chainsReset();
    void error(const QString& message);
    // setStartImage was given a new image.
    void startImageChanged(const QString& origin);

private:
    void rebuild(bool keepRunning);
    std::vector<ChainInit> makeInits() const;
    std::shared_ptr<const Model> samplingModel(std::shared_ptr<const Model> trained) const;

    std::shared_ptr<FrameStaging> m_staging;
    std::shared_ptr<FrameRecorder> m_recorder = std::make_shared<FrameRecorder>();
    std::shared_ptr<std::atomic<bool>> m_showSamples = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<const Model> m_model;     // the trained parameters (before sampling-noise overrides)
    std::shared_ptr<const Dataset> m_data;
    int m_width = 0;
    int m_height = 0;
    int m_chainCount = 100;
    std::uint64_t m_seed = 1;
    std::uint64_t m_resets = 0;               // varies the random test images between resets
    ChainStart m_start = ChainStart::RandomImages;
    int m_imageIndex = 0;
    std::vector<float> m_startImage;
    QString m_startImageOrigin;
    double m_rate = 25.0;                     // watchable by default; the dock offers 'fastest'
    double m_hiddenNoise = -1.0;
    double m_corruptionLevel = -1.0;
    bool m_wantRunning = false;

    std::shared_ptr<std::atomic<bool>> m_alive; // the current runner's frames are wanted
    std::unique_ptr<ChainRunner> m_runner;
    WorkerReaper m_reaper;                      // last: joined first at destruction... see ~ChainController
};

} // namespace gsn
