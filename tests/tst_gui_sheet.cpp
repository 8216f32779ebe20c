// Sample-sheet export: exact PNG pixels, provenance round trip, PDF (rendered back with pdftoppm), SVG,
// atomic writes on an unwritable path or a full disk. Frames come from real RBM chains.

#include "chains.h"
#include "colormap.h"
#include "error.h"
#include "rbm.h"
#include "sheet.h"
#include "sheetdialog.h"
#include "sheetwriter.h"

#include <QtTest>

#include <QBuffer>
#include <QDir>
#include <QImageReader>
#include <QLabel>
#include <QProcess>
#include <QSvgRenderer>
#include <QXmlStreamReader>

#include <csignal>
#include <sys/resource.h>

using namespace gsn;

namespace {

QString tmpDir()
{
    const QString dir = qEnvironmentVariable("GSN_TEST_TMP", QDir::tempPath() + "/gsn-test") + "/sheet";
    QDir().mkpath(dir);
    return dir;
}

// 5 chains of a 7x5 RBM (random weights), 12 recorded frames: steps 0..11. Means are arbitrary floats
// in (0, 1), so rounding is exercised; chain 4 is clamped (exact 0 and 1 pixels).
std::vector<FramePtr> recordFrames()
{
    const int w = 7, h = 5;
    Rbm::Options o;
    o.visible = w * h;
    o.hidden = 10;
    ChainSet set(std::make_shared<Rbm>(o, 3), w, h);
    set.reset(std::vector<ChainInit>(5, ChainInit::noise()), 21);
    std::vector<float> values(static_cast<std::size_t>(w * h));
    for (int i = 0; i < w * h; ++i)
        values[static_cast<std::size_t>(i)] = float(i % 2);
    set.setClamp(4, makeMask(MaskPreset::LeftHalf, w, h), values);
    std::vector<FramePtr> frames{set.frame()};
    for (int s = 0; s < 11; ++s) {
        set.step();
        frames.push_back(set.frame());
    }
    return frames;
}

SheetProvenance sampleProvenance()
{
    SheetProvenance p;
    p.modelHash = QString(64, 'a').replace(3, 2, "0f");
    p.modelFile = "gsn2-mnist.safetensors";
    p.modelKind = "gsn2";
    p.epoch = "12";
    p.seed = "21";
    p.steps = "0-11 every 1";
    p.chains = "5 (0-4)";
    p.clamp = "left";
    p.source = "noise";
    p.extra.emplace_back("Mask-Hash", "1234abcd");
    return p;
}

// Checks every cell and padding pixel of `image` against the frames.
void verifySheetPixels(const QImage& image, const Sheet& sheet, const std::vector<FramePtr>& frames,
                       const SheetOptions& options)
{
    const ColorTable& table = colorTable(options.colorMap);
    const int s = options.scale;
    QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    std::vector<std::vector<bool>> covered(static_cast<std::size_t>(image.height()),
                                           std::vector<bool>(static_cast<std::size_t>(image.width()), false));
    for (const SheetCell& cell : sheet.cells) {
        const FramePtr& f = frames[static_cast<std::size_t>(cell.step)];
        QCOMPARE(f->step, cell.step);
        for (int y = 0; y < cell.rect.height(); ++y) {
            for (int x = 0; x < cell.rect.width(); ++x) {
                const float v = f->cells(cell.chain, (y / s) * f->layout.width + x / s);
                const auto& c = table[greyLevel(v)];
                const QRgb got = rgb.pixel(cell.rect.x() + x, cell.rect.y() + y);
                if (qRed(got) != c[0] || qGreen(got) != c[1] || qBlue(got) != c[2])
                    QFAIL(qPrintable(QString("chain %1 step %2 pixel %3,%4: value %5 -> %6, got %7")
                                         .arg(cell.chain).arg(cell.step).arg(x).arg(y).arg(v).arg(c[0]).arg(qRed(got))));
                covered[static_cast<std::size_t>(cell.rect.y() + y)][static_cast<std::size_t>(cell.rect.x() + x)] = true;
            }
        }
    }
    const auto& pad = table[greyLevel(options.padValue)];
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            if (!covered[static_cast<std::size_t>(y)][static_cast<std::size_t>(x)])
                QCOMPARE(qRed(rgb.pixel(x, y)), int(pad[0]));
}

} // namespace

class TestSheet : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { m_frames = recordFrames(); }

    void pngPixelsEqualFrames_data();
    void pngPixelsEqualFrames();
    void provenanceRoundTrips();
    void pdfContainsTheSheet();
    void svgParsesAndEmbedsTheSheet();
    void unwritablePathLeavesNothing();
    void fullDiskLeavesOldFileIntact();
    void badOptions();
    void dialogDefaultsToASlideSizedSheet();
    void dialogPreviewIsTheSavedSheet();

private:
    std::vector<FramePtr> m_frames;
};

void TestSheet::pngPixelsEqualFrames_data()
{
    QTest::addColumn<QString>("chains");
    QTest::addColumn<int>("first");
    QTest::addColumn<int>("every");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("columns");
    QTest::addColumn<int>("padding");
    QTest::addColumn<int>("scale");
    QTest::addColumn<QString>("map");
    QTest::addColumn<int>("expectRows");
    QTest::addColumn<int>("expectColumns");
    QTest::newRow("defaults: rows = chains, columns = steps") << "" << 0 << 1 << 0 << 0 << 2 << 1 << "grey" << 5 << 12;
    QTest::newRow("chains 1,3, from step 2 every 3") << "1,3" << 2 << 3 << 0 << 0 << 1 << 1 << "grey" << 2 << 4;
    QTest::newRow("one chain in a 3x4 grid") << "4" << 0 << 1 << 3 << 4 << 0 << 2 << "grey" << 3 << 4;
    QTest::newRow("rows only, scale 3") << "0-2" << 1 << 2 << 2 << 0 << 3 << 3 << "grey" << 2 << 9;
    QTest::newRow("truncated grid") << "" << 0 << 1 << 2 << 3 << 1 << 1 << "grey" << 2 << 3;
    QTest::newRow("inverted grey") << "0,4" << 0 << 4 << 0 << 0 << 1 << 2 << "grey-inverted" << 2 << 3;
    QTest::newRow("viridis") << "2" << 3 << 2 << 0 << 0 << 2 << 4 << "viridis" << 1 << 5;
}

void TestSheet::pngPixelsEqualFrames()
{
    QFETCH(QString, chains);
    QFETCH(int, first);
    QFETCH(int, every);
    QFETCH(int, rows);
    QFETCH(int, columns);
    QFETCH(int, padding);
    QFETCH(int, scale);
    QFETCH(QString, map);
    QFETCH(int, expectRows);
    QFETCH(int, expectColumns);
    SheetOptions o;
    o.chains = parseChainList(chains.toStdString(), 5);
    o.firstStep = first;
    o.every = every;
    o.rows = rows;
    o.columns = columns;
    o.padding = padding;
    o.scale = scale;
    QVERIFY(colorMapFromKey(map.toStdString(), &o.colorMap));
    const Sheet sheet = renderSheet(sheetFramesOf(m_frames), o);
    QCOMPARE(sheet.rows, expectRows);
    QCOMPARE(sheet.columns, expectColumns);
    QCOMPARE(sheet.image.width(), expectColumns * (7 * scale + padding) + padding);
    QCOMPARE(sheet.image.height(), expectRows * (5 * scale + padding) + padding);
    QCOMPARE(static_cast<int>(sheet.cells.size()),
             std::min<int>(expectRows * expectColumns, int(o.chains.size() * sheet.steps.size())));
    for (std::size_t i = 0; i < sheet.steps.size(); ++i)
        QCOMPARE(sheet.steps[i], std::int64_t(first + every * int(i)));
    // Chain-major reading order: with default columns, row r is chain r.
    if (columns == 0 && rows == 0)
        for (const SheetCell& cell : sheet.cells)
            QCOMPARE(cell.chain, o.chains[static_cast<std::size_t>(cell.rect.y() / (5 * scale + padding))]);

    const QString path = tmpDir() + "/pixels.png";
    saveSheet(sheet.image, sampleProvenance(), path);
    QImage back(path);
    QVERIFY(!back.isNull());
    if (map != "viridis")
        QCOMPARE(back.format(), QImage::Format_Grayscale8); // an 8-bit grey PNG, no palette games
    verifySheetPixels(back, sheet, m_frames, o);
}

void TestSheet::provenanceRoundTrips()
{
    SheetOptions o;
    const Sheet sheet = renderSheet(sheetFramesOf(m_frames), o);
    const QString path = tmpDir() + "/provenance.png";
    const SheetProvenance p = sampleProvenance();
    saveSheet(sheet.image, p, path);
    QImageReader reader(path);
    const QImage back = reader.read();
    QCOMPARE(back.text("Model-Hash"), p.modelHash);
    QCOMPARE(back.text("Software"), QString("GSN Studio"));
    const SheetProvenance q = SheetProvenance::fromImage(back);
    QCOMPARE(q.entries(), p.entries());
    QVERIFY(p.caption().contains("Clamp: left"));
    // An unset field is not written.
    SheetProvenance partial;
    partial.seed = "5";
    saveSheet(sheet.image, partial, path);
    QCOMPARE(QImage(path).textKeys(), (QStringList{"Seed", "Software"}));
}

void TestSheet::pdfContainsTheSheet()
{
    if (QStandardPaths::findExecutable("pdftoppm").isEmpty())
        QSKIP("pdftoppm (poppler-utils) is not installed");
    SheetOptions o;
    o.scale = 4;
    o.padding = 4;
    const Sheet sheet = renderSheet(sheetFramesOf(m_frames), o);
    const QString pdf = tmpDir() + "/sheet.pdf";
    const SheetProvenance p = sampleProvenance();
    saveSheet(sheet.image, p, pdf);
    QFile file(pdf);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.read(5) == "%PDF-");
    file.close();

    const QString prefix = tmpDir() + "/sheet-pdf";
    QFile::remove(prefix + "-1.png");
    QProcess proc;
    proc.start("pdftoppm", {"-r", "72", "-png", pdf, prefix});
    QVERIFY(proc.waitForFinished(60000));
    QCOMPARE(proc.exitCode(), 0);
    QImage page(prefix + "-1.png");
    QVERIFY2(!page.isNull(), "pdftoppm produced no page image");
    page = page.convertToFormat(QImage::Format_Grayscale8);
    // The sheet sits at (12, 12) points = pixels at 72 dpi. Compare the page with the sheet downscaled
    // to one value per image pixel (mean of each 4x4 block, skipping the block edge that a renderer may
    // blend): within 6 grey levels (lossy image encoding and resampling), for every block.
    QVERIFY(page.width() >= sheet.image.width() + 24 && page.height() >= sheet.image.height() + 24);
    int worst = 0;
    for (const SheetCell& cell : sheet.cells) {
        for (int by = 0; by < 5; ++by) {
            for (int bx = 0; bx < 7; ++bx) {
                double sum = 0;
                for (int y = 1; y < 3; ++y)
                    for (int x = 1; x < 3; ++x)
                        sum += qGray(page.pixel(12 + cell.rect.x() + bx * 4 + x, 12 + cell.rect.y() + by * 4 + y));
                const int want = greyLevel(m_frames[std::size_t(cell.step)]->cells(cell.chain, by * 7 + bx));
                worst = std::max(worst, std::abs(int(std::lround(sum / 4)) - want));
            }
        }
    }
    qInfo("PDF rendered back: worst block difference %d grey levels over %zu cells", worst, sheet.cells.size());
    QVERIFY2(worst <= 6, qPrintable(QString::number(worst)));
    // The caption carries the provenance (poppler's pdftotext, when present).
    if (!QStandardPaths::findExecutable("pdftotext").isEmpty()) {
        QProcess text;
        text.start("pdftotext", {pdf, "-"});
        QVERIFY(text.waitForFinished(60000));
        const QString out = QString::fromUtf8(text.readAllStandardOutput());
        QVERIFY2(out.contains(p.modelHash) && out.contains("Model-Kind: gsn2"), qPrintable(out));
    }
}

void TestSheet::svgParsesAndEmbedsTheSheet()
{
    SheetOptions o;
    o.chains = {0, 2};
    const Sheet sheet = renderSheet(sheetFramesOf(m_frames), o);
    const QString path = tmpDir() + "/sheet.svg";
    saveSheet(sheet.image, sampleProvenance(), path);
    QSvgRenderer renderer(path);
    QVERIFY(renderer.isValid());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QXmlStreamReader xml(&file);
    int images = 0;
    bool described = false;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement() && xml.name() == QLatin1String("desc"))
            described = xml.readElementText().contains(sampleProvenance().modelHash);
        if (xml.isStartElement() && xml.name() == QLatin1String("image")) {
            ++images;
            QString href = xml.attributes().value("xlink:href").toString();
            if (href.isEmpty())
                href = xml.attributes().value("href").toString();
            QVERIFY2(href.startsWith("data:image/"), qPrintable(href.left(40)));
            const QByteArray data = QByteArray::fromBase64(href.mid(href.indexOf(',') + 1).toLatin1());
            const QImage embedded = QImage::fromData(data);
            QCOMPARE(embedded.size(), sheet.image.size());
            // The embedded image is the sheet, pixel for pixel (PNG inside the SVG is lossless).
            QCOMPARE(embedded.convertToFormat(QImage::Format_Grayscale8), sheet.image);
        }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QCOMPARE(images, 1);
    QVERIFY(described);
}

void TestSheet::unwritablePathLeavesNothing()
{
    const Sheet sheet = renderSheet(sheetFramesOf(m_frames), SheetOptions{});
    for (const QString& suffix : {"png", "pdf", "svg"}) {
        const QString path = tmpDir() + "/no-such-folder/sheet." + suffix;
        try {
            saveSheet(sheet.image, sampleProvenance(), path);
            QFAIL("saving into a missing folder succeeded");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(path), e.what());
        }
        QVERIFY(!QFile::exists(path));
    }
    QVERIFY_THROWS_EXCEPTION(Error, saveSheet(sheet.image, {}, tmpDir() + "/sheet.jpg"));
    QVERIFY_THROWS_EXCEPTION(Error, saveSheet(QImage(), {}, tmpDir() + "/sheet.png"));
}

void TestSheet::fullDiskLeavesOldFileIntact()
{
    // A full disk, simulated with RLIMIT_FSIZE: writes beyond the limit fail with EFBIG (SIGXFSZ ignored).
    SheetOptions o;
    o.scale = 16;
    const Sheet sheet = renderSheet(sheetFramesOf(m_frames), o);
    const QString dir = tmpDir() + "/full";
    QDir(dir).removeRecursively();
    QDir().mkpath(dir);
    for (const QString& suffix : {"png", "pdf", "svg"}) {
        const QString path = dir + "/sheet." + suffix;
        {
            QFile old(path);
            QVERIFY(old.open(QIODevice::WriteOnly));
            old.write("old contents");
        }
        struct rlimit saved {};
        QCOMPARE(getrlimit(RLIMIT_FSIZE, &saved), 0);
        const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        struct rlimit tiny = saved;
        tiny.rlim_cur = 2000;
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &tiny), 0);
        QString message;
        try {
            saveSheet(sheet.image, sampleProvenance(), path);
        } catch (const Error& e) {
            message = e.what();
        }
        setrlimit(RLIMIT_FSIZE, &saved);
        std::signal(SIGXFSZ, oldHandler);
        QVERIFY2(message.contains("nothing written"), qPrintable(suffix + ": " + message));
        QFile old(path);
        QVERIFY(old.open(QIODevice::ReadOnly));
        QCOMPARE(old.readAll(), QByteArray("old contents"));
        // ... and no temp file is left behind.
        QCOMPARE(QDir(dir).entryList(QDir::Files).size(), qsizetype(QStringList{"png", "pdf", "svg"}.indexOf(suffix) + 1));
    }
    // Without the limit the same write succeeds.
    saveSheet(sheet.image, sampleProvenance(), dir + "/sheet.png");
    QCOMPARE(QImage(dir + "/sheet.png").size(), sheet.image.size());
}

void TestSheet::badOptions()
{
    const auto frames = sheetFramesOf(m_frames);
    SheetOptions o;
    o.every = 0;
    QVERIFY_THROWS_EXCEPTION(Error, renderSheet(frames, o));
    o = {};
    o.firstStep = 50;
    QVERIFY_THROWS_EXCEPTION(Error, renderSheet(frames, o));
    o = {};
    o.chains = {5};
    QVERIFY_THROWS_EXCEPTION(Error, renderSheet(frames, o));
    o = {};
    o.scale = 0;
    QVERIFY_THROWS_EXCEPTION(Error, renderSheet(frames, o));
    o = {};
    o.scale = 64;
    o.columns = 1000;
    QVERIFY_THROWS_EXCEPTION(Error, renderSheet(frames, o)); // too large: a message, not a crash
    QVERIFY_THROWS_EXCEPTION(Error, renderSheet({}, SheetOptions{}));
    QVERIFY_THROWS_EXCEPTION(Error, parseChainList("3-1", 5));
    QVERIFY_THROWS_EXCEPTION(Error, parseChainList("0,x", 5));
    QVERIFY_THROWS_EXCEPTION(Error, parseChainList("7", 5));
    QCOMPARE(parseChainList("0,2-4", 5), (std::vector<int>{0, 2, 3, 4}));
    QCOMPARE(parseChainList("all", 3), (std::vector<int>{0, 1, 2}));
    // maxSteps caps the columns.
    o = {};
    o.maxSteps = 3;
    QCOMPARE(renderSheet(frames, o).columns, 3);
}

// The dialog's default is a slide-sized sheet: the last 20 recorded steps (every one) of the first 10
// chains; the status line gives the size before anything is saved.
void TestSheet::dialogDefaultsToASlideSizedSheet()
{
    // 100 chains of 4x4 pixels, steps 0..59.
    auto frames = std::make_shared<std::vector<FramePtr>>();
    for (int step = 0; step < 60; ++step) {
        auto f = std::make_shared<Frame>();
        f->cells = Matrix::Constant(100, 16, float(step % 10) / 10.0f);
        f->layout = FrameLayout::image(4, 4);
        f->step = step;
        frames->push_back(f);
    }
    SheetDialog dialog(sheetFramesOf(*frames), frames, SheetProvenance{});
    QVERIFY(dialog.isRendering()); // off the GUI thread
    QVERIFY(QTest::qWaitFor([&] { return !dialog.isRendering(); }, 10000));
    const Sheet sheet = dialog.sheet();
    QCOMPARE(int(sheet.chains.size()), 10);
    QCOMPARE(sheet.chains.front(), 0);
    QCOMPARE(int(sheet.steps.size()), 20);
    QCOMPARE(sheet.steps.front(), std::int64_t(40));
    QCOMPARE(sheet.steps.back(), std::int64_t(59));
    const QString status = dialog.findChild<QLabel*>("sheetStatus")->text();
    QVERIFY2(status.contains(QString("(10 chains x 20 steps), %1 x %2 pixels").arg(sheet.image.width()).arg(sheet.image.height())),
             qPrintable(status));
}

void TestSheet::dialogPreviewIsTheSavedSheet()
{
    auto keep = std::make_shared<std::vector<FramePtr>>(m_frames);
    SheetProvenance base;
    base.modelKind = "rbm";
    SheetDialog dialog(sheetFramesOf(*keep), keep, base);
    SheetOptions o;
    o.chains = {3, 1};
    o.firstStep = 1;
    o.every = 2;
    o.scale = 3;
    o.padding = 1;
    dialog.setOptions(o);
    QVERIFY(QTest::qWaitFor([&] { return !dialog.isRendering(); }, 10000));
    const Sheet expected = renderSheet(sheetFramesOf(m_frames), o);
    QCOMPARE(dialog.sheet().image, expected.image);
    QCOMPARE(dialog.provenance().steps, QString("1-11 every 2"));
    QCOMPARE(dialog.provenance().chains, QString("2 (3,1)"));
    // Saving runs on a worker: save() returns at once, saveFinished() says how it went.
    auto saveAndWait = [&](const QString& path) {
        QSignalSpy finished(&dialog, &SheetDialog::saveFinished);
        dialog.save(path);
        if (!finished.wait(20000) || finished.size() != 1)
            return QString("no saveFinished signal");
        if (finished.front().at(0).toString() != path)
            return QString("saveFinished for another path: ") + finished.front().at(0).toString();
        return finished.front().at(1).toString();
    };
    const QString path = tmpDir() + "/dialog.png";
    const QString error = saveAndWait(path);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(!dialog.isSaving());
    QCOMPARE(QImage(path).convertToFormat(QImage::Format_Grayscale8), expected.image);
    QCOMPARE(QImage(path).text("Model-Kind"), QString("rbm"));
    QCOMPARE(QImage(path).text("Steps"), QString("1-11 every 2"));
    // A failed save reports the reason and leaves nothing behind.
    const QString failed = saveAndWait(tmpDir() + "/missing-folder/x.png");
    QVERIFY2(failed.contains("missing-folder"), qPrintable(failed));
    QVERIFY(!QFile::exists(tmpDir() + "/missing-folder/x.png"));
}

QTEST_MAIN(TestSheet)
#include "tst_gui_sheet.moc"
