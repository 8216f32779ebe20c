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

} // namespace gsn
