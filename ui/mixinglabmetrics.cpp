#include "mixinglabmetrics.h"

#include "error.h"
#include "jsonnumber.h"
#include "mixinglabpanel.h"
#include "plotaxes.h"

#include <QHBoxLayout>
#include <QComboBox>
#include <QHeaderView>
#include <QPainter>
#include <QSaveFile>
#include <QScrollBar>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace gsn {

namespace {

std::string fixed(double v, int decimals)
{
    if (!std::isfinite(v))
        return {};
    std::ostringstream out;
    out << std::fixed << std::setprecision(decimals) << v;
    return out.str();
}

std::string rhatText(const mixing::RhatValue& r)
{
    const std::string state = r.state();
    if (state == "ok")
        return fixed(r.rank, 3);
    return state; // "infinite" (the chains never mix) or "undefined" (every draw the same)
}

std::string essText(double ess)
{
    return std::isfinite(ess) ? fixed(ess, 0) : std::string("undefined");
}

int modesVisited(const mixing::MixingReport& r)
{
    return static_cast<int>(std::count_if(r.visits.begin(), r.visits.end(), [](std::int64_t v) { return v > 0; }));
}

constexpr int kSwapColumn = 8; // "Swap rate (pt)" in the table

double meanSwapRate(const mixing::MixingReport& r)
{
    if (r.swapRates.empty())
        return std::numeric_limits<double>::quiet_NaN();
    double s = 0;
    for (double v : r.swapRates)
        s += v;
    return s / static_cast<double>(r.swapRates.size());
}

const std::vector<QString>& columnLabels()
{
    static const std::vector<QString> labels = {
        QObject::tr("Panel"),          QObject::tr("Sampler"),       QObject::tr("Steps"),
        QObject::tr("Modes visited"),  QObject::tr("Chains that saw all"), QObject::tr("Median steps to all"),
        QObject::tr("TV visits"),      QObject::tr("Acceptance"),    QObject::tr("Swap rate (pt)"),
        QObject::tr("Switches / 100"), QObject::tr("KL (nats)"),     QObject::tr("R-hat x\u2081"),
        QObject::tr("R-hat x\u2082"),  QObject::tr("ESS x\u2081"),   QObject::tr("ESS x\u2082"),
        QObject::tr("Mode R-hat")};
    return labels;
}

} // namespace

const std::vector<std::string>& MixingLabMetrics::tableColumns()
{
    static const std::vector<std::string> columns = {
        "panel", "sampler", "steps", "modes_visited", "chains_all_modes", "median_steps_all_modes",
        "tv_visits", "acceptance_rate", "swap_rate", "switch_rate_per_100", "kl", "rhat_x1", "rhat_x2",
        "ess_bulk_x1", "ess_bulk_x2", "mode_rhat_max"};
    return columns;
}

std::vector<std::string> MixingLabMetrics::tableRow(const MixingLabSnapshot& snapshot, int panel)
{
    const LabPanelSnapshot& p = snapshot.panels.at(static_cast<std::size_t>(panel));
    const mixing::MixingReport& r = p.report;
    std::vector<std::string> row;
    row.push_back(std::to_string(panel + 1));
    row.push_back(p.label);
    row.push_back(std::to_string(p.steps));
    row.push_back(std::to_string(modesVisited(r)) + " of " + std::to_string(r.visits.size()));
    row.push_back(std::to_string(r.firstVisit.completed) + " of " + std::to_string(r.firstVisit.chains));
    row.push_back(r.firstVisit.reached() ? fixed(r.firstVisit.median, 0) : std::string("not reached"));
    row.push_back(fixed(r.totalVariation, 3));
    row.push_back(fixed(r.acceptanceRate, 3));
    row.push_back(fixed(meanSwapRate(r), 3));
    row.push_back(fixed(r.meanSwitchRatePer100, 3));
    row.push_back(fixed(p.kl, 4));
    for (int i = 0; i < 2; ++i)
        row.push_back(i < static_cast<int>(r.coordinates.size()) ? rhatText(r.coordinates[static_cast<std::size_t>(i)].rhat)
                                                                  : std::string());
    for (int i = 0; i < 2; ++i)
        row.push_back(i < static_cast<int>(r.coordinates.size()) ? essText(r.coordinates[static_cast<std::size_t>(i)].essBulk)
                                                                  : std::string());
    const bool anyInfinite = std::isinf(r.modeRhatMax);
    row.push_back(std::isnan(r.modeRhatMax) ? std::string("undefined")
                                            : anyInfinite ? std::string("infinite") : fixed(r.modeRhatMax, 3));
    return row;
}

namespace {

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string csvLine(const std::vector<std::string>& fields)
{
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i)
        line += (i ? "," : "") + csvField(fields[i]);
    return line + "\n";
}

std::string csvNumber(double v)
{
    if (std::isnan(v))
        return {};
    if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
    std::ostringstream out;
    out << std::setprecision(9) << v;
    return out.str();
}

} // namespace

std::string MixingLabMetrics::tableCsv(const MixingLabSnapshot& snapshot)
{
    std::string out = csvLine(tableColumns());
    for (int i = 0; i < static_cast<int>(snapshot.panels.size()); ++i)
        out += csvLine(tableRow(snapshot, i));
    return out;
}

std::string MixingLabMetrics::seriesCsv(const MixingLabSnapshot& snapshot)
{
    std::string out = csvLine({"panel", "sampler", "step", "switch_rate_per_100", "kl", "acceptance_rate", "rhat_max"});
    for (std::size_t i = 0; i < snapshot.panels.size(); ++i)
        for (const LabSeriesPoint& s : snapshot.panels[i].series)
            out += csvLine({std::to_string(i + 1), snapshot.panels[i].sampler, std::to_string(s.step), csvNumber(s.switchRate),
                            csvNumber(s.kl), csvNumber(s.acceptance), csvNumber(s.rhat)});
    return out;
}

nlohmann::json MixingLabMetrics::toJson(const MixingLabSnapshot& snapshot)
{
    nlohmann::json out;
    out["target"] = snapshot.targetConfig;
    out["beta"] = snapshot.beta;
    out["chains"] = snapshot.chains;
    out["seed"] = snapshot.seed;
    out["modes"] = snapshot.weights.size();
    out["true_weights"] = snapshot.weights;
    out["kl_grid"] = {{"box", snapshot.box}, {"epsilon", mixing::kDefaultKlEpsilon}};
    out["panels"] = nlohmann::json::array();
    for (std::size_t i = 0; i < snapshot.panels.size(); ++i) {
        const LabPanelSnapshot& p = snapshot.panels[i];
        const mixing::MixingReport& r = p.report;
        nlohmann::json j;
        j["panel"] = i + 1;
        j["sampler"] = p.sampler;
        j["label"] = p.label;
        j["step_control"] = p.step;
        j["steps"] = p.steps;
        j["acceptance_rate"] = jsonNumber(r.acceptanceRate);
        nlohmann::json swaps = nlohmann::json::array();
        for (double v : r.swapRates)
            swaps.push_back(jsonNumber(v));
        j["swap_rates"] = swaps;
        j["switch_rate_per_100"] = r.meanSwitchRatePer100;
        j["current_modes"] = r.currentModes;
        j["modes_visited"] = modesVisited(r);
        j["first_visit"] = {{"median", jsonNumber(r.firstVisit.median)},
                            {"completed", r.firstVisit.completed},
                            {"chains", r.firstVisit.chains}};
        j["visits"] = {{"counts", r.visits}, {"frequencies", r.visitFrequencies}, {"total_variation", jsonNumber(r.totalVariation)}};
        j["kl"] = jsonNumber(p.kl);
        nlohmann::json rhat = nlohmann::json::array(), state = nlohmann::json::array(), ess = nlohmann::json::array();
        for (const mixing::CoordinateDiagnostics& c : r.coordinates) {
            rhat.push_back(jsonNumber(c.rhat.rank));
            state.push_back(c.rhat.state());
            ess.push_back(jsonNumber(c.essBulk));
        }
        j["rhat"] = rhat;
        j["rhat_state"] = state;
        j["ess_bulk"] = ess;
        j["mode_rhat"] = {{"max", jsonNumber(r.modeRhatMax)},
                          {"max_state", std::isnan(r.modeRhatMax) ? "undefined" : std::isinf(r.modeRhatMax) ? "infinite" : "ok"}};
        nlohmann::json series = {{"step", nlohmann::json::array()},        {"switch_rate_per_100", nlohmann::json::array()},
                                 {"kl", nlohmann::json::array()},          {"acceptance_rate", nlohmann::json::array()},
                                 {"rhat_max", nlohmann::json::array()}};
        for (const LabSeriesPoint& s : p.series) {
            series["step"].push_back(s.step);
            series["switch_rate_per_100"].push_back(jsonNumber(s.switchRate));
            series["kl"].push_back(jsonNumber(s.kl));
            series["acceptance_rate"].push_back(jsonNumber(s.acceptance));
            series["rhat_max"].push_back(jsonNumber(s.rhat));
        }
        j["series"] = series;
        out["panels"].push_back(j);
    }
    return out;
}

void MixingLabMetrics::writeAtomically(const QString& path, const std::string& text)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(text.data(), static_cast<qint64>(text.size())) != static_cast<qint64>(text.size()) || !file.commit())
        fail(path.toStdString(), "", "cannot write the metrics: " + file.errorString().toStdString());
}

MixingLabMetrics::MixingLabMetrics(QWidget* parent) : QWidget(parent)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto* plots = new QHBoxLayout;
    plots->setSpacing(4);
    m_plots = {new MixingLabMetricPlot(tr("switches / 100"), false, 0.0, nan),
               new MixingLabMetricPlot(tr("KL to truth (nats)"), true, nan, nan),
               new MixingLabMetricPlot(tr("acceptance rate"), false, 0.0, 1.0),
               new MixingLabMetricPlot(tr("rank R-hat (max)"), false, 1.0, nan),
               new MixingLabMetricPlot(tr("x\u2081 of chain 1"), false, nan, nan)};
    m_plots[4]->setStepsFromData(true);
    const char* names[] = {"labPlotSwitches", "labPlotKl", "labPlotAcceptance", "labPlotRhat", "labPlotTrace"};
    for (std::size_t i = 0; i + 1 < m_plots.size(); ++i) {
        m_plots[i]->setObjectName(QString::fromLatin1(names[i]));
        plots->addWidget(m_plots[i], 1);
    }
    // The trace plot with its coordinate chooser.
    m_plots[4]->setObjectName(QString::fromLatin1(names[4]));
    auto* trace = new QVBoxLayout;
    trace->setSpacing(0);
    m_traceChoice = new QComboBox;
    m_traceChoice->setObjectName(QStringLiteral("labTraceCoordinate"));
    m_traceChoice->addItem(tr("trace of x\u2081"));
    m_traceChoice->addItem(tr("trace of x\u2082"));
    m_traceChoice->setToolTip(tr("Which coordinate the trace plot shows"));
    connect(m_traceChoice, &QComboBox::currentIndexChanged, this, &MixingLabMetrics::setTraceCoordinate);
    trace->addWidget(m_traceChoice, 0, Qt::AlignRight);
    trace->addWidget(m_plots[4], 1);
    plots->addLayout(trace, 1);
    m_plots[0]->setToolTip(tr("Mean over chains of the steps whose mode differs from the last one, per 100 steps, over the whole run"));
    m_plots[1]->setToolTip(tr("KL(chain histogram || truth) on a 64 x 64 grid over the target's box (smoothing 1e-3), all chains and steps so far"));
    m_plots[2]->setToolTip(tr("Accepted / proposed since the start (samplers without an accept step have none)"));
    m_plots[4]->setToolTip(tr("Trace plot: the first coordinate of chain 1 of every panel over its last 400 steps"));
    m_plots[3]->setToolTip(tr("Rank-normalised split R-hat, the larger of x\u2081 and x\u2082 (Vehtari et al. 2021); "
                              "chains stuck in different modes give infinity, drawn at the top edge"));
    layout->addLayout(plots, 3);
    m_table = new QTableWidget(0, static_cast<int>(columnLabels().size()));
    m_table->setObjectName(QStringLiteral("labMetricsTable"));
    QStringList headers;
    for (const QString& h : columnLabels())
        headers << h;
    m_table->setHorizontalHeaderLabels(headers);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 4);
    m_table->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    // As tall as a header and four rows (and a scroll bar): the rest goes to the plots and panels.
    m_table->setMaximumHeight(m_table->horizontalHeader()->sizeHint().height() + 4 * m_table->verticalHeader()->defaultSectionSize() +
                              m_table->horizontalScrollBar()->sizeHint().height() + 2 * m_table->frameWidth() + 2);
    layout->addWidget(m_table, 2);
}

void MixingLabMetrics::setTraceCoordinate(int coordinate)
{
    m_traceCoordinate = coordinate == 1 ? 1 : 0;
    if (m_traceChoice->currentIndex() != m_traceCoordinate)
        m_traceChoice->setCurrentIndex(m_traceCoordinate);
    m_plots[4]->setTitle(m_traceCoordinate == 0 ? tr("x\u2081 of chain 1") : tr("x\u2082 of chain 1"));
    m_plots[4]->setToolTip(tr("Trace plot: coordinate %1 of chain 1 of every panel over its last 400 steps").arg(m_traceCoordinate + 1));
    setSnapshot(m_snapshot);
}

MixingLabMetricPlot* MixingLabMetrics::plot(int i) const
{
    return i >= 0 && i < static_cast<int>(m_plots.size()) ? m_plots[static_cast<std::size_t>(i)] : nullptr;
}

void MixingLabMetrics::setSnapshot(MixingLabSnapshotPtr snapshot)
{
    m_snapshot = std::move(snapshot);
    if (!m_snapshot)
        return;
    const int n = static_cast<int>(m_snapshot->panels.size());
    std::vector<std::vector<MixingLabMetricPlot::Series>> series(5);
    for (int i = 0; i < n; ++i) {
        const LabPanelSnapshot& p = m_snapshot->panels[static_cast<std::size_t>(i)];
        for (auto& s : series)
            s.push_back({QStringLiteral("%1 %2").arg(i + 1).arg(QString::fromStdString(p.sampler)), MixingLabPanel::panelColor(i), {}});
        for (const LabSeriesPoint& pt : p.series) {
            const double x = static_cast<double>(pt.step);
            series[0].back().points.emplace_back(x, pt.switchRate);
            series[1].back().points.emplace_back(x, pt.kl);
            series[2].back().points.emplace_back(x, pt.acceptance);
            series[3].back().points.emplace_back(x, pt.rhat);
        }
        for (const auto& t : p.trace)
            series[4].back().points.emplace_back(static_cast<double>(t[0]), static_cast<double>(t[1 + m_traceCoordinate]));
    }
    for (std::size_t k = 0; k < m_plots.size(); ++k)
        m_plots[k]->setSeries(std::move(series[k]));

    m_table->setRowCount(n);
    for (int i = 0; i < n; ++i) {
        const std::vector<std::string> row = tableRow(*m_snapshot, i);
        for (int c = 0; c < static_cast<int>(row.size()); ++c) {
            QTableWidgetItem* item = m_table->item(i, c);
            if (!item) {
                item = new QTableWidgetItem;
                item->setTextAlignment(c <= 1 ? Qt::AlignLeft | Qt::AlignVCenter : Qt::AlignRight | Qt::AlignVCenter);
                m_table->setItem(i, c, item);
            }
            item->setText(QString::fromStdString(row[static_cast<std::size_t>(c)]));
            if (c == 0)
                item->setForeground(MixingLabPanel::panelColor(i));
        }
        // The swap-rate cell's tooltip: every neighbouring pair's rate (beta_r <-> beta_r+1).
        const std::vector<double>& rates = m_snapshot->panels[static_cast<std::size_t>(i)].report.swapRates;
        QStringList pairs;
        for (std::size_t r = 0; r < rates.size(); ++r)
            pairs << tr("pair %1-%2: %3").arg(r + 1).arg(r + 2).arg(rates[r], 0, 'f', 3);
        if (QTableWidgetItem* swap = m_table->item(i, kSwapColumn))
            swap->setToolTip(pairs.isEmpty() ? QString() : tr("Swap rate per neighbouring replica pair (1 = beta 1):\n") + pairs.join('\n'));
    }
}

MixingLabMetricPlot::MixingLabMetricPlot(const QString& title, bool logScale, double fixedLo, double fixedHi, QWidget* parent)
    : QWidget(parent), m_title(title), m_log(logScale), m_fixedLo(fixedLo), m_fixedHi(fixedHi), m_xTitle(tr("step"))
{
    setMinimumSize(160, 120);
}

void MixingLabMetricPlot::setXTitle(const QString& title)
{
    m_xTitle = title;
    update();
}

void MixingLabMetricPlot::setTitle(const QString& title)
{
    m_title = title;
    update();
}

void MixingLabMetricPlot::setStepsFromData(bool on)
{
    m_xFromData = on;
    update();
}

void MixingLabMetricPlot::setSeries(std::vector<Series> series)
{
    m_series = std::move(series);
    update();
}

void MixingLabMetricPlot::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QFontMetrics fm = p.fontMetrics();
    const auto value = [this](double v) { return m_log ? std::log10(v) : v; };
    const auto usable = [this](double v) { return std::isfinite(v) && (!m_log || v > 0); };
    double xhi = 1, lo = std::numeric_limits<double>::infinity(), hi = -lo;
    double xlo = m_xFromData ? std::numeric_limits<double>::infinity() : 0.0;
    bool anyInfinite = false;
    for (const Series& s : m_series)
        for (const QPointF& pt : s.points) {
            xhi = std::max(xhi, pt.x());
            xlo = std::min(xlo, pt.x());
            if (usable(pt.y())) {
                lo = std::min(lo, value(pt.y()));
                hi = std::max(hi, value(pt.y()));
            } else if (std::isinf(pt.y()) && pt.y() > 0) {
                anyInfinite = true;
            }
        }
    if (!std::isfinite(lo)) {
        lo = m_log ? -2 : 0;
        hi = m_log ? 1 : 1;
    }
    if (!std::isnan(m_fixedLo))
        lo = value(m_fixedLo);
    if (!std::isnan(m_fixedHi))
        hi = value(m_fixedHi);
    if (hi - lo < (m_log ? 0.3 : 1e-3)) {
        const double mid = 0.5 * (hi + lo), half = m_log ? 0.15 : std::max(0.05, std::abs(mid) * 0.1);
        hi = mid + half;
        if (std::isnan(m_fixedLo))
            lo = mid - half;
    } else if (std::isnan(m_fixedHi)) {
        hi += 0.05 * (hi - lo);
    }
    // Log axes: ticks at nice values of the data (within a decade or so) or at 1, 2, 5 x 10^k.
    std::vector<double> yt;
    if (!m_log) {
        yt = niceTicks(lo, hi, 3);
    } else if (hi - lo < 1.2) {
        for (double v : niceTicks(std::pow(10.0, lo), std::pow(10.0, hi), 3))
            if (v > 0)
                yt.push_back(std::log10(v));
    } else {
        const bool dense = hi - lo < 2.5;
        for (double d = std::floor(lo); d <= std::ceil(hi); d += 1.0)
            for (double m : dense ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
                const double t = d + std::log10(m);
                if (t >= lo && t <= hi)
                    yt.push_back(t);
            }
    }
    const AxisSpec ys{lo, hi, m_title, yt, m_log};
    QString widest = QStringLiteral("0.00");
    for (double t : yt) {
        const QString l = m_log ? QString::number(std::pow(10.0, t), 'g', 3) : tickLabel(t, yt.size() > 1 ? yt[1] - yt[0] : 1.0);
        if (fm.horizontalAdvance(l) > fm.horizontalAdvance(widest))
            widest = l;
    }
    const PlotMargins m = plotMargins(fm, widest, true);
    const QRectF area(m.left, m.top, std::max(10.0, width() - m.left - m.right), std::max(10.0, height() - m.top - m.bottom));
    if (!std::isfinite(xlo) || xlo >= xhi)
        xlo = std::isfinite(xlo) ? xhi - 1 : 0.0;
    drawAxes(p, area, AxisSpec{xlo, xhi, m_xTitle, {}, false}, ys, palette());

    // legend along the top (panel numbers only when the names do not fit)
    double full = 0;
    for (const Series& s : m_series)
        full += 13 + fm.horizontalAdvance(s.name) + 10;
    const bool numbersOnly = full > width() - area.left();
    double lx = area.left();
    for (const Series& s : m_series) {
        const QString name = numbersOnly ? s.name.section(QLatin1Char(' '), 0, 0) : s.name;
        p.fillRect(QRectF(lx, 3 + fm.height() / 2.0 - 3, 10, 6), s.color);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QPointF(lx + 13, 2 + fm.ascent()), name);
        lx += 13 + fm.horizontalAdvance(name) + 10;
    }
    if (anyInfinite) {
        p.setPen(palette().color(QPalette::Mid));
        p.drawText(QPointF(area.right() - fm.horizontalAdvance(QStringLiteral("top: \u221e")) - 2, area.top() + fm.ascent()),
                   QStringLiteral("top: \u221e"));
    }

    p.save();
    p.setClipRect(area.adjusted(-2, -2, 2, 2));
    const auto sx = [&](double x) { return area.left() + (x - xlo) / (xhi - xlo) * area.width(); };
    const auto sy = [&](double y) { return area.bottom() - (y - lo) / (hi - lo) * area.height(); };
    for (const Series& s : m_series) {
        p.setPen(QPen(s.color, 1.6));
        QPointF last;
        bool have = false;
        for (const QPointF& pt : s.points) {
            double y;
            if (usable(pt.y()))
                y = sy(value(pt.y()));
            else if (std::isinf(pt.y()) && pt.y() > 0)
                y = area.top();
            else {
                have = false; // a gap
                continue;
            }
            const QPointF q(sx(pt.x()), std::clamp(y, area.top(), area.bottom()));
            if (have)
                p.drawLine(last, q);
            else
                p.drawPoint(q);
            last = q;
            have = true;
        }
    }
    p.restore();
}

} // namespace gsn
