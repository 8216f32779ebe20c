#include "classmixingpanel.h"

#include "classcolours.h"
#include "classpcaview.h"
#include "classtimelineview.h"
#include "greyimage.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QToolButton>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace gsn {

namespace {

constexpr int kBar = 4; // height of the class bar under a digit

const ClassPanelSnapshot* panelOf(const ClassMixingSnapshotPtr& s, int index)
{
    return s && index >= 0 && index < static_cast<int>(s->panels.size()) ? &s->panels[static_cast<std::size_t>(index)] : nullptr;
}

QString figure(double v, int decimals)
{
    return std::isfinite(v) ? QString::number(v, 'f', decimals) : QStringLiteral("\u2014");
}

} // namespace

// ---- ClassDigitGrid -------------------------------------------------------------------------------

ClassDigitGrid::ClassDigitGrid(QWidget* parent) : QWidget(parent)
{
    setMouseTracking(true);
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

int ClassDigitGrid::columnsFor(int chains)
{
    if (chains <= 5)
        return chains;
    if (chains <= 10)
        return 5;
    return static_cast<int>(std::ceil(std::sqrt(static_cast<double>(chains))));
}

int ClassDigitGrid::heightForWidth(int width) const
{
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    const int chains = p && p->frame ? p->frame->chainCount() : 10;
    const int cols = std::max(1, columnsFor(chains));
    const int rows = (chains + cols - 1) / cols;
    const int cell = width / cols;
    // At most 180 pixels: with 100 chains the digits get smaller rather than push the plots off a
    // 768-pixel screen.
    return std::min(rows * (cell + kBar + 1), 180);
}

void ClassDigitGrid::setSnapshot(ClassMixingSnapshotPtr snapshot, int index)
{
    m_snapshot = std::move(snapshot);
    m_index = index;
    m_digits.clear();
    if (const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index); p && p->frame) {
        const Frame& f = *p->frame;
        for (int c = 0; c < f.chainCount(); ++c)
            m_digits.push_back(greyImage(f.cells.row(c).data(), f.layout.width, f.layout.height));
    }
    update();
}

QRect ClassDigitGrid::cellRect(int chain) const
{
    const int chains = static_cast<int>(m_digits.size());
    const int cols = std::max(1, columnsFor(chains));
    const int rows = (chains + cols - 1) / cols;
    // Square digits as large as fit the width and the height.
    const int cell = std::max(4, std::min(width() / cols, rows > 0 ? height() / rows - kBar - 1 : width()));
    const int left = (width() - cols * cell) / 2;
    return QRect(left + (chain % cols) * cell, (chain / cols) * (cell + kBar + 1), cell, cell);
}

void ClassDigitGrid::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    if (!p)
        return;
    const int chains = static_cast<int>(m_digits.size());
    const std::size_t last = p->recentSteps > 0 ? static_cast<std::size_t>(p->recentSteps - 1) * static_cast<std::size_t>(chains) : 0;
    for (int c = 0; c < chains; ++c) {
        const QRect r = cellRect(c);
        painter.drawImage(r.adjusted(1, 1, -1, -1), m_digits[static_cast<std::size_t>(c)]);
        const QRect bar(r.left() + 1, r.bottom() + 1, r.width() - 2, kBar);
        if (p->recentSteps > 0)
            painter.fillRect(bar, classShade(p->recentClass[last + c], p->recentConfidence[last + c]));
        else
            painter.fillRect(bar, palette().mid());
    }
}

void ClassDigitGrid::mouseMoveEvent(QMouseEvent* event)
{
    const ClassPanelSnapshot* p = panelOf(m_snapshot, m_index);
    const QPoint pos = event->position().toPoint();
    const int chains = static_cast<int>(m_digits.size());
    for (int c = 0; p && c < chains; ++c) {
        if (!cellRect(c).adjusted(0, 0, 0, kBar + 1).contains(pos))
            continue;
        QString text = tr("chain %1, step %2").arg(c + 1).arg(p->steps);
        if (p->recentSteps > 0) {
            const std::size_t at = static_cast<std::size_t>(p->recentSteps - 1) * static_cast<std::size_t>(chains) + static_cast<std::size_t>(c);
            text += tr(": class %1, confidence %2").arg(p->recentClass[at]).arg(static_cast<double>(p->recentConfidence[at]), 0, 'f', 2);
        }
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
        return;
    }
    QToolTip::hideText();
}

// ---- ClassMixingPanel -----------------------------------------------------------------------------

ClassMixingPanel::ClassMixingPanel(int index, QWidget* parent) : QFrame(parent), m_index(index)
{
    setObjectName(QStringLiteral("classPanel%1").arg(index + 1));
    setFrameShape(QFrame::StyledPanel);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 3, 4, 3);
    layout->setSpacing(3);
    m_title = new QLabel;
    m_title->setObjectName(QStringLiteral("classPanelTitle%1").arg(index + 1));
    m_title->setWordWrap(true);
    auto* titleRow = new QHBoxLayout;
    titleRow->setSpacing(2);
    titleRow->addWidget(m_title, 1);
    m_modelButton = new QToolButton;
    m_modelButton->setObjectName(QStringLiteral("classPanelModel%1").arg(index + 1));
    m_modelButton->setText(tr("Model"));
    m_modelButton->setPopupMode(QToolButton::InstantPopup);
    m_modelButton->setAutoRaise(true);
    auto* menu = new QMenu(m_modelButton);
    QAction* open = menu->addAction(tr("Open a checkpoint..."), this, [this] { emit openModelRequested(m_index); });
    open->setObjectName(QStringLiteral("classPanelOpenModel%1").arg(index + 1));
    const ClassMixingModelChoice embedded = classMixingChoice(index, "");
    m_embeddedAction = menu->addAction(tr("Embedded: %1").arg(QString::fromStdString(embedded.name)), this,
                                       [this] { emit embeddedModelRequested(m_index); });
    m_embeddedAction->setObjectName(QStringLiteral("classPanelEmbeddedModel%1").arg(index + 1));
    m_embeddedAction->setCheckable(true);
    m_modelButton->setMenu(menu);
    titleRow->addWidget(m_modelButton, 0, Qt::AlignTop);
    layout->addLayout(titleRow);
    setModelFile(QString());
    m_placeholder = new QLabel;
    m_placeholder->setWordWrap(true);
    m_placeholder->setAlignment(Qt::AlignCenter);
    layout->addWidget(m_placeholder, 1);
    m_digits = new ClassDigitGrid;
    m_digits->setObjectName(QStringLiteral("classDigits%1").arg(index + 1));
    m_digits->setToolTip(QString());
    layout->addWidget(m_digits);
    m_timeline = new ClassTimelineView;
    m_timeline->setObjectName(QStringLiteral("classTimeline%1").arg(index + 1));
    layout->addWidget(m_timeline, 1);
    m_metrics = new QLabel;
    m_metrics->setObjectName(QStringLiteral("classMetrics%1").arg(index + 1));
    m_metrics->setTextFormat(Qt::RichText);
    m_metrics->setWordWrap(true);
    m_metrics->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    // Five lines in every panel (tempering's swap rates are the fifth), so the plots below line up.
    m_metrics->setMinimumHeight(5 * m_metrics->fontMetrics().lineSpacing() + 2);
    m_metrics->setToolTip(tr("<p>From the engine's class-mixing metrics over the whole run (docs/mixing.md):</p>"
                             "<p><b>switches</b>: changes of the classifier's confident class per 100 steps (mean over chains; "
                             "unsure frames in between do not count)<br><b>all 10 classes</b>: the median over chains of the "
                             "steps until a chain has shown every digit, and how many of the chains have (\u201cnot reached\u201d until more than half did)<br>"
                             "<b>TV</b>: total variation between the visited classes' frequencies and the test set's (0 = the "
                             "same mix of digits, 1 = nothing in common)<br><b>unsure</b>: frames whose class probability is "
                             "below 0.5 (between digits)</p>"));
    layout->addWidget(m_metrics);
    m_pca = new ClassPcaView;
    m_pca->setObjectName(QStringLiteral("classPca%1").arg(index + 1));
    layout->addWidget(m_pca, 1);
    setPlaceholder(tr("Building the chains..."));
}

void ClassMixingPanel::setPlaceholder(const QString& text)
{
    m_placeholder->setText(text);
    m_placeholder->show();
    m_digits->hide();
    m_timeline->hide();
    m_pca->hide();
    m_metrics->clear();
}

QStringList ClassMixingPanel::metricLines(const ClassPanelSnapshot& p, int chains)
{
    const mixing::MixingReport& r = p.report.mixing;
    QStringList lines;
    lines << tr("switches: <b>%1</b> per 100 steps").arg(figure(r.meanSwitchRatePer100, 2));
    lines << (r.firstVisit.reached() ? tr("all 10 classes: median <b>%1</b> steps (%2/%3)")
                                            .arg(static_cast<long long>(r.firstVisit.median))
                                            .arg(r.firstVisit.completed)
                                            .arg(chains)
                                      : tr("all 10 classes: <b>not reached</b> (%1/%2)").arg(r.firstVisit.completed).arg(chains));
    lines << tr("TV vs test classes: <b>%1</b>").arg(figure(r.totalVariation, 3));
    lines << tr("unsure frames: <b>%1 %</b>").arg(figure(100.0 * p.report.unsureFraction, 1));
    if (!r.swapRates.empty()) {
        if (r.swapRates.size() <= 3) {
            QStringList rates;
            for (double v : r.swapRates)
                rates << figure(v, 4);
            lines << tr("swap rates: %1").arg(rates.join(QStringLiteral(", ")));
        } else { // a dense ladder: its range fits one line (the JSON export has every pair)
            const auto [lo, hi] = std::minmax_element(r.swapRates.begin(), r.swapRates.end());
            lines << tr("swap rates, %1 pairs: %2 to %3").arg(r.swapRates.size()).arg(figure(*lo, 3), figure(*hi, 3));
        }
    }
    return lines;
}

void ClassMixingPanel::setSnapshot(ClassMixingSnapshotPtr snapshot)
{
    const ClassPanelSnapshot* p = panelOf(snapshot, m_index);
    if (!p)
        return;
    m_title->setText(tr("<b>%1</b><br><small>%2, %3 steps</small>")
                         .arg(QString::fromStdString(p->name).toHtmlEscaped(), QString::fromStdString(p->sampler).toHtmlEscaped())
                         .arg(p->steps));
    m_placeholder->hide();
    m_digits->show();
    m_timeline->show();
    m_pca->show();
    m_digits->setSnapshot(snapshot, m_index);
    m_timeline->setSnapshot(snapshot, m_index);
    m_pca->setSnapshot(snapshot, m_index);
    m_metrics->setText(metricLines(*p, snapshot->config.chains).join(QStringLiteral("<br>")));
}

void ClassMixingPanel::setModelFile(const QString& file)
{
    m_embeddedAction->setChecked(file.isEmpty());
    const ClassMixingModelChoice embedded = classMixingChoice(m_index, "");
    m_modelButton->setToolTip(
        file.isEmpty()
            ? tr("Runs the embedded %1. Open a checkpoint to run another model in this panel%2 (same start, seed and controller).")
                  .arg(QString::fromStdString(embedded.name), embedded.tempering ? tr(" (an RBM: it keeps the ladder)") : QString())
            : tr("Runs %1. Back to the embedded %2 from this menu.").arg(file, QString::fromStdString(embedded.name)));
}

QString ClassMixingPanel::metricsText() const
{
    QString text = m_metrics->text();
    text.replace(QStringLiteral("<br>"), QStringLiteral("\n"));
    text.remove(QStringLiteral("<b>"));
    text.remove(QStringLiteral("</b>"));
    return text;
}

} // namespace gsn
