// The soak (issue 12, item 4): a scripted studio session under Xvfb that loops for --seconds through
// everything a user does for an afternoon, on the real MainWindow and its StudioSession:
//   100 chains running throughout; a dataset switch (mnist-test / fashion-test / mnist-valid); a model
//   switch (the embedded default GSN-2, a fresh GSN-2, the checkpoint saved in the previous round, read
//   on a worker); a training run of the current model (Training dock) that goes on while the rest
//   happens, then saved; the inpainting window with mask edits while its chains run (presets, brush
//   strokes, rectangles, invert, undo) and its exports; a Parzen evaluation (Evaluate dock); a sheet
//   export (File > Export sheet...); chains started from an image file. The Evaluate dock's history starts
//   at its cap (500 rows), so every evaluation replaces its oldest row instead of adding one.
// Measured:
//   - resident memory (VmRSS) at the end of every round; the mean of the last quarter of the rounds after
//     the warm-up may exceed the mean of the first quarter by less than --max-growth percent (one round's
//     end against another swings by +-15 %: see the rule at the end of main);
//   - event-loop stalls: a 5 ms precise timer records how late it fires. Lateness is split into the time
//     the GUI thread sat in the run queue waiting for a CPU (the kernel's schedstat; on a shared
//     2-core machine other processes cause that), the time the hypervisor took every virtual CPU
//     away at once (steal time in /proc/stat, the least of any CPU: the whole machine paused, no
//     thread of ours could run) and the rest ("own": the GUI thread running or blocked, i.e. our code). The worst own stall must stay below --max-stall-ms; raw lateness is
//     reported too. Each reported stall says where a witness thread saw the GUI thread meanwhile (its
//     system call and kernel wait channel, sampled every 2 ms: a disk wait, a lock, the X server);
//   - every qWarning/qCritical/qFatal (ours and Qt's) and every error the studio shows the user fails
//     the run, except the few environment messages in kAllowed below.
// Prints a summary line per round and a final report; exit code 0 when every threshold holds.
//   xvfb-run -a -s "-screen 0 1366x768x24" build/tests/soak_gui --seconds 1800
// Options: --seconds N (default 120), --warmup N (default min(60, seconds / 4)), --max-growth P (5),
// --max-stall-ms M (100; 0 = report only), --no-memory-check.

#include "chaincontroller.h"
#include "chainsdock.h"
#include "chainview.h"
#include "checkpoint.h"
#include "evaluatedock.h"
#include "glformat.h"
#include "guisupport.h"
#include "inpaintwindow.h"
#include "mainwindow.h"
#include "maskpainter.h"
#include "sheetdialog.h"
#include "testsupport.h"
#include "trainingcontroller.h"
#include "trainingdock.h"

#include <QAction>
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTimer>
#include <QUndoStack>

#include <algorithm>
#include <dirent.h>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <string>
#include <chrono>
#include <thread>
#include <utility>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <malloc.h>
#include <map>
#include <mutex>
#include <unistd.h>
#include <vector>

using namespace gsn;

namespace {

// ---------------------------------------------------------------------------------------------------
// The log: every message Qt's logging sees, from our code and from Qt.

// Messages that are provably from the environment, not from the studio (substring match):
// - xvfb-run as root leaves XDG_RUNTIME_DIR unset; Qt then falls back to /tmp/runtime-root and says so.
const char* const kAllowed[] = {
    "QStandardPaths: XDG_RUNTIME_DIR not set",
    "QStandardPaths: runtime directory",
};

std::mutex g_logMutex;
std::vector<QString> g_warnings;  // not allowed
int g_allowed = 0;
QtMessageHandler g_previousHandler = nullptr;

void messageHandler(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (type == QtWarningMsg || type == QtCriticalMsg || type == QtFatalMsg) {
        bool allowed = false;
        for (const char* a : kAllowed)
            allowed = allowed || message.contains(QLatin1String(a));
        std::lock_guard lock(g_logMutex);
        if (allowed)
            ++g_allowed;
        else
            g_warnings.push_back(message);
    }
    if (g_previousHandler)
        g_previousHandler(type, context, message);
}

// ---------------------------------------------------------------------------------------------------
// Memory and scheduling figures from /proc.

double residentMiB()
{
    QFile status("/proc/self/status");
    if (!status.open(QIODevice::ReadOnly))
        return 0.0;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').front().toDouble() / 1024.0;
    return 0.0;
}

// Resident memory by kind of mapping (/proc/self/smaps), in MiB: brk = the main malloc arena ([heap]);
// anon = anonymous mappings (the threads' malloc arenas, large mmapped blocks, Mesa's JIT code); shm =
// shared memory (the X server's MIT-SHM images, memfd); file = libraries and mapped files.
// exec = anonymous executable mappings (JIT code: Mesa llvmpipe's compiled shaders); freeHeld = the bytes
// malloc holds free in its arenas (mallinfo2 fordblks), resident or not.
struct RssKinds {
    double brk = 0, anon = 0, shm = 0, file = 0, exec = 0, freeHeld = 0;
};

RssKinds rssKinds()
{
    RssKinds kinds;
    QFile smaps("/proc/self/smaps");
    if (!smaps.open(QIODevice::ReadOnly))
        return kinds;
    double* current = nullptr;
    for (const QByteArray& line : smaps.readAll().split('\n')) {
        if (line.isEmpty())
            continue;
        const QByteArray first = line.left(line.indexOf(' ')); // "start-end" of a mapping, or "Field:"
        if (first.contains('-') && !first.endsWith(':')) {
            const QList<QByteArray> fields = line.simplified().split(' ');
            const QByteArray path = fields.size() > 5 ? fields.mid(5).join(' ') : QByteArray();
            if (path == "[heap]")
                current = &kinds.brk;
            else if ((path.isEmpty() || path.startsWith("[anon")) && fields.size() > 1 && fields[1].contains('x'))
                current = &kinds.exec;
            else if (path.isEmpty() || path.startsWith("[anon") || path.startsWith("[stack"))
                current = &kinds.anon;
            else if (path.startsWith("/SYSV") || path.startsWith("/dev/shm") || path.startsWith("/memfd:") ||
                     path.startsWith("/drm") || path.contains("(deleted)"))
                current = &kinds.shm;
            else
                current = &kinds.file;
        } else if (current && line.startsWith("Rss:")) {
            *current += line.mid(4).trimmed().split(' ').front().toDouble() / 1024.0;
        }
    }
    kinds.freeHeld = double(mallinfo2().fordblks) / (1024.0 * 1024.0);
    return kinds;
}

// Bytes malloc has handed out and not had back (glibc's mallinfo2 over every arena, plus its mmapped
// blocks), in MiB: what the program holds, without the freed memory the allocator keeps. Resident memory
// growing while this stays flat is the allocator's retention (fragmentation, per-thread arenas), not a leak.
double heapInUseMiB()
{
    const struct mallinfo2 info = mallinfo2();
    return double(info.uordblks + info.hblkhd) / (1024.0 * 1024.0);
}

// Nanoseconds the calling thread has waited in the run queue (runnable, not running) so far; -1 when
// the kernel does not say (no CONFIG_SCHED_INFO).
class RunQueueClock {
public:
    RunQueueClock() { m_fd = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC); }
    ~RunQueueClock()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    // Nanoseconds run on a CPU so far and waited in the run queue; both -1 when unknown.
    std::pair<long long, long long> read() const
    {
        if (m_fd < 0)
            return {-1, -1};
        char buffer[128];
        const ssize_t n = ::pread(m_fd, buffer, sizeof buffer - 1, 0);
        if (n <= 0)
            return {-1, -1};
        buffer[n] = 0;
        unsigned long long run = 0, wait = 0;
        if (std::sscanf(buffer, "%llu %llu", &run, &wait) != 2)
            return {-1, -1};
        return {(long long)run, (long long)wait};
    }

private:
    int m_fd = -1;
};

// Milliseconds of steal time (the hypervisor running something else on this machine's virtual CPU) that
// every CPU has accumulated so far: the least of the per-CPU counters of /proc/stat (USER_HZ ticks, 10 ms
// each). Time stolen from all CPUs at once is time no thread of this process could run. -1 when unknown.
class StealClock {
public:
    StealClock() : m_msPerTick(1000.0 / double(::sysconf(_SC_CLK_TCK))) { m_fd = ::open("/proc/stat", O_RDONLY | O_CLOEXEC); }
    ~StealClock()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    double read() const
    {
        if (m_fd < 0)
            return -1.0;
        char buffer[8192];
        const ssize_t n = ::pread(m_fd, buffer, sizeof buffer - 1, 0);
        if (n <= 0)
            return -1.0;
        buffer[n] = 0;
        unsigned long long least = ~0ull;
        for (const char* line = buffer; *line; ) {
            const char* end = std::strchr(line, '\n');
            unsigned cpu = 0;
            unsigned long long f[8] = {};
            // "cpuN user nice system idle iowait irq softirq steal ..."
            if (std::sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &f[0], &f[1], &f[2], &f[3], &f[4],
                            &f[5], &f[6], &f[7]) == 9)
                least = std::min(least, f[7]);
            if (!end)
                break;
            line = end + 1;
        }
        return least == ~0ull ? -1.0 : double(least) * m_msPerTick;
    }

private:
    int m_fd = -1;
    double m_msPerTick;
};

// What the GUI thread is doing while it is late: a watcher thread that, whenever the probe's last tick
// is more than kLateMs old, samples every 2 ms the kernel's view of the GUI thread (/proc/.../syscall:
// "running" in user space or the system call it is in; /proc/.../wchan: where in the kernel it sleeps).
// The probe takes the samples of a stall when its late tick arrives, so every reported stall says, e.g.,
// "fdatasync in jbd2_log_wait_commit x31" (a disk write) or "futex in futex_wait_queue x12" (a lock).
// The GUI thread's stack, taken once per stall when the witness sees it waiting on a futex (a lock or a
// condition variable: which one is the question): the witness sends it kStackSignal, whose handler
// records backtrace() into these; the wait resumes after the handler (glibc restarts futex waits).
const int kStackSignal = SIGRTMIN + 3;
void* g_stackFrames[48];
std::atomic<int> g_stackDepth{-1}; // -1: nothing captured since the last request
void stackSignalHandler(int)
{
    g_stackDepth.store(::backtrace(g_stackFrames, 48));
}

class StallWitness {
public:
    static constexpr double kLateMs = 20.0;
    static constexpr double kStackAfterMs = 30.0; // a futex wait this old gets its stack taken
    static constexpr double kOthersAfterMs = 50.0; // a stall this old gets the other threads listed

    StallWitness() : m_tid(int(::gettid())) // constructed on the GUI thread
    {
        const QByteArray task = "/proc/self/task/" + QByteArray::number(m_tid);
        m_syscallFd = ::open(task + "/syscall", O_RDONLY | O_CLOEXEC);
        m_wchanFd = ::open(task + "/wchan", O_RDONLY | O_CLOEXEC);
        void* warm[4];
        ::backtrace(warm, 4); // loads libgcc's unwinder now, not inside the signal handler
        struct sigaction action{};
        action.sa_handler = stackSignalHandler;
        action.sa_flags = SA_RESTART;
        sigemptyset(&action.sa_mask);
        ::sigaction(kStackSignal, &action, nullptr);
        m_thread = std::thread([this] { watch(); });
    }
    ~StallWitness()
    {
        m_stop.store(true);
        m_thread.join();
        for (int fd : {m_syscallFd, m_wchanFd})
            if (fd >= 0)
                ::close(fd);
    }
    bool available() const { return m_syscallFd >= 0; }
    // Called by the probe on every tick (GUI thread).
    void beat() { m_beat.store(now()); }
    // The samples gathered since the last take, most frequent first ("what xN, ..."); clears them.
    QString take()
    {
        std::map<std::string, int> samples;
        std::string stack, others;
        double maxGap = 0.0;
        {
            std::lock_guard lock(m_mutex);
            samples.swap(m_samples);
            stack.swap(m_stack);
            others.swap(m_others);
            std::swap(maxGap, m_maxGap);
        }
        std::vector<std::pair<int, std::string>> sorted;
        for (const auto& [what, count] : samples)
            sorted.push_back({count, what});
        std::sort(sorted.begin(), sorted.end(), std::greater<>());
        QStringList parts;
        for (std::size_t i = 0; i < sorted.size() && i < 4; ++i)
            parts << QStringLiteral("%1 x%2").arg(QString::fromStdString(sorted[i].second)).arg(sorted[i].first);
        QString text = parts.join(QStringLiteral(", "));
        if (maxGap > 10.0)
            text += QStringLiteral("; the witness itself slept up to %1 ms between samples (2 ms asked)").arg(maxGap, 0, 'f', 0);
        if (!stack.empty())
            text += QStringLiteral("; futex wait from: ") + QString::fromStdString(stack);
        if (!others.empty())
            text += QStringLiteral("; other threads: ") + QString::fromStdString(others);
        return text;
    }

private:
    static double now() { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
    static std::string readFd(int fd)
    {
        if (fd < 0)
            return {};
        char buffer[256];
        const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
        return n > 0 ? std::string(buffer, std::size_t(n)) : std::string();
    }
    static std::string syscallName(const std::string& field)
    {
        // x86-64 numbers of the calls a GUI thread plausibly sits in; others are printed as numbers.
        static const std::map<int, const char*> names = {
            {0, "read"}, {1, "write"}, {3, "close"}, {7, "poll"}, {9, "mmap"}, {10, "mprotect"}, {11, "munmap"},
            {16, "ioctl"}, {20, "writev"}, {23, "select"}, {28, "madvise"}, {46, "sendmsg"}, {47, "recvmsg"},
            {74, "fsync"}, {75, "fdatasync"}, {76, "truncate"}, {82, "rename"}, {202, "futex"},
            {230, "clock_nanosleep"}, {232, "epoll_wait"}, {257, "openat"}, {262, "newfstatat"}, {271, "ppoll"},
            {316, "renameat2"}, {35, "nanosleep"}, {4, "stat"}, {5, "fstat"}, {8, "lseek"}, {17, "pread64"},
            {18, "pwrite64"}, {87, "unlink"}, {263, "unlinkat"}, {285, "fallocate"}, {77, "ftruncate"}};
        if (field.empty() || !std::isdigit(static_cast<unsigned char>(field[0])))
            return field; // "running", or "-1" (in the kernel, not in a call)
        const auto it = names.find(std::atoi(field.c_str()));
        return it != names.end() ? it->second : "syscall " + field;
    }
    // "library!symbol+0xoffset" per frame (dladdr; our code, linked into this binary without exported
    // symbols, shows as soak_gui+0xoffset: `addr2line -f -C -e soak_gui 0xoffset` names it).
    static std::string describe(void* const* frames, int depth)
    {
        std::string out;
        for (int i = 2; i < depth && i < 26; ++i) { // 0-1: the handler and the signal trampoline
            Dl_info info{};
            char text[256];
            if (::dladdr(frames[i], &info) && info.dli_fname) {
                const char* file = std::strrchr(info.dli_fname, '/');
                file = file ? file + 1 : info.dli_fname;
                if (info.dli_sname)
                    std::snprintf(text, sizeof text, "%s!%s", file, info.dli_sname);
                else
                    std::snprintf(text, sizeof text, "%s+0x%lx", file,
                                  (unsigned long)((char*)frames[i] - (char*)info.dli_fbase));
            } else {
                std::snprintf(text, sizeof text, "%p", frames[i]);
            }
            out += (out.empty() ? "" : " < ") + std::string(text);
        }
        return out;
    }
    void watch()
    {
        double stackedBeat = -1.0; // the stall whose stack was asked for
        double stackedOthers = -1.0; // the stall whose other threads were listed
        double lastWake = now();
        while (!m_stop.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            const double beat = m_beat.load();
            const double woke = now();
            struct Wake {
                double& last;
                double at;
                ~Wake() { last = at; }
            } wake{lastWake, woke};
            if (const int depth = g_stackDepth.exchange(-1); depth > 0) {
                std::string stack = describe(g_stackFrames, depth);
                std::lock_guard lock(m_mutex);
                m_stack = std::move(stack);
            }
            if (beat == 0.0 || now() - beat < kLateMs)
                continue;
            std::string call = readFd(m_syscallFd);
            call = syscallName(call.substr(0, call.find_first_of(" \n")));
            if (call == "futex" && stackedBeat != beat && now() - beat >= kStackAfterMs) {
                stackedBeat = beat;
                ::syscall(SYS_tgkill, ::getpid(), m_tid, kStackSignal);
            }
            std::string where = readFd(m_wchanFd);
            if (!where.empty() && where != "0" && call != "running")
                call += " in " + where;
            // The witness's own sleep: far beyond 2 ms means it did not run either (the machine or the
            // whole process paused: a lock every thread needs, memory management, the hypervisor).
            const double gap = now() - lastWake;
            std::string others;
            if (stackedOthers != beat && now() - beat >= kOthersAfterMs) {
                stackedOthers = beat;
                others = otherThreads();
            }
            std::lock_guard lock(m_mutex);
            ++m_samples[call];
            m_maxGap = std::max(m_maxGap, gap);
            if (!others.empty())
                m_others = std::move(others);
        }
    }
    // Every other thread of the process as "name: call [in wchan]" (those not sleeping in a wait
    // of their own, i.e. running or in another call), to see who holds what the GUI thread waits for.
    std::string otherThreads() const
    {
        std::map<std::string, int> seen;
        DIR* dir = ::opendir("/proc/self/task");
        if (!dir)
            return {};
        while (const dirent* entry = ::readdir(dir)) {
            if (entry->d_name[0] == '.' || std::atoi(entry->d_name) == m_tid || std::atoi(entry->d_name) == int(::gettid()))
                continue;
            const std::string base = std::string("/proc/self/task/") + entry->d_name;
            auto slurp = [](const std::string& path) {
                const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
                std::string text = readFd(fd);
                if (fd >= 0)
                    ::close(fd);
                while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
                    text.pop_back();
                return text;
            };
            std::string call = slurp(base + "/syscall");
            call = syscallName(call.substr(0, call.find_first_of(" \n")));
            const std::string where = slurp(base + "/wchan");
            std::string what = slurp(base + "/comm") + ": " + call;
            if (!where.empty() && where != "0" && call != "running")
                what += " in " + where;
            ++seen[what];
        }
        ::closedir(dir);
        std::string out;
        for (const auto& [what, count] : seen)
            out += (out.empty() ? "" : ", ") + what + (count > 1 ? " x" + std::to_string(count) : "");
        return out;
    }

    int m_tid;
    int m_syscallFd = -1;
    int m_wchanFd = -1;
    std::atomic<double> m_beat{0.0};
    std::atomic<bool> m_stop{false};
    std::mutex m_mutex;
    std::map<std::string, int> m_samples;
    std::string m_stack;
    std::string m_others;
    double m_maxGap = 0.0;
    std::thread m_thread;
};

// The event-loop lateness probe (as bench_gui_chainview's), with the run-queue share taken out.
// Lateness samples in 0.1 ms bins up to 1 s (larger ones in the last bin), the maximum kept exactly. A
// fixed array: the probe's own memory must not grow with the run, or the soak would measure itself
// (two vectors of every sample grew by ~3 MB, and were copied and sorted every round, in 30 minutes).
class LatencyHistogram {
public:
    void add(double ms)
    {
        const auto bin = static_cast<std::size_t>(std::clamp(ms * kPerMs, 0.0, double(kBins - 1)));
        ++m_bins[bin];
        ++m_count;
        m_max = std::max(m_max, ms);
    }
    void clear()
    {
        m_bins.fill(0);
        m_count = 0;
        m_max = 0.0;
    }
    std::size_t count() const { return m_count; }
    // The p-quantile to the bin's upper edge (0.1 ms); p = 1 is the exact maximum.
    double percentile(double p) const
    {
        if (m_count == 0)
            return 0.0;
        if (p >= 1.0)
            return m_max;
        const auto rank = static_cast<std::size_t>(p * double(m_count - 1));
        std::size_t seen = 0;
        for (std::size_t b = 0; b < kBins; ++b) {
            seen += m_bins[b];
            if (seen > rank)
                return std::min(m_max, double(b + 1) / kPerMs);
        }
        return m_max;
    }
    // Samples of at least ms (to the bin: 0.1 ms).
    int countAbove(double ms) const
    {
        std::size_t n = 0;
        for (auto b = static_cast<std::size_t>(std::clamp(ms * kPerMs, 0.0, double(kBins - 1))); b < kBins; ++b)
            n += m_bins[b];
        return int(n);
    }

private:
    static constexpr double kPerMs = 10.0;
    static constexpr std::size_t kBins = 10001;
    std::array<std::size_t, kBins> m_bins{};
    std::size_t m_count = 0;
    double m_max = 0.0;
};

class StallProbe {
public:
    static constexpr double kPeriodMs = 5.0;
    struct Stall {
        double lateMs;
        double queuedMs;   // runnable, waiting for a CPU (other processes, our niced workers)
        double stolenMs;   // every virtual CPU taken away by the hypervisor (steal time, 10 ms ticks)
        double ranMs;      // the GUI thread running: our code (or Qt's) on the GUI thread
        QString phase;
        QString witnessed; // what the GUI thread was in meanwhile (StallWitness), sampled every 2 ms
    };

    StallProbe()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(int(kPeriodMs));
        QObject::connect(&m_timer, &QTimer::timeout, [this] { tick(); });
    }
    void start()
    {
        m_clock.start();
        m_due = 0.0;
        m_timer.start();
    }
    void setPhase(const QString& phase) { m_phase = phase; }
    QString phase() const { return m_phase; }
    // Forget what was measured (the warm-up).
    void reset()
    {
        m_late.clear();
        m_own.clear();
        m_stolenTotal = 0.0;
        m_worst.clear();
        m_byPhase.clear();
    }
    bool haveRunQueue() const { return m_queue.read().second >= 0; }
    bool haveSteal() const { return m_steal.read() >= 0.0; }
    // Steal time (every CPU at once) over the probes since the last reset, milliseconds.
    double stolenMs() const { return m_stolenTotal; }
    std::size_t probes() const { return m_late.count(); }
    double percentile(bool own, double p) const { return (own ? m_own : m_late).percentile(p); }
    int countAbove(bool own, double ms) const { return (own ? m_own : m_late).countAbove(ms); }
    // The worst stalls (by own lateness), worst first, with the soak phase they happened in.
    std::vector<Stall> worst() const { return m_worst; }

private:
    void tick()
    {
        const double now = m_clock.nsecsElapsed() / 1e6;
        const auto [ran, waited] = m_queue.read();
        const double steal = m_steal.read();
        m_witness.beat();
        const QString witnessed = m_witness.take();
        if (m_due > 0.0) {
            const double late = std::max(0.0, now - m_due);
            const double queued = (waited >= 0 && m_waited >= 0) ? (waited - m_waited) / 1e6 : 0.0;
            const double running = (ran >= 0 && m_ran >= 0) ? (ran - m_ran) / 1e6 : 0.0;
            const double stolen = (steal >= 0.0 && m_stolen >= 0.0) ? steal - m_stolen : 0.0;
            // Time in the run queue may include steal time (the queue's clock runs on while the
            // hypervisor has the CPU), so only the larger of the two is subtracted: an own stall is
            // never made smaller by counting one pause twice.
            const double own = std::max(0.0, late - std::max(queued, stolen));
            m_stolenTotal += stolen;

            m_late.add(late);
            m_own.add(own);
            if (own > 100.0) {
                auto& [count, worst] = m_byPhase[m_phase];
                ++count;
                worst = std::max(worst, own);
            }
            if (late > 50.0 || own > 25.0) {
                m_worst.push_back({late, queued, stolen, running, m_phase, witnessed});
                std::sort(m_worst.begin(), m_worst.end(), [](const Stall& a, const Stall& b) {
                    return a.lateMs - std::max(a.queuedMs, a.stolenMs) > b.lateMs - std::max(b.queuedMs, b.stolenMs);
                });
                if (m_worst.size() > 10)
                    m_worst.pop_back();
            }
        }
        m_due = now + kPeriodMs;
        m_waited = waited;
        m_ran = ran;
        m_stolen = steal;
    }

    QTimer m_timer;
    QElapsedTimer m_clock;
    RunQueueClock m_queue;
    StealClock m_steal;
    StallWitness m_witness;
    double m_due = 0.0;
    long long m_waited = -1;
    long long m_ran = -1;
    double m_stolen = -1.0;
    double m_stolenTotal = 0.0;
    QString m_phase;
    LatencyHistogram m_late;
    LatencyHistogram m_own;
    std::vector<Stall> m_worst;
    std::map<QString, std::pair<int, double>> m_byPhase; // own stalls over 100 ms: count, worst
public:
    const std::map<QString, std::pair<int, double>>& ownStallsByPhase() const { return m_byPhase; }
};

// ---------------------------------------------------------------------------------------------------
// The script.

StudioModelPtr freshGsn2(std::uint64_t seed)
{
    auto entry = std::make_shared<StudioModel>();
    entry->model = std::shared_ptr<const Model>(
        createModel({{"kind", "gsn2"}, {"sizes", {784, 200, 200}}}, seed));
    entry->name = QStringLiteral("soak gsn2 #%1").arg(seed);
    return entry;
}

template <typename T>
T* topLevel()
{
    for (QWidget* widget : QApplication::topLevelWidgets())
        if (auto* w = qobject_cast<T*>(widget); w && w->isVisible())
            return w;
    return nullptr;
}

// Waits (running the event loop) until `done` or `ms` have passed; true when done.
template <typename F>
bool waitFor(F done, int ms)
{
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > ms)
            return false;
        QTest::qWait(20);
    }
    return true;
}

class Soak {
public:
    Soak(MainWindow& window, StallProbe& probe, const QString& scratch)
        : m_window(window), m_probe(probe), m_scratch(scratch)
    {
        m_evaluate = window.findChild<EvaluateDock*>();
        QObject::connect(window.session(), &StudioSession::error,
                         [this](const QString& message) { fail(QStringLiteral("studio error: ") + message); });
    }

    // Every model is saved before the next replaces it, so the studio never has to ask Save / Discard /
    // Cancel; if it does, the question is answered (Discard) and counted as a failure, not left hanging.
    QStringList failures() const
    {
        QStringList all = m_failures;
        if (m_unsaved.answered() > 0)
            all << QStringLiteral("the studio asked %1 times about unsaved work").arg(m_unsaved.answered());
        return all;
    }
    int round() const { return m_round; }

    void fail(const QString& what)
    {
        const QString line = QStringLiteral("[round %1, %2] %3").arg(m_round).arg(m_probe.phase(), what);
        std::fprintf(stderr, "soak: FAIL %s\n", qPrintable(line));
        m_failures.push_back(line);
    }
    void check(bool ok, const QString& what)
    {
        if (!ok)
            fail(what);
    }
    void phase(const QString& name)
    {
        if (m_phaseClock.isValid() && m_verbose)
            std::printf("soak:     %-40s %6.0f ms\n", qPrintable(m_probe.phase()), double(m_phaseClock.elapsed()));
        m_phaseClock.start();
        m_probe.setPhase(name);
    }
    void setVerbose(bool verbose) { m_verbose = verbose; }

    void setUp()
    {
        phase("set-up");
        check(m_evaluate != nullptr, "no Evaluate dock");
        if (m_evaluate) {
            // The history starts full (its cap, 500 rows: every new evaluation drops the oldest), so its
            // growth to the cap is not counted as the studio's memory growth after the warm-up.
            QJsonArray rows;
            for (int i = 0; i < 500; ++i)
                rows.append(QJsonObject{{"when", "2026-12-01T00:00:00Z"}, {"model", QString("earlier run %1").arg(i)},
                                        {"hash", "0123456789abcdef"}, {"epoch", i}, {"kind", "gsn2"},
                                        {"samples", 300}, {"burnin", 20}, {"thin", 1}, {"seed", 1},
                                        {"start", "test:0"}, {"sigma", 0.2}, {"mean", 17.0}, {"stderr", 2.0},
                                        {"seconds", 0.6}});
            QFile history(m_scratch + "/evaluations.json");
            check(history.open(QIODevice::WriteOnly) && history.write(QJsonDocument(rows).toJson()) > 0,
                  "cannot write " + history.fileName());
            history.close();
            m_evaluate->setHistoryFile(m_scratch + "/evaluations.json");
            check(m_evaluate->history().size() == 500, "the full history was not read");
            m_evaluate->setSampleCount(300);
            m_evaluate->setBurnin(20);
        }
        check(m_window.loadDataset("mnist-test"), "load mnist-test: " + m_window.lastError());
        check(m_window.loadDefaultModel(), "default model: " + m_window.lastError());
        m_window.chainsDock()->chainCountBox()->setValue(100);
        m_window.chains()->startChains();
        check(waitFor([&] { return m_window.chainView()->currentFrame() &&
                                   m_window.chainView()->currentFrame()->chainCount() == 100; }, 30000),
              "100 chains never reached the view");
    }

    void runRound()
    {
        ++m_round;
        switchDataset();
        switchModel();
        startTraining();
        inpaint();
        startFromImage();
        evaluate();
        finishTraining();
        exportSheet();
        phase("between rounds");
        check(m_window.chains()->isRunning(), "the chains stopped");
        check(m_window.chainView()->glError().isEmpty(), "GL error: " + m_window.chainView()->glError());
    }

    void tearDown()
    {
        phase("tear-down");
        if (m_window.training()->isRunning())
            m_window.training()->cancel();
        if (m_evaluate && m_evaluate->isRunning())
            m_evaluate->cancel();
    }

private:
    void switchDataset()
    {
        static const char* const specs[] = {"fashion-test", "mnist-valid", "mnist-test"};
        const QString spec = QString::fromLatin1(specs[(m_round - 1) % 3]);
        phase("dataset " + spec);
        check(m_window.loadDataset(spec), "load " + spec + ": " + m_window.lastError());
    }

    void switchModel()
    {
        const int which = (m_round - 1) % 3;
        if (which == 0 || m_saved.isEmpty()) {
            phase("model: fresh gsn2");
            check(m_window.setModel(freshGsn2(std::uint64_t(m_round))), "setModel: " + m_window.lastError());
        } else if (which == 1) {
            phase("model: open " + QFileInfo(m_saved).fileName());
            QSignalSpy opened(&m_window, &MainWindow::modelLoadFinished);
            m_window.openModel(m_saved);
            check(opened.wait(60000), "openModel never finished");
            check(!opened.isEmpty() && opened.front().at(1).toBool(), "openModel failed: " + m_window.lastError());
        } else {
            phase("model: default");
            check(m_window.loadDefaultModel(), "default model: " + m_window.lastError());
        }
        // New chains of the new model: 100 of them, running.
        m_window.chains()->startChains();
        check(waitFor([&] { return m_window.chains()->steps() > 2; }, 60000), "the new model's chains do not step");
    }

    void startTraining()
    {
        phase("training start");
        TrainingDock* dock = m_window.trainingDock();
        dock->setEpochs(2);
        dock->setExamples(1000);
        dock->setLearningRate(0.5);
        dock->startOrResume();
        check(m_window.training()->isRunning(), "training did not start: " + m_window.lastError());
        phase("training running");
    }

    void finishTraining()
    {
        phase("training finish");
        if (m_window.training()->isRunning()) {
            QSignalSpy finished(m_window.training(), &TrainingController::finished);
            if (!finished.wait(20000)) {
                m_window.training()->cancel();
                check(finished.wait(60000), "training did not stop after cancel");
            }
        }
        phase("model save");
        // Alternate between two files, so the one being opened next round is never the one written.
        const QString path = m_scratch + QStringLiteral("/soak-%1.safetensors").arg(m_round % 2);
        QSignalSpy saved(m_window.session(), &StudioSession::modelSaveFinished);
        check(m_window.modelDock()->saveFile(path), "save " + path + ": " + m_window.lastError());
        check(waitFor([&] { return !saved.isEmpty(); }, 60000), "the save of " + path + " never finished");
        if (!saved.isEmpty())
            check(saved.front().at(1).toBool(), "save " + path + ": " + m_window.lastError());
        m_saved = path;
    }

    void inpaint()
    {
        phase("inpaint open");
        QAction* action = m_window.findChild<QAction*>("actionInpainting");
        check(action != nullptr, "no Window > Inpainting action");
        if (!action)
            return;
        action->trigger();
        QPointer<InpaintWindow> window = topLevel<InpaintWindow>();
        check(!window.isNull(), "no inpainting window");
        if (!window)
            return;
        const auto dataset = m_window.session()->dataset();
        SourceImage source;
        source.width = dataset->width;
        source.height = dataset->height;
        const int index = (m_round * 37) % dataset->count();
        source.origin = QStringLiteral("%1 #%2").arg(QString::fromStdString(dataset->name)).arg(index);
        for (int i = 0; i < dataset->pixels.cols(); ++i)
            source.pixels.push_back(dataset->pixels(index, i));
        check(window->setSource(source), "inpaint setSource: " + window->lastMessage());
        window->setChainCount(20);
        MaskPainter* painter = window->painter();
        painter->applyPreset(MaskPreset(m_round % 7), MaskPresetOptions{4, 0.5, std::uint64_t(m_round)});
        if (painter->mask().clampedIndices().empty() || int(painter->mask().clampedIndices().size()) == 784)
            painter->applyPreset(MaskPreset::LeftHalf);
        phase("inpaint run");
        check(window->run(), "inpaint run: " + window->lastMessage());
        QTest::qWait(500);
        phase("inpaint mask edits");
        for (int edit = 0; edit < 12; ++edit) {
            const int x = (edit * 5 + m_round) % 28;
            switch (edit % 6) {
            case 0: painter->strokeBrush({QPointF(x + 0.5, 3.5), QPointF(x + 0.5, 24.5)}, true); break;
            case 1: painter->fillRect(QRect(x / 2, 2, 6, 6), false); break;
            case 2: painter->applyPreset(MaskPreset::TopHalf); break;
            case 3: painter->floodFill(QPoint(27, 27), true); painter->strokeBrush({QPointF(0.5, 0.5)}, false); break;
            case 4: painter->undoStack()->undo(); break;
            case 5: painter->applyPreset(MaskPreset::CentreSquare); break;
            }
            QTest::qWait(150);
        }
        phase("inpaint exports");
        QSignalSpy sheetDone(window.data(), &InpaintWindow::sheetExported);
        window->exportSheet(m_scratch + "/inpaint-sheet.png"); // rendered and encoded on a worker
        check(waitFor([&] { return !sheetDone.isEmpty(); }, 60000), "the inpainting sheet export never finished");
        if (!sheetDone.isEmpty())
            check(sheetDone.front().at(1).toString().isEmpty(), "inpaint sheet: " + sheetDone.front().at(1).toString());
        QSignalSpy exported(window.data(), &InpaintWindow::fileExported);
        try {
            window->exportMask(m_scratch + "/inpaint-mask.png"); // encoded here, written on a worker
            window->exportMean(m_scratch + "/inpaint-mean.png");
            window->exportSpread(m_scratch + "/inpaint-spread.png");
        } catch (const std::exception& e) {
            fail(QStringLiteral("inpaint export: ") + e.what());
        }
        check(waitFor([&] { return exported.size() >= 3; }, 60000), "the inpainting exports were never written");
        for (const auto& args : exported)
            check(args.at(1).toString().isEmpty(), "inpaint export: " + args.at(1).toString());
        phase("inpaint close");
        window->close(); // deletes itself
        check(waitFor([&] { return window.isNull(); }, 10000), "the inpainting window was not deleted");
    }

    void startFromImage()
    {
        phase("chains from image");
        QSignalSpy done(&m_window, &MainWindow::imageStartFinished);
        m_window.startChainsFromImage(m_scratch + "/inpaint-mean.png");
        check(done.wait(30000), "startChainsFromImage never finished");
        check(!done.isEmpty() && done.front().at(1).toBool(), "startChainsFromImage failed: " + m_window.lastError());
        m_window.chains()->setStart(ChainStart::RandomImages);
    }

    void evaluate()
    {
        if (!m_evaluate)
            return;
        phase("evaluation");
        QSignalSpy finished(m_evaluate, &EvaluateDock::evaluationFinished);
        QSignalSpy failed(m_evaluate, &EvaluateDock::evaluationFailed);
        m_evaluate->evaluateModel();
        check(m_evaluate->isRunning(), "the evaluation did not start");
        check(waitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, 180000), "the evaluation never ended");
        check(failed.isEmpty(), "evaluation failed: " + (failed.isEmpty() ? QString() : failed.front().at(0).toString()));
    }

    void exportSheet()
    {
        phase("sheet export");
        m_window.findChild<QAction*>("actionExportSheet")->trigger();
        QPointer<SheetDialog> dialog;
        for (SheetDialog* d : m_window.findChildren<SheetDialog*>("sheetDialog"))
            if (d->isVisible())
                dialog = d;
        check(!dialog.isNull(), "no sheet dialog: " + m_window.lastError());
        if (!dialog)
            return;
        const QString path = m_scratch + QStringLiteral("/sheet.%1").arg(m_round % 2 ? "png" : "svg");
        QSignalSpy saved(dialog.data(), &SheetDialog::saveFinished);
        dialog->save(path); // renders and encodes on a worker
        check(waitFor([&] { return !saved.isEmpty(); }, 60000), "the sheet save never finished");
        if (!saved.isEmpty())
            check(saved.front().at(1).toString().isEmpty(), "sheet save: " + saved.front().at(1).toString());
        dialog->close();
        check(waitFor([&] { return dialog.isNull(); }, 10000), "the sheet dialog was not deleted");
    }

    MainWindow& m_window;
    test::BoxAnswerer m_unsaved{QStringLiteral("unsavedWorkBox"), QMessageBox::Discard};
    StallProbe& m_probe;
    QString m_scratch;
    EvaluateDock* m_evaluate = nullptr;
    QString m_saved;
    int m_round = 0;
    QStringList m_failures;
    QElapsedTimer m_phaseClock;
    bool m_verbose = false;
};

} // namespace

int main(int argc, char** argv)
{
    g_previousHandler = qInstallMessageHandler(messageHandler);
    const QString scratch = test::scratchDir("soak_gui");
    test::isolateSettings(scratch);
    test::keepGlDriverForLeakCheck();
    setDefaultSurfaceFormat();
    QApplication app(argc, argv);
    test::clearSettings("soak_gui");

    QCommandLineParser parser;
    parser.setApplicationDescription("GSN Studio soak: a scripted GUI session, looping (issue 12).");
    parser.addHelpOption();
    QCommandLineOption secondsOption("seconds", "Duration (the round in progress finishes).", "N", "120");
    QCommandLineOption warmupOption("warmup", "Warm-up before the memory baseline (default min(60, N/4)).", "N");
    QCommandLineOption growthOption("max-growth", "Allowed resident memory growth after the warm-up, percent.", "P", "5");
    QCommandLineOption stallOption("max-stall-ms", "Allowed event-loop stall of our own (0: report only).", "M", "100");
    QCommandLineOption noMemoryOption("no-memory-check", "Report memory growth without failing on it.");
    QCommandLineOption verboseOption("verbose", "Print how long every phase of a round took.");
    parser.addOptions({secondsOption, warmupOption, growthOption, stallOption, noMemoryOption, verboseOption});
    parser.process(app);
    const double seconds = std::max(10.0, parser.value(secondsOption).toDouble());
    const double warmup = parser.isSet(warmupOption) ? parser.value(warmupOption).toDouble()
                                                     : std::min(60.0, seconds / 4);
    const double maxGrowth = parser.value(growthOption).toDouble();
    const double maxStall = parser.value(stallOption).toDouble();
    const bool memoryCheck = !parser.isSet(noMemoryOption);

    StallProbe probe;
    QElapsedTimer clock;
    clock.start();
    double baselineMiB = 0.0, lastMiB = 0.0;
    int baselineRound = 0;
    QStringList failures;
    std::vector<double> roundRss;
    std::vector<double> roundHeap;
    std::vector<RssKinds> roundKinds;
    {
        MainWindow window;
        window.resize(1300, 740);
        window.show();
        if (!QTest::qWaitForWindowExposed(&window)) {
            std::fprintf(stderr, "soak: the main window was never exposed\n");
            return 2;
        }
        probe.start();
        Soak soak(window, probe, scratch);
        soak.setVerbose(parser.isSet(verboseOption));
        soak.setUp();
        bool measuring = false;
        while (clock.elapsed() < seconds * 1000.0 && soak.failures().size() < 20) {
            soak.runRound();
            const double rss = residentMiB();
            const double heap = heapInUseMiB();
            const RssKinds kinds = rssKinds();
            roundRss.push_back(rss);
            roundHeap.push_back(heap);
            roundKinds.push_back(kinds);
            std::printf("soak: round %d done at %.0f s, RSS %.1f MiB (heap in use %.1f, free in malloc %.0f; brk %.0f, "
                        "anon %.0f, exec %.0f, shm %.0f, file %.0f), worst stall %.0f ms (own %.0f ms), %zu warnings\n",
                        soak.round(), clock.elapsed() / 1000.0, rss, heap, kinds.freeHeld, kinds.brk, kinds.anon,
                        kinds.exec, kinds.shm, kinds.file,
                        probe.percentile(false, 1.0), probe.percentile(true, 1.0), g_warnings.size());
            std::fflush(stdout);
            if (!measuring && clock.elapsed() >= warmup * 1000.0) {
                measuring = true;
                baselineMiB = rss;
                baselineRound = soak.round();
                probe.reset(); // stalls are counted after the warm-up too (set-up loads the data once)
            }
            lastMiB = rss;
        }
        soak.tearDown();
        failures = soak.failures();
        if (!measuring)
            failures.push_back("the soak ended before the warm-up did: give it more --seconds");
        std::printf("soak: %d rounds in %.0f s (warm-up %.0f s, baseline after round %d)\n", soak.round(),
                    clock.elapsed() / 1000.0, warmup, baselineRound);
    }

    // Resident memory swings by +-15 % from one round's end to the next (what is live when the round ends:
    // the chain recording, up to 128 MB, refills after every reset; an evaluation's or a training run's
    // buffers; glibc's arenas), so one end point against another mostly measures that swing. The rule:
    // the mean of the last quarter of the rounds measured after the warm-up against the mean of the first
    // quarter (at least one round each; with fewer than 8 rounds that is close to end point vs baseline).
    std::vector<double> measured(roundRss.begin() + std::min<std::ptrdiff_t>(baselineRound > 0 ? baselineRound - 1 : 0,
                                                                             std::ptrdiff_t(roundRss.size())),
                                 roundRss.end());
    const std::size_t quarter = std::max<std::size_t>(1, measured.size() / 4);
    double firstMiB = 0.0, endMiB = 0.0;
    for (std::size_t i = 0; i < quarter && i < measured.size(); ++i) {
        firstMiB += measured[i] / double(quarter);
        endMiB += measured[measured.size() - 1 - i] / double(quarter);
    }
    const double growth = firstMiB > 0 ? 100.0 * (endMiB - firstMiB) / firstMiB : 0.0;
    std::printf("soak: resident memory at the round ends after warm-up: %zu rounds, first %.1f MiB, last %.1f MiB "
                "(%+.2f %% end point vs baseline), min %.1f, max %.1f MiB\n",
                measured.size(), baselineMiB, lastMiB,
                baselineMiB > 0 ? 100.0 * (lastMiB - baselineMiB) / baselineMiB : 0.0,
                measured.empty() ? 0.0 : *std::min_element(measured.begin(), measured.end()),
                measured.empty() ? 0.0 : *std::max_element(measured.begin(), measured.end()));
    std::printf("soak: resident memory growth (mean of the last %zu rounds vs mean of the first %zu): %.1f -> %.1f MiB, "
                "%+.2f %%\n", quarter, quarter, firstMiB, endMiB, growth);
    {
        // The same rule on the heap in use (reported, not enforced): tells a leak from the allocator's retention.
        const std::size_t from = std::min(roundHeap.size(), std::size_t(baselineRound > 0 ? baselineRound - 1 : 0));
        const std::size_t n = roundHeap.size() - from, q = std::max<std::size_t>(1, n / 4);
        double first = 0.0, last = 0.0;
        for (std::size_t i = 0; i < q && i < n; ++i) {
            first += roundHeap[from + i] / double(q);
            last += roundHeap[roundHeap.size() - 1 - i] / double(q);
        }
        std::printf("soak: heap in use (malloc), same rule: %.1f -> %.1f MiB, %+.2f %%\n", first, last,
                    first > 0 ? 100.0 * (last - first) / first : 0.0);
        RssKinds a, b;
        for (std::size_t i = 0; i < q && i < n; ++i) {
            const RssKinds& x = roundKinds[from + i];
            const RssKinds& y = roundKinds[roundKinds.size() - 1 - i];
            a.brk += x.brk / q, a.anon += x.anon / q, a.shm += x.shm / q, a.file += x.file / q;
            b.brk += y.brk / q, b.anon += y.anon / q, b.shm += y.shm / q, b.file += y.file / q;
            a.exec += x.exec / q, a.freeHeld += x.freeHeld / q, b.exec += y.exec / q, b.freeHeld += y.freeHeld / q;
        }
        std::printf("soak: resident memory by kind, same rule (MiB): brk %.1f -> %.1f, anon %.1f -> %.1f, "
                    "exec %.1f -> %.1f, shm %.1f -> %.1f, file %.1f -> %.1f; free in malloc %.1f -> %.1f\n",
                    a.brk, b.brk, a.anon, b.anon, a.exec, b.exec, a.shm, b.shm, a.file, b.file, a.freeHeld, b.freeHeld);
    }
    std::printf("soak: event loop over %zu probes after warm-up: lateness p99 %.1f ms, worst %.1f ms, %d over 100 ms; "
                "own (without run-queue wait%s and steal time%s) p99 %.1f ms, worst %.1f ms, %d over 100 ms; "
                "steal time of every CPU at once meanwhile %.0f ms\n",
                probe.probes(), probe.percentile(false, 0.99), probe.percentile(false, 1.0),
                probe.countAbove(false, 100.0), probe.haveRunQueue() ? "" : ": NOT AVAILABLE, raw",
                probe.haveSteal() ? "" : ": NOT AVAILABLE", probe.percentile(true, 0.99), probe.percentile(true, 1.0),
                probe.countAbove(true, 100.0), probe.stolenMs());
    for (const auto& stall : probe.worst())
        std::printf("soak:   stall %.0f ms: %.0f ms in the run queue, %.0f ms stolen from every CPU, %.0f ms running, "
                    "%.0f ms blocked, during \"%s\"; GUI thread seen in: %s\n",
                    stall.lateMs, stall.queuedMs, stall.stolenMs, stall.ranMs,
                    std::max(0.0, stall.lateMs - std::max(stall.queuedMs, stall.stolenMs) - stall.ranMs),
                    qPrintable(stall.phase), stall.witnessed.isEmpty() ? "-" : qPrintable(stall.witnessed));
    for (const auto& [phase, figures] : probe.ownStallsByPhase())
        std::printf("soak:   own stalls over 100 ms during \"%s\": %d, worst %.0f ms\n", qPrintable(phase),
                    figures.first, figures.second);
    std::printf("soak: %zu warnings, %d allowed environment messages\n", g_warnings.size(), g_allowed);

    if (memoryCheck && growth >= maxGrowth)
        failures.push_back(QStringLiteral("resident memory grew %1 % after the warm-up (limit %2 %)")
                               .arg(growth, 0, 'f', 2).arg(maxGrowth));
    if (maxStall > 0 && probe.percentile(true, 1.0) > maxStall)
        failures.push_back(QStringLiteral("an event-loop stall of %1 ms of our own (limit %2 ms)")
                               .arg(probe.percentile(true, 1.0), 0, 'f', 0).arg(maxStall));
    for (const QString& warning : g_warnings)
        failures.push_back("warning in the log: " + warning);
    for (const QString& failure : failures)
        std::printf("soak: FAILED: %s\n", qPrintable(failure));
    std::printf("soak: %s\n", failures.isEmpty() ? "PASS" : "FAIL");
    return failures.isEmpty() ? 0 : 1;
}
