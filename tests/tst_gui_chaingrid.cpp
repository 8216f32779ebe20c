// The chain view's grid layout (no OpenGL, no display: runs under QT_QPA_PLATFORM=offscreen) and
// the staging buffer's notification. The layout's one cell -> (frame, chain) mapping is what both
// hovering and the texture atlas use, so these tests pin what the user sees under the cursor.

#include "chaingrid.h"
#include "framestaging.h"

#include <QTest>

#include <Eigen/Core>

#include <atomic>
#include <thread>

using namespace gsn;

Q_DECLARE_METATYPE(gsn::ChainGridLayout::Input)

namespace {

ChainGridLayout::Input grid(int chains, int w, int h, int padding, int columns, QSizeF viewport = {800, 600})
{
    ChainGridLayout::Input input;
    input.mode = ChainGridLayout::Mode::Grid;
    input.chainCount = chains;
    input.cellWidth = w;
    input.cellHeight = h;
    input.padding = padding;
    input.columns = columns;
    input.viewport = viewport;
    return input;
}

ChainGridLayout::Input filmstrip(int chains, std::vector<int> selected, int history, int padding = 2)
{
    ChainGridLayout::Input input = grid(chains, 28, 28, padding, 0);
    input.mode = ChainGridLayout::Mode::Filmstrip;
    input.filmstripChains = std::move(selected);
    input.historyFrames = history;
    return input;
}

FramePtr frameOf(int chains, std::int64_t step)
{
    auto frame = std::make_shared<Frame>();
    frame->layout = FrameLayout::image(2, 2);
    frame->cells = Matrix::Constant(chains, 4, 0.5f);
    frame->step = step;
    return frame;
}

} // namespace

class TestChainGrid : public QObject {
    Q_OBJECT
private slots:
    void gridShape_data()
    {
        QTest::addColumn<ChainGridLayout::Input>("input");
        QTest::addColumn<int>("columns");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cells");
        QTest::newRow("100 chains, 10 columns") << grid(100, 28, 28, 2, 10) << 10 << 10 << 100;
        QTest::newRow("7 chains, 4 columns: partial last row") << grid(7, 28, 28, 0, 4) << 4 << 2 << 7;
        QTest::newRow("3 chains, 10 columns asked: clamped to 3") << grid(3, 28, 28, 2, 10) << 3 << 1 << 3;
        // Columns from the viewport: the largest cells, then the fewest empty cells, then the fewest columns.
        QTest::newRow("100 square cells, square viewport") << grid(100, 28, 28, 2, 0, {500, 500}) << 10 << 10 << 100;
        QTest::newRow("100 square cells, 4:1 viewport") << grid(100, 28, 28, 2, 0, {1200, 300}) << 20 << 5 << 100;
        QTest::newRow("100 square cells, 1:4 viewport") << grid(100, 28, 28, 2, 0, {300, 1200}) << 5 << 20 << 100;
        QTest::newRow("36 cells twice as wide, square viewport") << grid(36, 58, 28, 2, 0, {600, 600}) << 4 << 9 << 36;
        QTest::newRow("1 chain, wide viewport") << grid(1, 28, 28, 2, 0, {2000, 100}) << 1 << 1 << 1;
        // 16 chains in a 3:2 viewport: 4, 5 and 6 columns show cells equally large; the full grid wins.
        QTest::newRow("16 cells, 3:2 viewport: 4 x 4") << grid(16, 28, 28, 2, 0, {600, 400}) << 4 << 4 << 16;
        // 12 in 2:1: 4, 5 and 6 columns tie; 4 x 3 and 6 x 2 are both full; fewer columns win.
        QTest::newRow("12 cells, 2:1 viewport") << grid(12, 28, 28, 2, 0, {800, 400}) << 4 << 3 << 12;
        QTest::newRow("empty viewport: aspect 1") << grid(16, 28, 28, 2, 0, {0, 0}) << 4 << 4 << 16;
        // The atlas must fit the texture: 4096 / 28 = 146 rows at most, so 1000 chains in one column
        // are widened to 7 columns; 146 columns at most, so the rest is cut off.
        QTest::newRow("1000 chains, 1 column: widened") << grid(1000, 28, 28, 2, 1) << 7 << 143 << 1000;
        QTest::newRow("30000 chains: cut off") << grid(30000, 28, 28, 2, 1) << 146 << 146 << 146 * 146;
        QTest::newRow("no chains") << grid(0, 28, 28, 2, 0) << 0 << 0 << 0;
        QTest::newRow("no image size") << grid(10, 0, 28, 2, 0) << 0 << 0 << 0;
        QTest::newRow("filmstrip: 10 default rows, 6 frames") << filmstrip(100, {}, 6) << 6 << 10 << 60;
        QTest::newRow("filmstrip: fewer chains than 10") << filmstrip(4, {}, 3) << 3 << 4 << 12;
        QTest::newRow("filmstrip: 3 selected, 0 frames") << filmstrip(100, {5, 2, 9}, 0) << 1 << 3 << 3;
    }

    void gridShape()
    {
        QFETCH(ChainGridLayout::Input, input);
        QFETCH(int, columns);
        QFETCH(int, rows);
        QFETCH(int, cells);
        const ChainGridLayout layout(input);
        QCOMPARE(layout.columns(), columns);
        QCOMPARE(layout.rows(), rows);
        QCOMPARE(layout.cellCount(), cells);
        QCOMPARE(layout.empty(), cells == 0);
        if (cells == 0) {
            QVERIFY(layout.contentSize().isEmpty());
            return;
        }
        const int w = input.cellWidth, h = input.cellHeight, p = input.padding;
        QCOMPARE(layout.contentSize(), QSizeF(columns * (w + p) - p, rows * (h + p) - p));
        QCOMPARE(layout.cellRect(rows - 1, columns - 1).bottomRight(), QPointF(layout.contentSize().width(),
                                                                              layout.contentSize().height()));
    }

    // Every cell's centre and corners hit that cell (and the pixel under them); every gap and
    // everything outside hits nothing; the grid mapping is row-major over the chains.
    void gridHitsAndGaps_data()
    {
        QTest::addColumn<int>("chains");
        QTest::addColumn<int>("columns");
        QTest::addColumn<int>("padding");
        QTest::newRow("12 chains, 4 columns, padding 2") << 12 << 4 << 2;
        QTest::newRow("7 chains, 3 columns, padding 5") << 7 << 3 << 5;
        QTest::newRow("5 chains, 5 columns, no padding") << 5 << 5 << 0;
    }

    void gridHitsAndGaps()
    {
        QFETCH(int, chains);
        QFETCH(int, columns);
        QFETCH(int, padding);
        const int w = 28, h = 20;
        const ChainGridLayout layout(grid(chains, w, h, padding, columns));
        QCOMPARE(layout.columns(), columns);
        for (int row = 0; row < layout.rows(); ++row) {
            for (int column = 0; column < layout.columns(); ++column) {
                const int chain = row * columns + column;
                const QRectF cell = layout.cellRect(row, column);
                QCOMPARE(cell.size(), QSizeF(w, h));
                const auto source = layout.source(row, column);
                const auto hit = layout.cellAt(cell.center());
                if (chain >= chains) {
                    QVERIFY(!source); // past the last chain: empty cells of the last row
                    QVERIFY(!hit);
                    QVERIFY(!layout.gridCellOf(chain));
                    continue;
                }
                QVERIFY(source);
                QCOMPARE(source->frame, 0);
                QCOMPARE(source->chain, chain);
                const auto of = layout.gridCellOf(chain);
                QVERIFY(of);
                QCOMPARE(of->row, row);
                QCOMPARE(of->column, column);
                QVERIFY(hit);
                QCOMPARE(hit->row, row);
                QCOMPARE(hit->column, column);
                QCOMPARE(hit->pixelX, w / 2);
                QCOMPARE(hit->pixelY, h / 2);
                const auto first = layout.cellAt(cell.topLeft());
                QVERIFY(first);
                QCOMPARE(first->pixelX, 0);
                QCOMPARE(first->pixelY, 0);
                const auto last = layout.cellAt(cell.bottomRight() - QPointF(0.01, 0.01));
                QVERIFY(last);
                QCOMPARE(last->row, row);
                QCOMPARE(last->column, column);
                QCOMPARE(last->pixelX, w - 1);
                QCOMPARE(last->pixelY, h - 1);
                if (padding > 0) {
                    // The gaps right of and below the cell, and their corner.
                    QVERIFY(!layout.cellAt(QPointF(cell.right() + padding / 2.0, cell.center().y())));
                    QVERIFY(!layout.cellAt(QPointF(cell.center().x(), cell.bottom() + padding / 2.0)));
                    QVERIFY(!layout.cellAt(cell.bottomRight() + QPointF(padding / 2.0, padding / 2.0)));
                }
            }
        }
        const QSizeF content = layout.contentSize();
        QVERIFY(!layout.cellAt(QPointF(-0.5, 5)));
        QVERIFY(!layout.cellAt(QPointF(5, -0.5)));
        QVERIFY(!layout.cellAt(QPointF(content.width() + padding + 1, 5)));
        QVERIFY(!layout.cellAt(QPointF(5, content.height() + padding + 1)));
        QVERIFY(!layout.source(-1, 0));
        QVERIFY(!layout.source(0, columns));
        QVERIFY(!layout.gridCellOf(-1));
    }

    // Filmstrip: row r shows selected chain r (or chain r without a selection), column c history
    // frame c (oldest first); columns past the published frames show nothing.
    void filmstripMapping_data()
    {
        QTest::addColumn<std::vector<int>>("selected");
        QTest::addColumn<int>("history");
        QTest::addColumn<int>("length");
        QTest::newRow("selected 7, 3, 42; 5 frames") << std::vector<int>{7, 3, 42} << 5 << 5;
        QTest::newRow("no selection; 4 frames") << std::vector<int>{} << 4 << 4;
        QTest::newRow("one chain; no frames yet") << std::vector<int>{12} << 0 << 1;
    }

    void filmstripMapping()
    {
        QFETCH(std::vector<int>, selected);
        QFETCH(int, history);
        QFETCH(int, length);
        const ChainGridLayout layout(filmstrip(50, selected, history));
        const int rows = selected.empty() ? ChainGridLayout::kDefaultFilmstripChains : int(selected.size());
        QCOMPARE(layout.rows(), rows);
        QCOMPARE(layout.columns(), length);
        for (int row = 0; row < rows; ++row) {
            const int chain = selected.empty() ? row : selected[std::size_t(row)];
            QVERIFY(!layout.gridCellOf(chain)); // no outlines in the filmstrip
            for (int column = 0; column < layout.columns(); ++column) {
                const auto source = layout.source(row, column);
                const auto hit = layout.cellAt(layout.cellRect(row, column).center());
                if (column >= history) {
                    QVERIFY(!source);
                    QVERIFY(!hit);
                    continue;
                }
                QVERIFY(source);
                QCOMPARE(source->frame, column);
                QCOMPARE(source->chain, chain);
                QVERIFY(hit);
                QCOMPARE(hit->row, row);
                QCOMPARE(hit->column, column);
            }
        }
    }

    // One notification per take however many frames arrive in between, none once cleared.
    void stagingNotifiesOncePerTake()
    {
        FrameStaging staging(4);
        std::atomic<int> notified{0};
        staging.setNotify([&] { ++notified; });
        staging.publish(frameOf(3, 0));
        QCOMPARE(notified.load(), 1);
        staging.publish(frameOf(3, 1));
        staging.publish(frameOf(3, 2));
        QCOMPARE(notified.load(), 1); // the first update takes them all
        QCOMPARE(staging.takeNewest()->step, 2);
        staging.publish(frameOf(3, 3));
        QCOMPARE(notified.load(), 2);
        staging.publish(nullptr); // ignored
        QCOMPARE(notified.load(), 2);
        staging.reset(); // drops the pending frame: the next one notifies again
        staging.publish(frameOf(3, 4));
        QCOMPARE(notified.load(), 3);
        staging.takeNewest();
        staging.setNotify({});
        staging.publish(frameOf(3, 5));
        QCOMPARE(notified.load(), 3);
    }

    // From a producer thread, racing with takes: a receiver that takes only when notified never
    // misses the last frame.
    void stagingNotifiesConcurrentProducer()
    {
        FrameStaging staging(1);
        std::atomic<int> notified{0};
        staging.setNotify([&] { ++notified; });
        constexpr int kFrames = 3000;
        std::atomic<bool> done{false};
        std::thread producer([&] {
            for (int i = 0; i < kFrames; ++i)
                staging.publish(frameOf(1, i));
            done = true;
        });
        int seen = 0;
        std::int64_t last = -1;
        while (!done.load() || notified.load() > seen) {
            if (notified.load() > seen) {
                ++seen;
                if (FramePtr f = staging.takeNewest())
                    last = f->step;
            }
            std::this_thread::yield();
        }
        producer.join();
        while (notified.load() > seen) { // notifications that came after the loop's last look
            ++seen;
            if (FramePtr f = staging.takeNewest())
                last = f->step;
        }
        QCOMPARE(last, std::int64_t(kFrames - 1));
        QVERIFY(!staging.takeNewest());
        // Each notification marks the pending slot going from empty to full, each take the reverse.
        QCOMPARE(std::int64_t(notified.load()), staging.takenCount());
        QCOMPARE(staging.takenCount() + staging.skippedCount(), std::int64_t(kFrames));
    }
};

QTEST_GUILESS_MAIN(TestChainGrid)
#include "tst_gui_chaingrid.moc"
