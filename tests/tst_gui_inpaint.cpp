// The inpainting window and `gsn inpaint` end to end (SPEC 3): clamped pixels of the live chains and
// of the CLI sheet equal the source exactly, empty and full masks give clear messages, exports carry
// the mask and the source in their provenance.

#include "chainview.h"
#include "checkpoint.h"
#include "clampmask.h"
#include "datasets.h"
#include "error.h"
#include "greyimage.h"
#include "inpaintwindow.h"
#include "maskio.h"
#include "maskpainter.h"
#include "model.h"
#include "pngtext.h"
#include "sheetwriter.h"
#include "testsupport.h"

#include <QLabel>
#include <QProcess>
#include <QtTest>

using namespace gsn;

namespace {

QString tmpDir()
{
    const QString dir = qEnvironmentVariable("GSN_TEST_TMP", QDir::tempPath()) + "/inpaint";
    QDir().mkpath(dir);
    return dir;
}

// Opens a checkpoint in the window (read on a worker) and waits for the outcome.
bool openAndWait(InpaintWindow& window, const QString& path)
{
    QSignalSpy opened(&window, &InpaintWindow::modelOpened);
    window.openModel(path);
    if (!opened.wait(20000))
        return false;
    return opened.front().at(1).toBool();
}

QString gsnBinary()
{
    return qEnvironmentVariable("GSN_BINARY_DIR") + "/app/gsn";
}

std::shared_ptr<const Model> makeModel(const QString& kind, int n)
{
    return test::makeSmallModel(kind, n);
}

SourceImage testSource(int w, int h)
{
    SourceImage s;
    s.width = w;
    s.height = h;
    s.origin = "test pattern";
    for (int i = 0; i < w * h; ++i)
        s.pixels.push_back(float((i * 37) % 256) / 255.0f);
    return s;
}

// Runs gsn; returns the exit code, stderr into *err.
int runGsn(const QStringList& args, QString* err)
{
    QProcess proc;
    proc.start(gsnBinary(), args);
    if (!proc.waitForFinished(120000))
        return -1;
    *err = QString::fromUtf8(proc.readAllStandardError());
    return proc.exitCode();
}

} // namespace

class TestInpaintWindow : public QObject {
    Q_OBJECT
public:
    static void initMain() { test::keepGlDriverForLeakCheck(); }

private slots:
    void liveChainsHoldClampedPixels_data();
    void liveChainsHoldClampedPixels();
    void emptyAndFullMask();
    void maskEditWhileRunning();
    void chainViewKeepsItsPlaceAsTheStatusChanges();
    void exportsCarryMaskAndSource();
    void cliSheetClampedHalfEqualsSource_data();
    void cliSheetClampedHalfEqualsSource();
    void cliBadInputs();
    void cliOldStartWordsAreAliases_data();
    void cliOldStartWordsAreAliases();
    void imageShapeFromCheckpoint();
    void openModelReadsOnAWorker();
    void screenshots();
};

void TestInpaintWindow::liveChainsHoldClampedPixels_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    for (const char* kind : {"dae", "gsn2", "gsn3", "rbm"}) {
        QTest::addRow("%s 28x28", kind) << kind << 28 << 28;
        QTest::addRow("%s 9x6", kind) << kind << 9 << 6;
    }
}

void TestInpaintWindow::liveChainsHoldClampedPixels()
{
    QFETCH(QString, kind);
    QFETCH(int, width);
    QFETCH(int, height);
    InpaintWindow window;
    window.resize(900, 600);
    window.setModel(makeModel(kind, width * height), width, height, kind);
    const SourceImage src = testSource(width, height);
    QVERIFY(window.setSource(src));
    window.painter()->applyPreset(MaskPreset::RightHalf);
    window.setChainCount(7);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const std::vector<int> clamped = window.painter()->mask().clampedIndices();
    for (int round = 0; round < 5; ++round) {
        QVERIFY(window.stepBlocking(3));
        for (const FramePtr& f : window.recordedFrames()) {
            QCOMPARE(f->chainCount(), 7);
            for (int c = 0; c < 7; ++c)
                for (int i : clamped)
                    QCOMPARE(f->cells(c, i), src.pixels[std::size_t(i)]);
        }
    }
    const FramePtr shown = window.chainView()->currentFrame();
    QVERIFY(shown);
    QCOMPARE(shown->step, std::int64_t(15));
    const InpaintStats stats = window.stats();
    QCOMPARE(stats.count(), std::int64_t(15 * 7));
    QCOMPARE(stats.meanSpread(clamped), 0.0);
    for (int i : clamped)
        QCOMPARE(stats.mean()[std::size_t(i)], src.pixels[std::size_t(i)]);
}

void TestInpaintWindow::emptyAndFullMask()
{
    InpaintWindow window;
    window.setModel(makeModel("gsn2", 36), 6, 6, "gsn2");
    QVERIFY(window.setSource(testSource(6, 6)));
    // Nothing clamped: runs freely, with a warning.
    QVERIFY(window.stepBlocking(2));
    QVERIFY2(window.lastMessage().contains("nothing is clamped"), qPrintable(window.lastMessage()));
    QCOMPARE(window.stats().meanSpread({}), 0.0);
    // Everything clamped: refused (and a running set pauses), with a clear message.
    window.painter()->invert();
    QVERIFY2(window.lastMessage().contains("every pixel is clamped"), qPrintable(window.lastMessage()));
    QVERIFY(!window.reset());
    QVERIFY(window.lastMessage().contains("every pixel is clamped"));
    QVERIFY(!window.run());
    // Wrong-size source: refused, the old one stays.
    QVERIFY(!window.setSource(testSource(5, 5)));
    QVERIFY(window.lastMessage().contains("5x5"));
    QCOMPARE(maskProblem(ClampMask(4, 4)).left(19), QString("nothing is clamped:"));
    QCOMPARE(maskProblem(ClampMask(4, 4).inverted()).left(22), QString("every pixel is clamped"));
    QVERIFY(maskProblem(makeMask(MaskPreset::LeftHalf, 4, 4)).isEmpty());
}

void TestInpaintWindow::maskEditWhileRunning()
{
    InpaintWindow window;
    window.setModel(makeModel("dae", 64), 8, 8, "dae");
    const SourceImage src = testSource(8, 8);
    QVERIFY(window.setSource(src));
    window.painter()->applyPreset(MaskPreset::LeftHalf);
    window.setChainCount(4);
    QVERIFY(window.run());
    QTest::qWait(100);
    window.painter()->applyPreset(MaskPreset::TopHalf);
    window.pause();
    QVERIFY(window.stepBlocking(2));
    // The newest frame (the recording is thinned on long runs, so it may not hold the last step).
    const FramePtr last = window.chainView()->currentFrame();
    QVERIFY(last && last->step > 2);
    for (int c = 0; c < 4; ++c)
        for (int i : makeMask(MaskPreset::TopHalf, 8, 8).clampedIndices())
            QCOMPARE(last->cells(c, i), src.pixels[std::size_t(i)]);
}

// The status line changes at every frame; where its text wraps onto a second line (or back) the chain
// view above it must not move or resize (a layout change resizes the view's GL window: an X round trip).
void TestInpaintWindow::chainViewKeepsItsPlaceAsTheStatusChanges()
{
    int widthsWhereTheTextWraps = 0;
    for (int width = 700; width <= 1400; width += 100) {
        InpaintWindow window;
        window.resize(width, 640);
        // 100 chains of 40 x 40 images: "step 2 | 100 chains | 800 of 1600 pixels clamped | ..." is
        // longer than one line of the right-hand pane at its narrowest.
        window.setModel(makeModel("gsn2", 1600), 40, 40, "gsn2");
        QVERIFY(window.setSource(testSource(40, 40)));
        window.painter()->applyPreset(MaskPreset::RightHalf);
        window.setChainCount(100);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCoreApplication::processEvents();
        const QRect before = window.chainView()->geometry();
        QVERIFY(window.stepBlocking(2)); // the status becomes "step 2 | 100 chains | ... | mean spread ..."
        QCoreApplication::processEvents();
        QCOMPARE(window.chainView()->geometry(), before);
        window.painter()->applyPreset(MaskPreset::TopHalf); // another status text, from the mask change
        QVERIFY(window.stepBlocking(9));                     // and a two-digit step
        QCoreApplication::processEvents();
        QCOMPARE(window.chainView()->geometry(), before);
        // Count the widths where the status text needs two lines, so the check above means something.
        for (QLabel* label : window.findChildren<QLabel*>())
            if (label->wordWrap() && label->text().startsWith("step")
                && label->fontMetrics().horizontalAdvance(label->text()) > label->contentsRect().width())
                ++widthsWhereTheTextWraps;
    }
    QVERIFY2(widthsWhereTheTextWraps > 0, "no window width made the status wrap: the test checks nothing");
}

void TestInpaintWindow::exportsCarryMaskAndSource()
{
    {
        // Nothing recorded: a message naming the file, at once, and no file.
        InpaintWindow empty;
        QSignalSpy refused(&empty, &InpaintWindow::sheetExported);
        empty.exportSheet(tmpDir() + "/nothing-sheet.png");
        QCOMPARE(refused.count(), 1);
        const QString message = refused.front().at(1).toString();
        QVERIFY2(message.contains("nothing-sheet.png") && message.contains("press Run first"), qPrintable(message));
        QVERIFY(!QFile::exists(tmpDir() + "/nothing-sheet.png"));
    }
    InpaintWindow window;
    window.setModel(makeModel("gsn2", 100), 10, 10, "gsn2");
    const SourceImage src = testSource(10, 10);
    QVERIFY(window.setSource(src));
    window.painter()->applyPreset(MaskPreset::CentreSquare);
    window.setChainCount(3);
    QVERIFY(window.stepBlocking(5));
    const QString sheetPath = tmpDir() + "/window-sheet.png";
    QSignalSpy exported(&window, &InpaintWindow::sheetExported);
    window.exportSheet(sheetPath); // written on a worker
    QVERIFY(exported.wait(20000));
    QCOMPARE(exported.front().at(0).toString(), sheetPath);
    QCOMPARE(exported.front().at(1).toString(), QString());
    const QImage sheet(sheetPath);
    QVERIFY(!sheet.isNull());
    const SheetProvenance p = SheetProvenance::fromImage(sheet);
    QString maskText, sourceText;
    for (const auto& [k, v] : p.extra) {
        if (k == "Mask")
            maskText = v;
        if (k == "Source-Image")
            sourceText = v;
    }
    QVERIFY(maskFromImage(imageFromBase64Png(maskText), 10, 10, false) == window.painter()->mask());
    QCOMPARE(imageFromBase64Png(sourceText).convertToFormat(QImage::Format_Grayscale8),
             greyImage(src.pixels.data(), 10, 10));
    // The three small exports are encoded at once and written on a worker, each announced.
    QSignalSpy files(&window, &InpaintWindow::fileExported);
    window.exportMask(tmpDir() + "/window-mask.png");
    window.exportMean(tmpDir() + "/window-mean.png");
    window.exportSpread(tmpDir() + "/window-spread.png");
    QVERIFY(window.exports()->waitForIdle());
    QCOMPARE(files.size(), 3);
    for (const auto& args : files)
        QVERIFY2(args.at(1).toString().isEmpty(), qPrintable(args.at(1).toString()));
    QCOMPARE(window.lastMessage(), "Written " + tmpDir() + "/window-spread.png");
    QVERIFY(loadMask(tmpDir() + "/window-mask.png", 10, 10) == window.painter()->mask());
    // A file that cannot be written is named in the window's message; the export before it stays.
    window.exportMean(tmpDir() + "/window-mask.png/mean.png");
    QVERIFY(window.exports()->waitForIdle());
    QVERIFY2(window.lastMessage().contains("window-mask.png/mean.png"), qPrintable(window.lastMessage()));
    QVERIFY(loadMask(tmpDir() + "/window-mask.png", 10, 10) == window.painter()->mask());
    const QImage spread = QImage(tmpDir() + "/window-spread.png").convertToFormat(QImage::Format_Grayscale8);
    for (int i : window.painter()->mask().clampedIndices())
        QCOMPARE(int(spread.constScanLine(i / 10)[i % 10]), 0);
}

void TestInpaintWindow::cliSheetClampedHalfEqualsSource_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("init");
    QTest::newRow("gsn2 noise") << "gsn2" << "noise";
    QTest::newRow("dae zeros") << "dae" << "zeros";
    QTest::newRow("dae zero (the old word)") << "dae" << "zero";
    QTest::newRow("rbm source") << "rbm" << "source";
    QTest::newRow("gsn3 noise") << "gsn3" << "noise";
}

void TestInpaintWindow::cliSheetClampedHalfEqualsSource()
{
    QFETCH(QString, kind);
    QFETCH(QString, init);
    const int w = 28, h = 28, chains = 3, steps = 6;
    const QString model = tmpDir() + "/cli-" + kind + ".safetensors";
    saveCheckpoint(model.toStdString(), *makeModel(kind, w * h), nullptr, {});
    const SourceImage src = testSource(w, h);
    const QString image = tmpDir() + "/cli-source.png";
    QVERIFY(greyImage(src.pixels.data(), w, h).save(image));
    const QString out = tmpDir() + "/cli-" + kind + ".png";
    QString err;
    const int rc = runGsn({"inpaint", "--model", model, "--image", image, "--mask", "right", "--chains",
                           QString::number(chains), "--steps", QString::number(steps), "--seed", "4", "--init", init,
                           "--out", out, "--quiet", "--mean", tmpDir() + "/cli-mean.png"},
                          &err);
    QVERIFY2(rc == 0, qPrintable(err));
    const QImage sheet = QImage(out).convertToFormat(QImage::Format_Grayscale8);
    const int pad = 2;
    QCOMPARE(sheet.width(), (steps + 1) * w + (steps + 2) * pad);
    QCOMPARE(sheet.height(), chains * h + (chains + 1) * pad);
    const QImage srcImg = greyImage(src.pixels.data(), w, h);
    bool leftMoved = false;
    for (int r = 0; r < chains; ++r)
        for (int k = 0; k <= steps; ++k) {
            const int x0 = pad + k * (w + pad), y0 = pad + r * (h + pad);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const int got = sheet.constScanLine(y0 + y)[x0 + x];
                    const int want = srcImg.constScanLine(y)[x];
                    if (x >= w / 2 && got != want)
                        QFAIL(qPrintable(QString("chain %1 step %2 pixel %3,%4: %5, source %6").arg(r).arg(k).arg(x).arg(y).arg(got).arg(want)));
                    if (x < w / 2 && got != want)
                        leftMoved = true;
                }
        }
    if (init != "source" || kind != "rbm")
        QVERIFY(leftMoved);
    const SheetProvenance p = SheetProvenance::fromImage(QImage(out));
    QVERIFY(p.clamp.startsWith("right, 392 of 784"));
    QCOMPARE(p.source, QString("cli-source.png"));
}

void TestInpaintWindow::cliOldStartWordsAreAliases_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("oldWord");
    QTest::addColumn<QString>("word");
    QTest::newRow("inpaint --init zero = zeros") << "inpaint" << "--init" << "zero" << "zeros";
    QTest::newRow("sample --init zero = zeros") << "sample" << "--init" << "zero" << "zeros";
}

// gsn sample and gsn inpaint share their option words (cli/chainoptions.h); the words a command took
// before keep working and give the same sheet, recorded under the shared word.
void TestInpaintWindow::cliOldStartWordsAreAliases()
{
    QFETCH(QString, command);
    QFETCH(QString, option);
    QFETCH(QString, oldWord);
    QFETCH(QString, word);
    const int w = 28, h = 28;
    const QString model = tmpDir() + "/alias-gsn2.safetensors";
    saveCheckpoint(model.toStdString(), *makeModel("gsn2", w * h), nullptr, {});
    const QString image = tmpDir() + "/alias-source.png";
    const SourceImage src = testSource(w, h);
    QVERIFY(greyImage(src.pixels.data(), w, h).save(image));
    QImage sheets[2];
    for (int k = 0; k < 2; ++k) {
        const QString out = tmpDir() + QString("/alias-%1-%2.png").arg(command).arg(k);
        QStringList args{command, "--model", model, "--chains", "2", "--steps", "3", "--seed", "5",
                         option, k == 0 ? oldWord : word, "--out", out, "--quiet"};
        if (command == "inpaint")
            args << "--image" << image << "--mask" << "left";
        QString err;
        QVERIFY2(runGsn(args, &err) == 0, qPrintable(err));
        sheets[k] = QImage(out);
        QVERIFY(!sheets[k].isNull());
    }
    QCOMPARE(sheets[0].convertToFormat(QImage::Format_Grayscale8), sheets[1].convertToFormat(QImage::Format_Grayscale8));
    QCOMPARE(sheets[0].textKeys(), sheets[1].textKeys());
    for (const QString& key : sheets[0].textKeys())
        if (key != "Model-Hash")
            QCOMPARE(sheets[0].text(key), sheets[1].text(key));
}

void TestInpaintWindow::cliBadInputs()
{
    const QString model = tmpDir() + "/bad-gsn2.safetensors";
    saveCheckpoint(model.toStdString(), *makeModel("gsn2", 784), nullptr, {});
    const SourceImage src = testSource(28, 28);
    const QString image = tmpDir() + "/bad-source.png";
    QVERIFY(greyImage(src.pixels.data(), 28, 28).save(image));
    const QString out = tmpDir() + "/bad.png";
    // Exit code 1: the files are wrong; 2: the command line is (gsn help: exit codes).
    auto expectError = [&](const QStringList& extra, const QString& message, int code = 1) {
        QString err;
        QStringList args{"inpaint", "--model", model, "--chains", "2", "--steps", "2", "--out", out, "--quiet"};
        args += extra;
        const int rc = runGsn(args, &err);
        QVERIFY2(rc == code && err.contains(message), qPrintable(QString("rc %1: %2").arg(rc).arg(err)));
    };
    const QString empty = tmpDir() + "/empty-mask.png";
    saveMask(ClampMask(28, 28), empty);
    const QString full = tmpDir() + "/full-mask.png";
    saveMask(ClampMask(28, 28).inverted(), full, MaskBits::One);
    const QString small = tmpDir() + "/small-mask.png";
    saveMask(makeMask(MaskPreset::LeftHalf, 14, 14), small);
    const QString text = tmpDir() + "/text-mask.png";
    QFile f(text);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not a png");
    f.close();
    QImage colour(28, 28, QImage::Format_RGB32);
    colour.fill(qRgb(0, 120, 255));
    const QString colourPath = tmpDir() + "/colour-source.png";
    QVERIFY(colour.save(colourPath));
    expectError({"--image", image, "--mask", empty}, "nothing is clamped");
    expectError({"--image", image, "--mask", full}, "every pixel is clamped");
    expectError({"--image", image, "--mask", small}, "expected 28x28 like the model, got 14x14");
    expectError({"--image", image, "--mask", text}, "not an image");
    expectError({"--image", colourPath, "--mask", "left"}, "expected a grey image, got colour");
    expectError({"--image", text, "--mask", "left"}, "not an image");
    expectError({"--image", image, "--mask", "left", "--init", "uniform"}, "expected noise, zeros or source", 2);
    // The small mask scaled on request, the colour image converted on request.
    QString err;
    QCOMPARE(runGsn({"inpaint", "--model", model, "--image", colourPath, "--fit", "--mask", small, "--scale-mask",
                     "--chains", "2", "--steps", "2", "--out", out, "--quiet"},
                    &err),
             0);
}

// A 20x15 model: the window, gsn inpaint and gsn sample take the shape stored in the checkpoint; without
// it (and without a dataset) a non-square model is refused with a message naming the file and why.
void TestInpaintWindow::imageShapeFromCheckpoint()
{
    const int w = 20, h = 15;
    const QString shaped = tmpDir() + "/shaped-20x15.safetensors";
    CheckpointInfo info;
    info.imageWidth = w;
    info.imageHeight = h;
    saveCheckpoint(shaped.toStdString(), *makeModel("dae", w * h), nullptr, info);
    const QString unshaped = tmpDir() + "/unshaped-300.safetensors";
    saveCheckpoint(unshaped.toStdString(), *makeModel("dae", w * h), nullptr, {});

    InpaintWindow window;
    QVERIFY2(openAndWait(window, shaped), qPrintable(window.lastMessage()));
    QVERIFY2(window.lastMessage().contains("(dae, 20x15)"), qPrintable(window.lastMessage()));
    QVERIFY(window.setSource(testSource(w, h)));
    QVERIFY(!openAndWait(window, unshaped));
    QVERIFY2(window.lastMessage().contains(unshaped + ": image shape: cannot tell the image shape of 300 visible "
                                           "units (not stored in the file, and not a square)"),
             qPrintable(window.lastMessage()));

    const SourceImage src = testSource(w, h);
    const QString image = tmpDir() + "/shape-source.png";
    QVERIFY(greyImage(src.pixels.data(), w, h).save(image));
    const QString out = tmpDir() + "/shape-sheet.png";
    QString err;
    const QStringList inpaint{"--image", image, "--mask", "left", "--chains", "2", "--steps", "2",
                              "--out", out, "--quiet"};
    QCOMPARE(runGsn(QStringList{"inpaint", "--model", shaped} + inpaint, &err), 0);
    const QImage sheet(out);
    QCOMPARE(sheet.height(), 2 * h + 3 * 2); // chains x image height, 2-pixel padding
    QCOMPARE(sheet.width(), 3 * w + 4 * 2);  // steps 0..2 x image width
    QCOMPARE(runGsn(QStringList{"inpaint", "--model", unshaped} + inpaint, &err), 1);
    QVERIFY2(err.contains("cannot tell the image shape of 300 visible units (" + unshaped +
                          " does not store it and it is not a square)"),
             qPrintable(err));

    const QStringList sample{"sample", "--chains", "2", "--steps", "2", "--out", out};
    QCOMPARE(runGsn(QStringList{sample} << "--model" << shaped, &err), 0);
    QCOMPARE(QImage(out).size(), QSize(2 * w + 3 * 2, 2 * h + 3 * 2)); // 2 chains (rows) x 2 shown steps
    QCOMPARE(runGsn(QStringList{sample} << "--model" << unshaped, &err), 1);
    QVERIFY2(err.contains("cannot tell the image shape of 300 visible units (" + unshaped +
                          " does not store it and it is not a square): pass --data SPEC"),
             qPrintable(err));
}

// Model... reads the checkpoint on a worker: openModel returns before the model is in use, then
// modelOpened reports it; a bad file reports its error; a window closed mid-read gets nothing.
void TestInpaintWindow::openModelReadsOnAWorker()
{
    const QString path = tmpDir() + "/open-dae-64.safetensors";
    saveCheckpoint(path.toStdString(), *makeModel("dae", 64), nullptr, CheckpointInfo{});
    InpaintWindow window;
    QSignalSpy opened(&window, &InpaintWindow::modelOpened);
    window.openModel(path);
    QVERIFY(window.isLoading());
    QCOMPARE(opened.count(), 0); // queued: never inside openModel
    QTRY_COMPARE(opened.count(), 1);
    QCOMPARE(opened.front().at(0).toString(), path);
    QVERIFY2(opened.front().at(1).toBool(), qPrintable(window.lastMessage()));
    QVERIFY(!window.isLoading());
    QVERIFY(window.setSource(testSource(8, 8)));
    QVERIFY(window.stepBlocking(2));
    QVERIFY(window.lastMessage().contains("clamped") || window.lastMessage().contains("Warning"));

    // A missing file: the error names it, the model in use stays.
    const QString missing = tmpDir() + "/no-such-model.safetensors";
    window.openModel(missing);
    QTRY_COMPARE(opened.count(), 2);
    QVERIFY(!opened.at(1).at(1).toBool());
    QVERIFY2(window.lastMessage().contains("no-such-model"), qPrintable(window.lastMessage()));
    QVERIFY(window.stepBlocking(1));

    // Two reads in a row: only the newer is reported.
    window.openModel(missing);
    window.openModel(path);
    QTRY_COMPARE(opened.count(), 3);
    QVERIFY(opened.at(2).at(1).toBool());
    QTest::qWait(100);
    QCOMPARE(opened.count(), 3);

    // Closed while reading, and while its chains run: nothing is delivered, nothing crashes.
    auto* closing = new InpaintWindow;
    QSignalSpy closingOpened(closing, &InpaintWindow::modelOpened);
    closing->openModel(path);
    delete closing;
    QCOMPARE(closingOpened.count(), 0);
    window.run();
    QTest::qWait(50);
    QVERIFY(window.reset());
}

// Screenshots of the window with a real model (docs/screenshots/inpaint-*.png): runs only when
// GSN_INPAINT_SCREENSHOT_MODEL names a 784-pixel checkpoint and MNIST test data loads.
void TestInpaintWindow::screenshots()
{
    const QString modelPath = qEnvironmentVariable("GSN_INPAINT_SCREENSHOT_MODEL");
    if (modelPath.isEmpty())
        QSKIP("set GSN_INPAINT_SCREENSHOT_MODEL=FILE.safetensors (and GSN_INPAINT_SCREENSHOT_DIR) to take screenshots");
    const QString dir = qEnvironmentVariable("GSN_INPAINT_SCREENSHOT_DIR", tmpDir());
    std::shared_ptr<const Dataset> test;
    try {
        test = std::make_shared<Dataset>(loadDataset("mnist-test"));
    } catch (const Error& e) {
        QSKIP(e.what());
    }
    InpaintWindow window;
    window.resize(1180, 720);
    window.setDataset(test);
    QSignalSpy opened(&window, &InpaintWindow::modelOpened);
    window.openModel(modelPath);
    QTRY_COMPARE(opened.count(), 1);
    QVERIFY2(opened.front().at(1).toBool(), qPrintable(window.lastMessage()));
    QVERIFY(window.setSource(sourceFromDataset(*test, 3)));
    window.setChainCount(24);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    // A drawn mask: a thick brush stroke down the right half and a rectangle at the bottom right.
    MaskPainter* p = window.painter();
    p->setBrushSize(6);
    p->strokeBrush({{17.5, 2}, {20, 10}, {19, 18}, {21, 26}}, true);
    p->fillRect(QRect(QPoint(14, 14), QPoint(27, 27)), true);
    p->strokeBrush({{24, 2}, {26, 12}}, true);
    QTest::qWait(200);
    grabWithChainViews(&window).save(dir + "/inpaint-mask.png");
    QVERIFY(window.stepBlocking(40));
    QTest::qWait(300);
    grabWithChainViews(&window).save(dir + "/inpaint-chains.png");
    // The paper's figure: right half clamped, left half from noise.
    p->applyPreset(MaskPreset::RightHalf);
    QVERIFY(window.reset());
    QVERIFY(window.stepBlocking(60));
    QTest::qWait(300);
    grabWithChainViews(&window).save(dir + "/inpaint-right-half.png");
    window.exportMean(dir + "/inpaint-mean.png");
    window.exportSpread(dir + "/inpaint-spread.png");
    QVERIFY(window.exports()->waitForIdle());
}

QTEST_MAIN(TestInpaintWindow)
#include "tst_gui_inpaint.moc"
