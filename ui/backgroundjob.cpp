#include "backgroundjob.h"

#include "workerreaper.h"

#include <QMetaObject>

#include <mutex>

namespace gsn {

namespace detail {

// What a BackgroundJob shares with its workers and its receiver.
struct JobShared {
    std::mutex mutex;                          // guards receiver and current
    QObject* receiver = nullptr;               // null once the receiver (so the context or the job) is gone
    std::shared_ptr<JobState> current;         // the newest job, cancelled when the receiver goes
    std::atomic<std::uint64_t> wanted{0};      // the generation whose output is still wanted; 0: none
};

struct JobState {
    JobState(std::shared_ptr<JobShared> s, std::uint64_t g) : shared(std::move(s)), generation(g) {}
    std::shared_ptr<JobShared> shared;
    const std::uint64_t generation;
    std::atomic<bool> cancel{false};
};

} // namespace detail

namespace {

using detail::JobShared;
using detail::JobState;

// Lives on the context's thread as its child: queued deliveries target it, so Qt discards them when
// it is deleted (with the context, or by ~BackgroundJob), and workers stop posting from then on.
class Receiver : public QObject {
public:
    Receiver(std::shared_ptr<JobShared> shared, QObject* parent) : QObject(parent), m_shared(std::move(shared))
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->receiver = this;
    }
    ~Receiver() override
    {
        std::lock_guard lock(m_shared->mutex); // waits for a post in progress, so none targets a dead object
        m_shared->receiver = nullptr;
        m_shared->wanted.store(0);
        if (m_shared->current)
            m_shared->current->cancel.store(true);
        m_shared->current.reset(); // it points back at m_shared
    }

private:
    std::shared_ptr<JobShared> m_shared;
};

// One reaper for every job thread in the program: it joins finished threads when the next one starts
// (never waiting for a running one) and the rest at process exit.
std::mutex g_reaperMutex;

WorkerReaper& reaper()
{
    static WorkerReaper instance;
    return instance;
}

// Posts `fn` to the receiver's thread while the job's output is wanted; `final` marks the job delivered.
void postToContext(const std::shared_ptr<JobState>& state, std::function<void()> fn, bool final)
{
    JobShared& shared = *state->shared;
    std::lock_guard lock(shared.mutex);
    if (!shared.receiver || shared.wanted.load() != state->generation)
        return;
    QMetaObject::invokeMethod(shared.receiver, [state, fn = std::move(fn), final]() mutable {
        // Checked again on the context's thread: cancel() or a newer start() may have come since.
        std::uint64_t expected = state->generation;
        if (final ? !state->shared->wanted.compare_exchange_strong(expected, 0)
                  : state->shared->wanted.load() != expected)
            return;
        fn();
    }, Qt::QueuedConnection);
}

} // namespace

QString jobErrorText(std::exception_ptr error)
{
    if (!error)
        return QStringLiteral("unknown error");
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    } catch (...) {
        return QStringLiteral("unknown error");
    }
}

bool JobControl::cancelled() const
{
    return m_state->cancel.load();
}

const std::atomic<bool>* JobControl::cancelFlag() const
{
    return &m_state->cancel;
}

std::uint64_t JobControl::generation() const
{
    return m_state->generation;
}

void JobControl::post(std::function<void()> fn) const
{
    postToContext(m_state, std::move(fn), false);
}

BackgroundJob::BackgroundJob(QObject* context) : m_context(context), m_shared(std::make_shared<JobShared>())
{
}

BackgroundJob::~BackgroundJob()
{
    cancel();
    delete m_receiver.data(); // drops deliveries already queued
}

std::uint64_t BackgroundJob::launch(Body body)
{
    if (!m_receiver) {
        if (m_receiverMade || !m_context)
            return m_generation; // the context is gone: nobody to deliver to
        m_receiver = new Receiver(m_shared, m_context);
        m_receiverMade = true;
    }
    if (m_current)
        m_current->cancel.store(true);
    auto state = std::make_shared<JobState>(m_shared, ++m_generation);
    m_current = state;
    m_shared->wanted.store(state->generation);
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->current = state;
    }
    retire([state, body = std::move(body)]() mutable {
        std::function<void()> deliver = body(JobControl(state));
        body = nullptr; // release what the work captured here, on the worker
        postToContext(state, std::move(deliver), true);
    });
    return state->generation;
}

void BackgroundJob::cancel()
{
    if (m_current)
        m_current->cancel.store(true);
    m_shared->wanted.store(0);
}

void BackgroundJob::requestStop()
{
    if (m_current)
        m_current->cancel.store(true);
}

bool BackgroundJob::isRunning() const
{
    return m_generation != 0 && m_shared->wanted.load() == m_generation;
}

void BackgroundJob::retire(std::function<void()> finish)
{
    std::lock_guard lock(g_reaperMutex);
    reaper().retire(std::move(finish));
}

int BackgroundJob::pendingThreads()
{
    std::lock_guard lock(g_reaperMutex);
    reaper().joinFinished();
    return reaper().pending();
}

} // namespace gsn
