#pragma once
// The one idiom for background work in ui/: a BackgroundJob runs a function on a worker thread and
// hands its result (or its error text) back, queued, to the thread of a context QObject (the GUI
// thread). Each start() gets a new generation: starting again supersedes the job still running (its
// cancel flag is set and its result dropped), so only the newest load or decode of a kind is ever
// delivered. Nothing is delivered once the context object or the BackgroundJob is gone, and the GUI
// thread never waits for a worker: threads are joined by a process-wide reaper once they are done
// (polled, never waited for), or at process exit.
//
// Typical use (a member `BackgroundJob m_load{this};` of a QObject):
//     m_load.start([path](const JobControl& job) { return loadCheckpoint(path); },
//                  [this](Checkpoint ck) { ... GUI thread ... },
//                  [this](const QString& error) { ... GUI thread ... });

#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace gsn {

// How every job failure is told: what() of a std::exception (gsn::Error included), else
// "unknown error". Call it in a catch block with std::current_exception().
QString jobErrorText(std::exception_ptr error);

namespace detail {
struct JobShared;
struct JobState;
} // namespace detail

// What a running job sees of itself (a cheap handle; copies refer to the same job).
class JobControl {
public:
    // Stop was asked for: cancel(), requestStop(), a newer start(), or the context or the BackgroundJob
    // went away. Check it once per unit of work (batch, chain step, block).
    bool cancelled() const;
    // The same flag for engine functions that take one (Trainer::run, parzenEvaluate, ...); valid
    // while the job runs.
    const std::atomic<bool>* cancelFlag() const;
    // This job's generation (the value start() returned).
    std::uint64_t generation() const;
    // Runs `fn` on the context's thread, queued (progress, intermediate results); dropped if by then the
    // job was superseded or cancelled or the context is gone. Callable from any thread.
    void post(std::function<void()> fn) const;

private:
    friend class BackgroundJob;
    explicit JobControl(std::shared_ptr<detail::JobState> state) : m_state(std::move(state)) {}
    std::shared_ptr<detail::JobState> m_state;
};

class BackgroundJob {
public:
    using ErrorHandler = std::function<void(const QString& message)>;

    // Results go to `context`'s thread (create and use the BackgroundJob on that thread).
    explicit BackgroundJob(QObject* context);
    // Cancels the current job and drops its result; does not wait for it.
    ~BackgroundJob();
    BackgroundJob(const BackgroundJob&) = delete;
    BackgroundJob& operator=(const BackgroundJob&) = delete;

    // Runs work(const JobControl&) on a new worker thread and returns its generation at once; a job
    // still running is superseded. Later, on the context's thread: onResult(value) (onResult() for a
    // void work) or onError(jobErrorText(...)) if work threw, unless superseded, cancelled, or the
    // context or this object is gone by then.
    template <class Work, class OnResult>
    std::uint64_t start(Work work, OnResult onResult, ErrorHandler onError = {});

    // Asks the current job to stop (its cancel flag) and drops its result. Returns at once.
    void cancel();
    // Asks the current job to stop but still delivers what it returns (a cancelled training run reports
    // the parameters it reached, an evaluation says it was cancelled). Returns at once.
    void requestStop();
    // The newest job has neither delivered nor been cancelled.
    bool isRunning() const;
    // The newest start()'s generation (0 before the first).
    std::uint64_t generation() const { return m_generation; }

    // Runs `finish` on a worker thread of the reaper and forgets it: for shutdowns that may block
    // (destroying a ChainRunner joins its thread). Nothing is delivered.
    static void retire(std::function<void()> finish);
    // Worker threads not yet joined by the reaper (tests).
    static int pendingThreads();

private:
    // Body run on the worker: returns what to run on the context's thread (the result or error handler).
    using Body = std::function<std::function<void()>(const JobControl&)>;
    std::uint64_t launch(Body body);

    QPointer<QObject> m_context;
    QPointer<QObject> m_receiver;              // child of m_context, made at the first start(); deliveries go to it
    bool m_receiverMade = false;
    std::shared_ptr<detail::JobShared> m_shared;
    std::shared_ptr<detail::JobState> m_current;
    std::uint64_t m_generation = 0;
};

template <class Work, class OnResult>
std::uint64_t BackgroundJob::start(Work work, OnResult onResult, ErrorHandler onError)
{
    using Result = std::invoke_result_t<Work&, const JobControl&>;
    return launch([work = std::move(work), onResult = std::move(onResult),
                   onError = std::move(onError)](const JobControl& job) mutable -> std::function<void()> {
        try {
            if constexpr (std::is_void_v<Result>) {
                work(job);
                return [onResult]() mutable { onResult(); };
            } else {
                // shared_ptr: the queued call must be copyable, the result need not be
                auto value = std::make_shared<Result>(work(job));
                return [onResult, value]() mutable { onResult(std::move(*value)); };
            }
        } catch (...) {
            QString text = jobErrorText(std::current_exception());
            return [onError, text] {
                if (onError)
                    onError(text);
            };
        }
    });
}

} // namespace gsn
