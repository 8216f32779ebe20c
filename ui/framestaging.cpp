#include "framestaging.h"

#include <algorithm>
#include <utility>

namespace gsn {

FrameStaging::FrameStaging(int historyDepth) : m_historyDepth(std::max(1, historyDepth)) {}

void FrameStaging::publish(FramePtr frame)
{
    if (!frame)
        return;
    FramePtr dropped; // released outside the lock: freeing a large frame should not stall the other side
    bool wasEmpty = false;
    {
        std::lock_guard lock(m_mutex);
        wasEmpty = !m_pending;
        dropped = std::move(m_pending);
        m_pending = frame;
        ++m_published;
        ++m_pendingCount;
        m_history.push_back(std::move(frame));
        while (static_cast<int>(m_history.size()) > m_historyDepth)
            m_history.pop_front();
    }
    // Outside the frame lock (the receiver may be taking at this moment); a frame replacing a
    // pending one needs no second notification, the first update takes it.
    if (wasEmpty) {
        std::lock_guard lock(m_notifyMutex);
        if (m_notify)
            m_notify();
    }
}

void FrameStaging::setNotify(std::function<void()> notify)
{
    std::lock_guard lock(m_notifyMutex);
    m_notify = std::move(notify);
}

FramePtr FrameStaging::takeNewest()
{
    std::lock_guard lock(m_mutex);
    if (!m_pending)
        return nullptr;
    m_skipped += m_pendingCount - 1;
    m_pendingCount = 0;
    ++m_taken;
    return std::exchange(m_pending, nullptr);
}

std::vector<FramePtr> FrameStaging::history(int n) const
{
    std::lock_guard lock(m_mutex);
    const int count = std::clamp(n, 0, static_cast<int>(m_history.size()));
    return std::vector<FramePtr>(m_history.end() - count, m_history.end());
}

void FrameStaging::setHistoryDepth(int depth)
{
    std::lock_guard lock(m_mutex);
    m_historyDepth = std::max(1, depth);
    while (static_cast<int>(m_history.size()) > m_historyDepth)
        m_history.pop_front();
}

int FrameStaging::historyDepth() const
{
    std::lock_guard lock(m_mutex);
    return m_historyDepth;
}

std::int64_t FrameStaging::publishedCount() const
{
    std::lock_guard lock(m_mutex);
    return m_published;
}

std::int64_t FrameStaging::takenCount() const
{
    std::lock_guard lock(m_mutex);
    return m_taken;
}

std::int64_t FrameStaging::skippedCount() const
{
    std::lock_guard lock(m_mutex);
    return m_skipped;
}

void FrameStaging::reset()
{
    std::lock_guard lock(m_mutex);
    m_pending.reset();
    m_history.clear();
    m_published = m_taken = m_skipped = m_pendingCount = 0;
}

} // namespace gsn
