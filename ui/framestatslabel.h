#pragma once
// Status-bar label with the chain view's frames drawn per second and frames dropped (published by
// producers but superseded before the view could draw them), updated once a second.

#include <QElapsedTimer>
#include <QLabel>
#include <QTimer>

#include <cstdint>

namespace gsn {

class ChainView;

class FrameStatsLabel : public QLabel {
    Q_OBJECT
public:
    explicit FrameStatsLabel(ChainView* view, QWidget* parent = nullptr);

    double framesPerSecond() const { return m_fps; } // over the last update interval

public slots:
    void updateStats();

private:
    ChainView* m_view;
    QTimer m_timer;
    QElapsedTimer m_clock;
    std::int64_t m_lastDrawn = 0;
    double m_fps = 0.0;
};

} // namespace gsn
