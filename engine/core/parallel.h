#pragma once
// The one place the engine touches TBB: a parallel loop over fixed-size blocks.
//
// Blocks have a fixed size chosen by the caller (never derived from the thread count), and each
// block's result lands in its own rows, so outputs are identical on 1 or N threads.

#include <cstddef>
#include <functional>

namespace gsn {

// Runs body(begin, end) for [0, n) cut into blocks of `grain` (the last may be shorter),
// in parallel inside the engine's own task arena.
void parallelFor(std::size_t n, std::size_t grain, const std::function<void(std::size_t, std::size_t)>& body);

// Sets up the engine's threading (its task arena, and BLAS pinned to one thread inside it) without
// running anything. Work whose bits must not depend on what ran before it in the process (single-threaded
// code that calls BLAS before any parallelFor) calls this first: OpenBLAS's own threads give other bits.
void useEngineThreading();

// Number of worker threads the engine uses (GSN_THREADS environment variable, default: all cores).
int engineThreads();

// Changes the engine's thread count (tests run the same work on 1 and 2 threads).
void setEngineThreads(int threads);

// Marks the calling thread's engine work as background work (a training run while chains are
// watched): its parallelFor calls run in a low-priority arena, whose workers leave for the normal
// arena (chains, evaluation) whenever that has work, and the thread itself gets a lower OS priority
// (nice +10). Results are unchanged: block sizes never depend on which threads run them.
// Call it at the start of the thread; it lasts for the thread's lifetime.
void markBackgroundThread();

// Lowers the OS priority of the engine's compute threads to nice `nice` (0 leaves them as they are): the
// TBB workers of parallelFor, and every thread that calls applyWorkerNice() (a ChainRunner's thread, the
// studio's job threads). The studio sets it (nice +5), so the threads a display needs at once (the GUI
// thread, the OpenGL driver's rasterizer threads, the X server) win a core over chains and evaluations;
// training, at +10 (markBackgroundThread), stays below both. The command-line tools leave it at 0.
// Results are unchanged. A thread's nice is only ever raised (lowering it needs privileges).
void setWorkerNice(int nice);
int workerNice();
// Gives the calling thread the nice set by setWorkerNice (at the start of a compute thread).
void applyWorkerNice();

} // namespace gsn
