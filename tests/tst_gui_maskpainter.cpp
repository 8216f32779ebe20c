// The mask painter, mask files and source images (SPEC 3 inpainting): undo/redo restores the exact
// mask after random edit sequences, mouse strokes are one undo step each, presets give exact pixel
// sets, mask PNGs round-trip in 1 and 8 bits, and bad files give clear messages.

#include "clampmask.h"
#include "error.h"
#include "maskio.h"
#include "maskpainter.h"
#include "random.h"
#include "sourceimagedialog.h"

#include <QFile>
#include <QUndoStack>
#include <QtTest>

using namespace gsn;

namespace {

QString tmpDir()
{
    const QString dir = qEnvironmentVariable("GSN_TEST_TMP", QDir::tempPath()) + "/maskpainter";
    QDir().mkpath(dir);
    return dir;
}

QString errorOf(const std::function<void()>& fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

std::vector<float> ramp(int w, int h)
{
    std::vector<float> v(std::size_t(w) * h);
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = float(i % 256) / 255.0f;
    return v;
}

ClampMask randomMask(int w, int h, std::uint64_t seed)
{
    MaskPresetOptions o;
    o.fraction = 0.37;
    o.seed = seed;
    return makeMask(MaskPreset::Random, w, h, o);
}

} // namespace

class TestMaskPainter : public QObject {
    Q_OBJECT
private slots:
    void undoRedoRandomEdits_data();
    void undoRedoRandomEdits();
    void undoHistoryIsBounded();
    void mouseStrokeIsOneCommand();
    void mouseToolsMatchProgrammaticEdits();
    void presetsExact_data();
    void presetsExact();
    void noOpEditPushesNothing();
    void newSizeClearsHistory();
    void clampedAndFreeLookDifferent();
    void maskPngRoundTrip_data();
    void maskPngRoundTrip();
    void maskAnyNonZeroIsClamped();
    void maskWrongSize();
    void maskNotAnImage();
    void sourceBadInputs();
    void sourceConversion();
};

void TestMaskPainter::undoRedoRandomEdits_data()
{
    QTest::addColumn<int>("seed");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    for (int seed = 1; seed <= 6; ++seed)
        QTest::addRow("seed %d", seed) << seed << (seed % 2 ? 28 : 13) << (seed % 3 ? 28 : 9);
}

void TestMaskPainter::undoHistoryIsBounded()
{
    // A long session: 300 edits keep the last kUndoLimit; undoing them all reaches the mask as it was
    // after edit 300 - kUndoLimit, and no further.
    const int w = 28, h = 28, edits = 300;
    MaskPainter painter;
    painter.setSource(ramp(w, h), w, h);
    std::vector<ClampMask> after;
    for (int k = 0; k < edits; ++k) {
        const ClampMask next = randomMask(w, h, std::uint64_t(1000 + k));
        QVERIFY(next != painter.mask()); // so every edit is one command
        painter.setMask(next, "Load mask");
        after.push_back(next);
    }
    QCOMPARE(painter.undoStack()->count(), MaskPainter::kUndoLimit);
    int undone = 0;
    while (painter.undoStack()->canUndo()) {
        painter.undoStack()->undo();
        ++undone;
    }
    QCOMPARE(undone, MaskPainter::kUndoLimit);
    QCOMPARE(painter.mask(), after[static_cast<std::size_t>(edits - MaskPainter::kUndoLimit - 1)]);
}

void TestMaskPainter::undoRedoRandomEdits()
{
    QFETCH(int, seed);
    QFETCH(int, width);
    QFETCH(int, height);
    MaskPainter painter;
    painter.setSource(ramp(width, height), width, height);
    Philox rng(static_cast<std::uint64_t>(seed), 0, 0);
    auto rnd = [&](int n) { return static_cast<int>(rng.uniform() * n) % n; };
    std::vector<ClampMask> history{painter.mask()};
    for (int k = 0; k < 60; ++k) {
        const bool clamp = rnd(3) != 0;
        switch (rnd(8)) {
        case 0: {
            std::vector<QPointF> pts;
            for (int j = 0, m = 1 + rnd(5); j < m; ++j)
                pts.emplace_back(rng.uniform() * width, rng.uniform() * height);
            painter.setBrushSize(1 + rnd(6));
            painter.strokeBrush(pts, clamp);
            break;
        }
        case 1:
            painter.fillRect(QRect(QPoint(rnd(width), rnd(height)), QPoint(rnd(width), rnd(height))), clamp);
            break;
        case 2: {
            QPolygonF poly;
            for (int j = 0; j < 5; ++j)
                poly << QPointF(rng.uniform() * width, rng.uniform() * height);
            painter.fillPolygon(poly, clamp);
            break;
        }
        case 3:
            painter.floodFill(QPoint(rnd(width), rnd(height)), clamp);
            break;
        case 4:
            painter.invert();
            break;
        case 5:
            if (rnd(4) == 0)
                painter.clear();
            break;
        case 6:
            painter.applyPreset(static_cast<MaskPreset>(rnd(7)), {1 + rnd(3), rng.uniform(), std::uint64_t(k)});
            break;
        case 7:
            painter.setMask(randomMask(width, height, std::uint64_t(k)), "Load mask");
            break;
        }
        if (painter.mask() != history.back())
            history.push_back(painter.mask());
        // One command per edit that changed something, none otherwise.
        QCOMPARE(painter.undoStack()->count(), int(history.size()) - 1);
    }
    QVERIFY(history.size() > 30);
    for (int i = int(history.size()) - 2; i >= 0; --i) {
        painter.undoStack()->undo();
        QVERIFY2(painter.mask() == history[std::size_t(i)], qPrintable(QString("undo to edit %1").arg(i)));
    }
    for (std::size_t i = 1; i < history.size(); ++i) {
        painter.undoStack()->redo();
        QVERIFY2(painter.mask() == history[i], qPrintable(QString("redo to edit %1").arg(i)));
    }
}

void TestMaskPainter::mouseStrokeIsOneCommand()
{
    MaskPainter painter;
    painter.resize(280, 280); // zoom 10
    painter.setSource(ramp(28, 28), 28, 28);
    painter.show();
    QVERIFY(QTest::qWaitForWindowExposed(&painter));
    painter.setBrushSize(1);
    QCOMPARE(painter.imageRect(), QRectF(0, 0, 280, 280));
    QTest::mousePress(&painter, Qt::LeftButton, {}, QPoint(55, 55));
    for (int x = 65; x <= 155; x += 10)
        QTest::mouseMove(&painter, QPoint(x, 55));
    QTest::mouseRelease(&painter, Qt::LeftButton, {}, QPoint(155, 55));
    QCOMPARE(painter.undoStack()->count(), 1);
    // Pixels (5..15, 5) clamped, nothing else.
    ClampMask expected(28, 28);
    for (int x = 5; x <= 15; ++x)
        expected.clamped[std::size_t(5 * 28 + x)] = 1;
    QVERIFY(painter.mask() == expected);
    painter.undoStack()->undo();
    QCOMPARE(painter.mask().clampedCount(), 0);
    painter.undoStack()->redo();
    QVERIFY(painter.mask() == expected);
}

void TestMaskPainter::mouseToolsMatchProgrammaticEdits()
{
    MaskPainter mouse, direct;
    mouse.resize(280, 280);
    mouse.setSource(ramp(28, 28), 28, 28);
    direct.setSource(ramp(28, 28), 28, 28);
    mouse.show();
    QVERIFY(QTest::qWaitForWindowExposed(&mouse));
    // Rectangle from pixel (2,3) to (9,12).
    mouse.setTool(MaskPainter::Tool::Rectangle);
    QTest::mousePress(&mouse, Qt::LeftButton, {}, QPoint(25, 35));
    QTest::mouseMove(&mouse, QPoint(95, 125));
    QTest::mouseRelease(&mouse, Qt::LeftButton, {}, QPoint(95, 125));
    direct.fillRect(QRect(QPoint(2, 3), QPoint(9, 12)), true);
    QVERIFY(mouse.mask() == direct.mask());
    // Fill with the right button frees the clamped rectangle again.
    mouse.setTool(MaskPainter::Tool::Fill);
    QTest::mousePress(&mouse, Qt::RightButton, {}, QPoint(55, 55));
    direct.floodFill(QPoint(5, 5), false);
    QVERIFY(mouse.mask() == direct.mask());
    QCOMPARE(mouse.mask().clampedCount(), 0);
    // Eraser frees what the brush painted.
    mouse.setTool(MaskPainter::Tool::Brush);
    mouse.setBrushSize(4);
    QTest::mousePress(&mouse, Qt::LeftButton, {}, QPoint(140, 140));
    QTest::mouseRelease(&mouse, Qt::LeftButton, {}, QPoint(140, 140));
    QVERIFY(mouse.mask().clampedCount() > 0);
    mouse.setTool(MaskPainter::Tool::Eraser);
    QTest::mousePress(&mouse, Qt::LeftButton, {}, QPoint(140, 140));
    QTest::mouseRelease(&mouse, Qt::LeftButton, {}, QPoint(140, 140));
    QCOMPARE(mouse.mask().clampedCount(), 0);
    QCOMPARE(mouse.undoStack()->count(), 4);
}

void TestMaskPainter::presetsExact_data()
{
    QTest::addColumn<int>("preset");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    for (int w : {28, 7})
        for (int h : {28, 5}) {
            QTest::addRow("left %dx%d", w, h) << int(MaskPreset::LeftHalf) << w << h;
            QTest::addRow("right %dx%d", w, h) << int(MaskPreset::RightHalf) << w << h;
            QTest::addRow("top %dx%d", w, h) << int(MaskPreset::TopHalf) << w << h;
            QTest::addRow("bottom %dx%d", w, h) << int(MaskPreset::BottomHalf) << w << h;
            QTest::addRow("centre %dx%d", w, h) << int(MaskPreset::CentreSquare) << w << h;
            QTest::addRow("border %dx%d", w, h) << int(MaskPreset::Border) << w << h;
        }
}

void TestMaskPainter::presetsExact()
{
    QFETCH(int, preset);
    QFETCH(int, width);
    QFETCH(int, height);
    MaskPainter painter;
    painter.setSource(ramp(width, height), width, height);
    painter.applyPreset(static_cast<MaskPreset>(preset), {2, 0.5, 1});
    const int side = std::min(width, height) / 2;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            bool want = false;
            switch (static_cast<MaskPreset>(preset)) {
            case MaskPreset::LeftHalf: want = x < width / 2; break;
            case MaskPreset::RightHalf: want = x >= width / 2; break;
            case MaskPreset::TopHalf: want = y < height / 2; break;
            case MaskPreset::BottomHalf: want = y >= height / 2; break;
            case MaskPreset::CentreSquare:
                want = x >= (width - side) / 2 && x < (width - side) / 2 + side && y >= (height - side) / 2 &&
                       y < (height - side) / 2 + side;
                break;
            case MaskPreset::Border: want = std::min({x, y, width - 1 - x, height - 1 - y}) < 2; break;
            default: break;
            }
            QVERIFY2(painter.mask().isClamped(x, y) == want, qPrintable(QString("pixel %1,%2").arg(x).arg(y)));
        }
    // Random p%: exactly round(p * n) pixels.
    painter.applyPreset(MaskPreset::Random, {1, 0.25, 9});
    QCOMPARE(painter.mask().clampedCount(), int(std::lround(0.25 * width * height)));
}

void TestMaskPainter::noOpEditPushesNothing()
{
    MaskPainter painter;
    painter.setSource(ramp(8, 8), 8, 8);
    painter.clear();
    painter.floodFill(QPoint(1, 1), false);
    painter.fillRect(QRect(20, 20, 3, 3), true); // outside
    QCOMPARE(painter.undoStack()->count(), 0);
}

void TestMaskPainter::newSizeClearsHistory()
{
    MaskPainter painter;
    painter.setSource(ramp(8, 8), 8, 8);
    painter.invert();
    painter.setSource(ramp(8, 8), 8, 8); // same size: mask and history kept
    QCOMPARE(painter.mask().clampedCount(), 64);
    QCOMPARE(painter.undoStack()->count(), 1);
    painter.setSource(ramp(5, 9), 5, 9);
    QCOMPARE(painter.mask().size(), 45);
    QCOMPARE(painter.mask().clampedCount(), 0);
    QCOMPARE(painter.undoStack()->count(), 0);
    QVERIFY_THROWS_EXCEPTION(Error, painter.setMask(ClampMask(8, 8), "Load mask"));
}

void TestMaskPainter::clampedAndFreeLookDifferent()
{
    // On an all-black and an all-white source, a clamped and a free pixel render differently.
    for (float level : {0.0f, 1.0f}) {
        MaskPainter painter;
        painter.resize(280, 280);
        painter.setSource(std::vector<float>(28 * 28, level), 28, 28);
        painter.applyPreset(MaskPreset::LeftHalf);
        const QImage img = painter.render();
        const QColor clamped = img.pixelColor(5 * 10 + 5, 14 * 10 + 5);
        const QColor freeC = img.pixelColor(20 * 10 + 5, 14 * 10 + 5);
        QVERIFY2(clamped != freeC, qPrintable(QString("level %1").arg(level)));
        // The clamped pixel carries the overlay hue (orange: red > blue).
        QVERIFY(clamped.red() > clamped.blue() + 40);
    }
}

void TestMaskPainter::maskPngRoundTrip_data()
{
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::newRow("1-bit 28x28") << 1 << 28 << 28;
    QTest::newRow("8-bit 28x28") << 8 << 28 << 28;
    QTest::newRow("1-bit 13x7") << 1 << 13 << 7;
    QTest::newRow("8-bit 25x25") << 8 << 25 << 25;
}

void TestMaskPainter::maskPngRoundTrip()
{
    QFETCH(int, bits);
    QFETCH(int, width);
    QFETCH(int, height);
    const ClampMask mask = randomMask(width, height, 42);
    const QString path = tmpDir() + QString("/roundtrip-%1-%2x%3.png").arg(bits).arg(width).arg(height);
    saveMask(mask, path, bits == 1 ? MaskBits::One : MaskBits::Eight);
    const QImage raw(path);
    QCOMPARE(raw.depth(), bits == 1 ? 1 : 8);
    QVERIFY(loadMask(path, width, height) == mask);
}

void TestMaskPainter::maskAnyNonZeroIsClamped()
{
    QImage grey(3, 1, QImage::Format_Grayscale8);
    grey.scanLine(0)[0] = 0;
    grey.scanLine(0)[1] = 1;
    grey.scanLine(0)[2] = 200;
    ClampMask m = maskFromImage(grey, 3, 1, false);
    QCOMPARE(m.clamped, (std::vector<std::uint8_t>{0, 1, 1}));
    QImage colour(2, 1, QImage::Format_RGB32);
    colour.setPixel(0, 0, qRgb(0, 0, 0));
    colour.setPixel(1, 0, qRgb(1, 0, 0)); // luminance rounds to 0, still non-zero
    m = maskFromImage(colour, 2, 1, false);
    QCOMPARE(m.clamped, (std::vector<std::uint8_t>{0, 1}));
}

void TestMaskPainter::maskWrongSize()
{
    const QString path = tmpDir() + "/left56.png";
    saveMask(makeMask(MaskPreset::LeftHalf, 56, 56), path);
    const QString msg = errorOf([&] { loadMask(path, 28, 28); });
    QVERIFY2(msg.contains("expected 28x28") && msg.contains("got 56x56") && msg.contains("scale"), qPrintable(msg));
    // Scaling on request: nearest neighbour keeps the half exactly.
    QVERIFY(loadMask(path, 28, 28, true) == makeMask(MaskPreset::LeftHalf, 28, 28));
}

void TestMaskPainter::maskNotAnImage()
{
    const QString path = tmpDir() + "/notimage.png";
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is not a PNG\n");
    f.close();
    QString msg = errorOf([&] { loadMask(path, 28, 28); });
    QVERIFY2(msg.contains("not an image"), qPrintable(msg));
    msg = errorOf([&] { loadMask(tmpDir() + "/missing.png", 28, 28); });
    QVERIFY2(msg.contains("found nothing"), qPrintable(msg));
}

void TestMaskPainter::sourceBadInputs()
{
    QImage colour(28, 28, QImage::Format_RGB32);
    colour.fill(qRgb(200, 20, 20));
    const QString colourPath = tmpDir() + "/colour.png";
    QVERIFY(colour.save(colourPath));
    QString msg = errorOf([&] { readExactSource(colourPath, 28, 28); });
    QVERIFY2(msg.contains("expected a grey image, got colour"), qPrintable(msg));
    QImage big(40, 30, QImage::Format_Grayscale8);
    big.fill(7);
    const QString bigPath = tmpDir() + "/big.png";
    QVERIFY(big.save(bigPath));
    msg = errorOf([&] { readExactSource(bigPath, 28, 28); });
    QVERIFY2(msg.contains("expected 28x28 like the model, got 40x30"), qPrintable(msg));
    const QString notImage = tmpDir() + "/notimage.png";
    msg = errorOf([&] { readExactSource(notImage, 28, 28); });
    QVERIFY2(msg.contains("not an image"), qPrintable(msg));
    // The dialog says the same and keeps what it had.
    SourceImageDialog dialog(28, 28, nullptr);
    QVERIFY(!dialog.openFile(notImage));
    QVERIFY(dialog.message().contains("not an image"));
    QVERIFY(dialog.openFile(colourPath));
    QVERIFY(dialog.message().contains("converted to grey"));
}

void TestMaskPainter::sourceConversion()
{
    // 56x28: the centre 28x28 square is kept (left and right quarters cropped), then scaled 1:1.
    QImage img(56, 28, QImage::Format_Grayscale8);
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 56; ++x)
            img.scanLine(y)[x] = (x >= 14 && x < 42) ? uchar(x) : 255;
    SourceImage s = convertToSource(img, 28, 28, {}, "wide");
    QCOMPARE(s.pixels[0], 14 / 255.0f);
    QCOMPARE(s.pixels[27], 41 / 255.0f);
    QVERIFY(s.origin.contains("cropped"));
    s = convertToSource(img, 28, 28, {true}, "wide");
    QCOMPARE(s.pixels[0], 1.0f - 14 / 255.0f);
    QVERIFY(s.origin.contains("inverted"));
    // A grey image of the right size reads exactly.
    QImage exact(28, 28, QImage::Format_Grayscale8);
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x)
            exact.scanLine(y)[x] = uchar((x * 9 + y) % 256);
    const QString path = tmpDir() + "/exact.png";
    QVERIFY(exact.save(path));
    s = readExactSource(path, 28, 28);
    for (int i = 0; i < 28 * 28; ++i)
        QCOMPARE(s.pixels[std::size_t(i)], float(((i % 28) * 9 + i / 28) % 256) / 255.0f);
}

QTEST_MAIN(TestMaskPainter)
#include "tst_gui_maskpainter.moc"
