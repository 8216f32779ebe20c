// BackgroundJob, the one idiom for background work in ui/: results arrive queued on the GUI thread,
// stale generations and cancelled jobs deliver nothing, the job sees its cancel flag, every kind of
// throw becomes the same error text, a context that goes away mid-job gets nothing (and nothing
// crashes), and the GUI thread keeps running its event loop while a job works.

#include "backgroundjob.h"
#include "error.h"
#include "workerreaper.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QObject>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace gsn;
using namespace std::chrono_literals;

namespace {

// Sleeps up to `total` in small slices, returning early once the job is cancelled.
bool sleepUnlessCancelled(const JobControl& job, std::chrono::milliseconds total)
{
    const auto end = std::chrono::steady_clock::now() + total;
    while (std::chrono::steady_clock::now() < end) {
        if (job.cancelled())
            return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

struct NotAnException {
    int code = 7;
};

} // namespace

class TestBackgroundJob : public QObject {
    Q_OBJECT
private slots:
    void resultArrivesOnTheGuiThread();
    void voidJobAndProgressArriveOnTheGuiThread();
    void staleGenerationIsDropped();
    void cancelIsSeenByTheJobAndDropsItsResult();
    void requestStopIsSeenAndKeepsTheResult();
    void failureBecomesErrorText_data();
    void failureBecomesErrorText();
    void contextDestroyedMidJobDeliversNothing();
    void jobDestroyedMidJobDeliversNothing();
    void guiThreadIsNeverBlocked();
    void retireRunsOffTheGuiThread();
    void threadsAreJoinedOnceDone();
    void largeBlocksGoBackToTheSystem();
    void threadArenasAreCapped();
};

void TestBackgroundJob::resultArrivesOnTheGuiThread()
{
    QObject context;
    BackgroundJob job(&context);
    std::atomic<QThread*> workerThread{nullptr};
    QThread* deliveredOn = nullptr;
    int result = 0;
    const std::uint64_t generation = job.start(
        [&](const JobControl&) {
            workerThread.store(QThread::currentThread());
            return 42;
        },
        [&](int value) {
            deliveredOn = QThread::currentThread();
            result = value;
        },
        [](const QString& error) { QFAIL(qPrintable(error)); });
    QCOMPARE(generation, std::uint64_t(1));
    QCOMPARE(job.generation(), std::uint64_t(1));
    QVERIFY(job.isRunning());
    QCOMPARE(result, 0); // queued: never delivered inside start()
    QTRY_COMPARE(result, 42);
    QCOMPARE(deliveredOn, QThread::currentThread());
    QVERIFY(workerThread.load() != nullptr);
    QVERIFY(workerThread.load() != QThread::currentThread());
    QVERIFY(!job.isRunning());
}

void TestBackgroundJob::voidJobAndProgressArriveOnTheGuiThread()
{
    QObject context;
    BackgroundJob job(&context);
    QList<int> progress;
    bool done = false;
    bool progressOnGui = true;
    job.start(
        [&](const JobControl& control) {
            for (int i = 1; i <= 3; ++i)
                control.post([i, &progress, &progressOnGui] {
                    progressOnGui = progressOnGui && QThread::currentThread() == QCoreApplication::instance()->thread();
                    progress << i;
                });
        },
        [&] { done = true; });
    QTRY_VERIFY(done);
    // Queued from one thread to one receiver: in order, and all before the result.
    QCOMPARE(progress, QList<int>({1, 2, 3}));
    QVERIFY(progressOnGui);
}

void TestBackgroundJob::staleGenerationIsDropped()
{
    QObject context;
    BackgroundJob job(&context);
    QList<int> delivered;
    QList<int> progress;
    std::atomic<bool> firstFinished{false};
    auto slow = [&](const JobControl& control) {
        control.post([&] { progress << 1; }); // may or may not arrive before the second start
        std::this_thread::sleep_for(150ms);   // ignores its cancel flag on purpose: the result must still be dropped
        control.post([&] { progress << 100; });
        firstFinished.store(true);
        return 1;
    };
    const std::uint64_t first = job.start(slow, [&](int v) { delivered << v; });
    const std::uint64_t second = job.start([](const JobControl&) {
        std::this_thread::sleep_for(20ms);
        return 2;
    }, [&](int v) { delivered << v; });
    QVERIFY(second > first);
    QTRY_COMPARE(delivered, QList<int>({2}));
    QTRY_VERIFY(firstFinished.load());
    QTest::qWait(50); // the stale result and progress, had they been posted, would have arrived by now
    QCOMPARE(delivered, QList<int>({2}));
    QVERIFY(!progress.contains(100));
}

void TestBackgroundJob::cancelIsSeenByTheJobAndDropsItsResult()
{
    QObject context;
    BackgroundJob job(&context);
    std::atomic<bool> sawCancel{false};
    std::atomic<bool> flagSet{false};
    std::atomic<bool> started{false};
    bool delivered = false;
    job.start(
        [&](const JobControl& control) {
            started.store(true);
            const bool finished = sleepUnlessCancelled(control, 5000ms);
            sawCancel.store(!finished);
            flagSet.store(control.cancelFlag()->load()); // the flag engine functions take
            return 1;
        },
        [&](int) { delivered = true; }, [&](const QString&) { delivered = true; });
    QTRY_VERIFY(started.load());
    QVERIFY(job.isRunning());
    job.cancel();
    QVERIFY(!job.isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(sawCancel.load(), 2000); // well before the 5 s the job would sleep
    QVERIFY(flagSet.load());
    QTest::qWait(50);
    QVERIFY(!delivered);

    // A newer start() cancels the job it supersedes.
    std::atomic<bool> supersededSawCancel{false};
    std::atomic<bool> started2{false};
    int result = 0;
    job.start([&](const JobControl& control) {
        started2.store(true);
        supersededSawCancel.store(!sleepUnlessCancelled(control, 5000ms));
        return 1;
    }, [&](int v) { result = v; });
    QTRY_VERIFY(started2.load());
    job.start([](const JobControl&) { return 2; }, [&](int v) { result = v; });
    QTRY_VERIFY_WITH_TIMEOUT(supersededSawCancel.load(), 2000);
    QTRY_COMPARE(result, 2);
}

void TestBackgroundJob::requestStopIsSeenAndKeepsTheResult()
{
    QObject context;
    BackgroundJob job(&context);
    std::atomic<bool> started{false};
    QString result;
    job.start(
        [&](const JobControl& control) {
            started.store(true);
            return sleepUnlessCancelled(control, 5000ms) ? QStringLiteral("finished") : QStringLiteral("stopped");
        },
        [&](const QString& v) { result = v; });
    QTRY_VERIFY(started.load());
    job.requestStop();
    QVERIFY(job.isRunning()); // still wanted: what the job reached is delivered
    QTRY_COMPARE_WITH_TIMEOUT(result, QStringLiteral("stopped"), 2000);
    QVERIFY(!job.isRunning());
}

void TestBackgroundJob::failureBecomesErrorText_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("expected");
    QTest::newRow("gsn::Error") << 0 << QStringLiteral("model.safetensors: header: expected JSON");
    QTest::newRow("std::runtime_error") << 1 << QStringLiteral("disk on fire");
    QTest::newRow("std::bad_alloc") << 2 << QString::fromStdString(std::bad_alloc().what());
    QTest::newRow("not a std::exception") << 3 << QStringLiteral("unknown error");
}

void TestBackgroundJob::failureBecomesErrorText()
{
    QFETCH(int, kind);
    QFETCH(QString, expected);
    auto thrower = [kind] {
        switch (kind) {
        case 0:
            fail("model.safetensors", "header", "expected JSON");
        case 1:
            throw std::runtime_error("disk on fire");
        case 2:
            throw std::bad_alloc();
        default:
            throw NotAnException{};
        }
    };
    // The same text whether a job reports it or a catch block on the GUI thread does.
    try {
        thrower();
        QFAIL("expected a throw");
    } catch (...) {
        QCOMPARE(jobErrorText(std::current_exception()), expected);
    }
    QObject context;
    BackgroundJob job(&context);
    QString error;
    bool gotResult = false;
    QThread* errorOn = nullptr;
    job.start(
        [thrower](const JobControl&) -> int {
            thrower();
            return 0;
        },
        [&](int) { gotResult = true; },
        [&](const QString& text) {
            errorOn = QThread::currentThread();
            error = text;
        });
    QTRY_VERIFY(!error.isEmpty());
    QCOMPARE(error, expected);
    QCOMPARE(errorOn, QThread::currentThread());
    QVERIFY(!gotResult);
    QVERIFY(!job.isRunning());
}

void TestBackgroundJob::contextDestroyedMidJobDeliversNothing()
{
    auto* context = new QObject;
    BackgroundJob job(context);
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
    std::atomic<bool> sawCancel{false};
    bool delivered = false;
    job.start(
        [&](const JobControl& control) {
            started.store(true);
            std::this_thread::sleep_for(100ms);
            control.post([&] { delivered = true; });
            sawCancel.store(control.cancelled());
            finished.store(true);
            return 1;
        },
        [&](int) { delivered = true; }, [&](const QString&) { delivered = true; });
    QTRY_VERIFY(started.load());
    delete context;
    QVERIFY(!job.isRunning());
    QTRY_VERIFY(finished.load());
    QVERIFY(sawCancel.load()); // the context going away cancels its job
    QTest::qWait(50);
    QVERIFY(!delivered);
    // Starting again without a context runs nothing and delivers nothing.
    std::atomic<bool> ran{false};
    job.start([&](const JobControl&) { ran.store(true); }, [&] { delivered = true; });
    QTest::qWait(50);
    QVERIFY(!ran.load());
    QVERIFY(!delivered);
}

void TestBackgroundJob::jobDestroyedMidJobDeliversNothing()
{
    QObject context;
    std::atomic<bool> finished{false};
    std::atomic<bool> sawCancel{false};
    bool delivered = false;
    auto job = std::make_unique<BackgroundJob>(&context);
    job->start(
        [&](const JobControl& control) {
            sawCancel.store(!sleepUnlessCancelled(control, 5000ms));
            finished.store(true);
            return 1;
        },
        [&](int) { delivered = true; });
    QElapsedTimer clock;
    clock.start();
    job.reset();
    QVERIFY2(clock.elapsed() < 100, "~BackgroundJob must not wait for its job");
    QTRY_VERIFY_WITH_TIMEOUT(finished.load(), 2000);
    QVERIFY(sawCancel.load());
    QTest::qWait(50);
    QVERIFY(!delivered);
    QVERIFY(context.children().isEmpty()); // the receiver went with the job
}

void TestBackgroundJob::guiThreadIsNeverBlocked()
{
    QObject context;
    BackgroundJob job(&context);
    int ticks = 0;
    QTimer timer;
    timer.setInterval(10);
    connect(&timer, &QTimer::timeout, [&] { ++ticks; });
    timer.start();
    bool done = false;
    QElapsedTimer clock;
    clock.start();
    job.start([](const JobControl&) { std::this_thread::sleep_for(500ms); }, [&] { done = true; });
    const qint64 startReturnedAfter = clock.elapsed();
    QVERIFY2(startReturnedAfter < 100, qPrintable(QString::number(startReturnedAfter)));
    QTRY_VERIFY_WITH_TIMEOUT(done, 5000);
    QVERIFY(clock.elapsed() >= 500);
    // A 10 ms timer over >= 500 ms: about 50 ticks if the loop ran freely; a blocked loop gives <= 2.
    QVERIFY2(ticks >= 20, qPrintable(QStringLiteral("%1 ticks in %2 ms").arg(ticks).arg(clock.elapsed())));
}

void TestBackgroundJob::retireRunsOffTheGuiThread()
{
    std::atomic<bool> ran{false};
    std::atomic<bool> offGui{false};
    QThread* gui = QThread::currentThread();
    QElapsedTimer clock;
    clock.start();
    BackgroundJob::retire([&] {
        std::this_thread::sleep_for(200ms); // e.g. a ChainRunner's destructor joining its worker
        offGui.store(QThread::currentThread() != gui);
        ran.store(true);
    });
    QVERIFY(clock.elapsed() < 100);
    QTRY_VERIFY(ran.load());
    QVERIFY(offGui.load());
}

void TestBackgroundJob::threadsAreJoinedOnceDone()
{
    QObject context;
    BackgroundJob job(&context);
    int results = 0;
    for (int i = 0; i < 5; ++i) {
        job.start([](const JobControl&) { return 1; }, [&](int v) { results += v; });
        QTRY_COMPARE(results, i + 1);
    }
    // Each finished thread is joined by the reaper (when polled), none is left behind.
    QTRY_COMPARE(BackgroundJob::pendingThreads(), 0);
}

QTEST_GUILESS_MAIN(TestBackgroundJob)
void TestBackgroundJob::largeBlocksGoBackToTheSystem()
{
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    QSKIP("glibc's malloc only (sanitizers bring their own allocator; mallinfo2 reports zeros under them)");
#else
    // glibc's default: freeing a 20 MB mmapped block raises the mmap threshold to 20 MB, so the next
    // 5 MiB block comes from an arena and stays resident after it is freed. After
    // configureAllocatorForLongRuns every block of 4 MiB and more is mmapped (counted in hblkhd) and
    // unmapped when freed, whatever was freed before it.
    configureAllocatorForLongRuns();
    void* big = std::malloc(20 * 1000 * 1000);
    QVERIFY(big);
    static_cast<volatile char*>(big)[0] = 1;
    std::free(big);
    const std::size_t before = mallinfo2().hblkhd;
    void* block = std::malloc(5 * 1024 * 1024);
    QVERIFY(block);
    const std::size_t during = mallinfo2().hblkhd;
    std::free(block);
    const std::size_t after = mallinfo2().hblkhd;
    QVERIFY2(during >= before + 5 * 1024 * 1024,
             qPrintable(QString("a 5 MiB block was not mmapped: mmapped bytes %1 -> %2").arg(before).arg(during)));
    QCOMPARE(after, before);
#endif
}

#if defined(__GLIBC__)
// glibc's arenas: malloc_info writes one <heap nr="..."> element per arena.
static int mallocArenaCount()
{
    char* text = nullptr;
    std::size_t size = 0;
    FILE* out = open_memstream(&text, &size);
    if (!out)
        return -1;
    malloc_info(0, out);
    std::fclose(out);
    const QByteArray xml(text, static_cast<qsizetype>(size));
    std::free(text);
    return static_cast<int>(xml.count("<heap nr="));
}
#endif

void TestBackgroundJob::threadArenasAreCapped()
{
#if !defined(__GLIBC__) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    QSKIP("glibc's malloc only (sanitizers bring their own allocator)");
#else
    // glibc gives each new thread an arena of its own until there are 8 x cores of them; each keeps a
    // free top resident (docs/robustness.md "The memory limit"). After configureAllocatorForLongRuns
    // no thread arena beyond the second is created, however many threads allocate at once.
    configureAllocatorForLongRuns();
    const int before = mallocArenaCount();
    QVERIFY(before >= 1);
    // As many threads as glibc's default limit allows arenas: without the cap, every thread that finds
    // no free arena (those left by earlier tests' threads are reused first) creates one.
    const int kThreads = 8 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (before >= kThreads)
        QSKIP("earlier tests already created glibc's maximum of arenas: the cap cannot be seen");
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            ready.fetch_add(1);
            while (!go.load())
                std::this_thread::yield();
            void* p = std::malloc(1000); // the thread's first allocation picks (or creates) its arena
            static_cast<volatile char*>(p)[0] = 1;
            std::this_thread::sleep_for(50ms); // all threads hold their blocks at once
            std::free(p);
        });
    }
    while (ready.load() < kThreads)
        std::this_thread::yield();
    go.store(true);
    for (std::thread& t : threads)
        t.join();
    const int after = mallocArenaCount();
    QVERIFY2(after <= std::max(before, 2),
             qPrintable(QString("glibc arenas %1 -> %2 after %3 threads allocated").arg(before).arg(after).arg(kThreads)));
#endif
}

#include "tst_gui_backgroundjob.moc"
