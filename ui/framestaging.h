#pragma once
// Staging buffer between producers (engine threads) and the chain view (GUI thread).
// Producers publish the newest frame under a short lock and never wait for the view; the view
// takes the newest frame at its own refresh and counts the frames it never drew (skipped).
// A short history of published frames (every one, not only the drawn ones) feeds the filmstrip.
// The view need not poll: a notify callback tells it (from the producer's thread) that a frame is
// waiting, once per take, so a burst of frames costs the GUI thread one queued update.

#include "chainframe.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace gsn {

class FrameStaging {
public:
    // historyDepth: how many of the most recently published frames history() can return.
    explicit FrameStaging(int historyDepth = 16);

    // Thread-safe, any thread. Replaces the pending frame; a null frame is ignored.
    void publish(FramePtr frame);

    // Called on the publishing thread when a frame is published while none is pending, i.e. at most
    // once between two takes (or resets): the receiver posts itself one update and takes the frame
    // then. Runs under the staging's notify lock, so it must be short (post an event) and not call
    // back into the staging; after setNotify returns, the previous callback is no longer running and
    // is never called again. Empty = no notification.
    void setNotify(std::function<void()> notify);

    // GUI thread. Returns the newest frame published since the last take, or null when nothing new.
    // Every frame published but superseded before a take counts as skipped.
    FramePtr takeNewest();

    // The last n published frames, oldest first (fewer when fewer were published).
    std::vector<FramePtr> history(int n) const;

    void setHistoryDepth(int depth);
    int historyDepth() const;

    std::int64_t publishedCount() const; // frames published since construction or reset()
    std::int64_t takenCount() const;     // frames returned by takeNewest()
    std::int64_t skippedCount() const;   // frames superseded before anyone took them

    // Drops the pending frame and the history, and zeroes the counters.
    void reset();

private:
    mutable std::mutex m_mutex;
    std::mutex m_notifyMutex; // held while the callback runs: setNotify waits for it to return
    std::function<void()> m_notify;
    FramePtr m_pending;
    std::deque<FramePtr> m_history; // newest at the back
    int m_historyDepth;
    std::int64_t m_published = 0;
    std::int64_t m_taken = 0;
    std::int64_t m_skipped = 0;
    std::int64_t m_pendingCount = 0; // frames published since the last take
};

} // namespace gsn
