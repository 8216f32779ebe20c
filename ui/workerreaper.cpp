#include "workerreaper.h"

#include "parallel.h"

#include <algorithm>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gsn {

void configureAllocatorForLongRuns()
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
    mallopt(M_ARENA_MAX, 2);
#endif
}

void WorkerReaper::retire(std::function<void()> finish)
{
    joinFinished();
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread thread([finish = std::move(finish), done]() mutable {
        applyWorkerNice(); // jobs (loads, evaluations, saves) yield to the display threads (parallel.h)
        finish();
        finish = nullptr; // destroy captured owners (e.g. a ChainRunner) before reporting done
#if defined(__GLIBC__)
        // glibc keeps what a job freed in its arenas, so resident memory only grows: a 30-minute soak
        // ramped from 640 to 800 MB while the heap in use stayed near 100 MB (docs/robustness.md "Soak").
        // Returning the free pages here costs the worker a few milliseconds; it holds each arena's lock
        // meanwhile, so a GUI-thread allocation may wait for it (a suspect for the soak's blocked stalls).
        malloc_trim(0);
#endif
        done->store(true);
    });
    m_jobs.push_back({std::move(thread), std::move(done)});
}

void WorkerReaper::joinFinished()
{
    auto finished = std::stable_partition(m_jobs.begin(), m_jobs.end(), [](const Job& job) { return !job.done->load(); });
    for (auto it = finished; it != m_jobs.end(); ++it)
        it->thread.join(); // done: returns at once
    m_jobs.erase(finished, m_jobs.end());
}

void WorkerReaper::joinAll()
{
    for (Job& job : m_jobs)
        job.thread.join();
    m_jobs.clear();
}

} // namespace gsn
