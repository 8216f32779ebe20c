#include "parallel.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_scheduler_observer.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <mutex>

#ifdef GSN_HAVE_OPENBLAS
extern "C" void openblas_set_num_threads(int);
#endif

namespace gsn {
namespace {

std::atomic<int> g_workerNice{0};
thread_local int t_nice = 0; // the nice this thread was given (by us)

void niceThisThread(int nice)
{
    if (nice <= t_nice)
        return;
    t_nice = nice;
    // On Linux a thread id names one thread for (get|set)priority; a thread already lower (the whole
    // program run under nice) stays as it is; failure only leaves the priority as it was.
    const auto thread = static_cast<id_t>(syscall(SYS_gettid));
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, thread);
    if (errno == 0 && current >= nice)
        return;
    setpriority(PRIO_PROCESS, thread, nice);
}

// Gives TBB's worker threads the worker nice when they join one of the engine's arenas.
class NiceObserver : public tbb::task_scheduler_observer {
public:
    explicit NiceObserver(tbb::task_arena& arena) : tbb::task_scheduler_observer(arena) { observe(true); }
    ~NiceObserver() override { observe(false); }
    void on_scheduler_entry(bool worker) override
    {
        if (worker)
            niceThisThread(g_workerNice.load());
    }
};

std::mutex g_arenaMutex;
std::unique_ptr<tbb::task_arena> g_arena;
std::unique_ptr<tbb::task_arena> g_backgroundArena;
std::unique_ptr<NiceObserver> g_arenaObserver; // destroyed before their arenas
std::unique_ptr<NiceObserver> g_backgroundObserver;
int g_threads = 0;
thread_local bool t_background = false;

int defaultThreads()
{
    if (const char* env = std::getenv("GSN_THREADS")) {
        const int n = std::atoi(env);
        if (n > 0)
            return n;
    }
    return tbb::this_task_arena::max_concurrency();
}

tbb::task_arena& arena()
{
    std::lock_guard lock(g_arenaMutex);
    if (!g_arena) {
#ifdef GSN_HAVE_OPENBLAS
        // TBB owns the threads; a multi-threaded BLAS inside TBB tasks would oversubscribe.
        openblas_set_num_threads(1);
#endif
        if (g_threads <= 0)
            g_threads = defaultThreads();
        g_arena = std::make_unique<tbb::task_arena>(g_threads);
        g_backgroundArena = std::make_unique<tbb::task_arena>(g_threads, 1, tbb::task_arena::priority::low);
        g_arenaObserver = std::make_unique<NiceObserver>(*g_arena);
        g_backgroundObserver = std::make_unique<NiceObserver>(*g_backgroundArena);
    }
    return t_background ? *g_backgroundArena : *g_arena;
}

} // namespace

void parallelFor(std::size_t n, std::size_t grain, const std::function<void(std::size_t, std::size_t)>& body)
{
    if (n == 0)
        return;
    if (grain == 0)
        grain = 1;
    const std::size_t blocks = (n + grain - 1) / grain;
    // Creating the arena pins BLAS to one thread: do it even when this call runs inline, so every
    // product of a run uses the same BLAS threading (and so the same bits).
    tbb::task_arena& a = arena();
    auto runBlock = [&](std::size_t b) { body(b * grain, std::min(n, (b + 1) * grain)); };
    if (blocks == 1) {
        runBlock(0);
        return;
    }
    a.execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks, 1), [&](const tbb::blocked_range<std::size_t>& r) {
            for (std::size_t b = r.begin(); b != r.end(); ++b)
                runBlock(b);
        });
    });
}

void useEngineThreading()
{
    (void)arena();
}

int engineThreads()
{
    arena();
    std::lock_guard lock(g_arenaMutex);
    return g_threads;
}

void setEngineThreads(int threads)
{
    std::lock_guard lock(g_arenaMutex);
    g_threads = threads > 0 ? threads : defaultThreads();
    g_arenaObserver.reset();
    g_backgroundObserver.reset();
    g_arena.reset();
    g_backgroundArena.reset();
}

void markBackgroundThread()
{
    t_background = true;
    niceThisThread(10);
}

void setWorkerNice(int nice)
{
    g_workerNice.store(std::max(0, std::min(19, nice)));
}

int workerNice()
{
    return g_workerNice.load();
}

void applyWorkerNice()
{
    niceThisThread(g_workerNice.load());
}

} // namespace gsn
