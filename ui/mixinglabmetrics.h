#pragma once
// The metrics under the Mixing lab's panels (issue 13 item 4; docs/mixing.md "The lab window"): live
// line plots over the steps (mode-switch rate per 100 steps, KL of the chains' histogram to the truth
// on the grid, acceptance rate, rank R-hat, and a trace plot of chain 1's x1), one colour per panel with a legend and labelled axes, and
// a table of the current figures of every panel (modes visited, chains that saw every mode and the
// median steps until they did, TV of the visit frequencies against the true weights, acceptance, pt's
// swap rates, the switch rate, KL, rank R-hat and bulk ESS per coordinate, the mode R-hat). Exports:
// the table as CSV, the series as CSV, everything as JSON (atomic writes: QSaveFile).
//
// Every figure is the engine's (MixingMonitor::report, mixingmetrics.h); nothing is computed here.

#include "mixinglabrun.h"

#include <nlohmann/json.hpp>

#include <QWidget>

#include <string>
#include <vector>

class QComboBox;
class QTableWidget;

namespace gsn {

class MixingLabMetricPlot;

class MixingLabMetrics : public QWidget {
    Q_OBJECT
public:
    explicit MixingLabMetrics(QWidget* parent = nullptr);

    void setSnapshot(MixingLabSnapshotPtr snapshot);
    MixingLabSnapshotPtr snapshot() const { return m_snapshot; }
    QTableWidget* table() const { return m_table; }
    // The plots: 0 switch rate, 1 KL, 2 acceptance, 3 R-hat, 4 the trace of chain 1's x1.
    MixingLabMetricPlot* plot(int i) const;
    // The trace plot's coordinate: 0 = x1, 1 = x2 (its chooser above the plot).
    void setTraceCoordinate(int coordinate);
    int traceCoordinate() const { return m_traceCoordinate; }

    // The column names of the table / the CSV, in order.
    static const std::vector<std::string>& tableColumns();
    // The table's cells for one panel (as text: "" for a figure that does not apply, "undefined" /
    // "infinite" for R-hat and ESS that are not finite).
    static std::vector<std::string> tableRow(const MixingLabSnapshot& snapshot, int panel);
    // The CSV of the table (header, one row per panel), the CSV of the series (panel, sampler, step,
    // switch_rate_per_100, kl, acceptance_rate, rhat_max), and the JSON of everything.
    static std::string tableCsv(const MixingLabSnapshot& snapshot);
    static std::string seriesCsv(const MixingLabSnapshot& snapshot);
    static nlohmann::json toJson(const MixingLabSnapshot& snapshot);
    // Writes `text` to `path` atomically (QSaveFile); gsn::Error naming the file on failure.
    static void writeAtomically(const QString& path, const std::string& text);

private:
    MixingLabSnapshotPtr m_snapshot;
    std::vector<MixingLabMetricPlot*> m_plots;
    QTableWidget* m_table = nullptr;
    int m_traceCoordinate = 0;
    QComboBox* m_traceChoice = nullptr;
};

// One live line plot: a series per panel over the steps, with axes and a legend.
class MixingLabMetricPlot : public QWidget {
    Q_OBJECT
public:
    struct Series {
        QString name;
        QColor color;
        std::vector<QPointF> points; // (step, value); NaN values are gaps, +inf is drawn at the top edge
    };
    MixingLabMetricPlot(const QString& title, bool logScale, double fixedLo, double fixedHi, QWidget* parent = nullptr);
    void setSeries(std::vector<Series> series);
    // The step axis spans the data (a trace window) instead of 0 .. the last step.
    void setStepsFromData(bool on);
    void setTitle(const QString& title);
    void setXTitle(const QString& title); // default "step"
    QString title() const { return m_title; }
    const std::vector<Series>& series() const { return m_series; }
    QSize sizeHint() const override { return {260, 170}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QString m_title;
    bool m_log;
    double m_fixedLo, m_fixedHi; // NaN: from the data
    std::vector<Series> m_series;
    bool m_xFromData = false;
    QString m_xTitle;
};

} // namespace gsn
