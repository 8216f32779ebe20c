#pragma once
// Retires workers without blocking the GUI thread: each finish job (destroying a ChainRunner, running a
// BackgroundJob's work) runs on a short-lived thread of its own, joined once it is done (polled, never
// waited for) or, at the latest, by the destructor at shutdown.

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace gsn {

// Fixes glibc malloc's thresholds for a long-running studio process (no-op on other C libraries):
// blocks of 4 MiB and more (weights, gradients, datasets, images) are mmapped and given back when freed,
// and an arena's free top is returned once it exceeds 8 MiB. glibc's defaults adapt both thresholds
// upwards when a large block is freed (up to 32 MiB / 64 MiB), after which each of up to 8 x cores
// thread arenas keeps tens of MiB resident that malloc_trim cannot return: the 30-minute soak's
// resident memory grew 45 % while the heap in use grew 6 % (docs/robustness.md "Soak"). Thread arenas
// are capped at 2 (glibc's default allows 8 x cores, 16 here): with the thresholds fixed, each arena
// still keeps a free top of up to 8 MiB, and the soak's 16 arenas held ~100 MiB of them (+14.5 %).
// Threads share the two arenas; on the project's 2-core machines the lock is rarely contended.
// Call it before starting threads: arenas created earlier stay.
void configureAllocatorForLongRuns();

class WorkerReaper {
public:
    WorkerReaper() = default;
    ~WorkerReaper() { joinAll(); }
    WorkerReaper(const WorkerReaper&) = delete;
    WorkerReaper& operator=(const WorkerReaper&) = delete;

    // Runs `finish` (it may block until a worker stops) on its own thread; joins any earlier job that is done.
    void retire(std::function<void()> finish);
    // Joins the jobs that are done (does not wait for the others).
    void joinFinished();
    // Waits for every job (destructors only).
    void joinAll();
    // Jobs not yet joined.
    int pending() const { return static_cast<int>(m_jobs.size()); }

private:
    struct Job {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Job> m_jobs;
};

} // namespace gsn
