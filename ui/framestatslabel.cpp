#include "framestatslabel.h"

#include "chainview.h"

namespace gsn {

FrameStatsLabel::FrameStatsLabel(ChainView* view, QWidget* parent) : QLabel(parent), m_view(view)
{
    setObjectName(QStringLiteral("frameStats"));
    setToolTip(tr("Frames drawn per second by the chain view, and frames dropped because a newer one "
                  "arrived before the view refreshed"));
    m_clock.start();
    connect(&m_timer, &QTimer::timeout, this, &FrameStatsLabel::updateStats);
    m_timer.start(1000);
    updateStats();
}

void FrameStatsLabel::updateStats()
{
    const double seconds = m_clock.restart() / 1000.0;
    const std::int64_t drawn = m_view->framesDrawn();
    m_fps = seconds > 0.0 ? (drawn - m_lastDrawn) / seconds : 0.0;
    m_lastDrawn = drawn;
    setText(tr("frames drawn/s: %1   dropped: %2").arg(m_fps, 0, 'f', 1).arg(m_view->framesSkipped()));
}

} // namespace gsn
