// Tests of the dataset loaders (engine/data/datasets.h, idx.h, npy.h, matfile.h) and `gsn info`:
// the real MNIST / Fashion-MNIST / LFW files, .mat files written here with libmatio in the three
// layouts (TFD, Olivetti, Frey), and broken files written here for every kind of bad input.

#include "checkpoint.h"
#include "datasets.h"
#include "error.h"
#include "idx.h"
#include "matfile.h"
#include "npy.h"

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QRegularExpression>
#include <QtTest/QtTest>

#include <matio.h>
#include <zlib.h>

#include <cmath>
#include <ctime>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

std::string tmpDir()
{
    const QByteArray env = qgetenv("GSN_TEST_TMP");
    const QString dir = (env.isEmpty() ? QDir::tempPath() + "/gsn-test" : QString::fromLocal8Bit(env)) + "/datasets";
    QDir().mkpath(dir);
    return dir.toStdString();
}

std::string tmpFile(const std::string& name)
{
    return tmpDir() + "/" + name;
}

void writeBytes(const std::string& path, const std::vector<uint8_t>& bytes)
{
    QFile f(QString::fromStdString(path));
    QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), path.c_str());
    QCOMPARE(f.write(reinterpret_cast<const char*>(bytes.data()), qint64(bytes.size())), qint64(bytes.size()));
}

std::vector<uint8_t> readBytes(const std::string& path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray all = f.readAll();
    return std::vector<uint8_t>(all.begin(), all.end());
}

void writeGzip(const std::string& path, const std::vector<uint8_t>& bytes)
{
    gzFile gz = gzopen(path.c_str(), "wb");
    QVERIFY(gz);
    QCOMPARE(gzwrite(gz, bytes.data(), unsigned(bytes.size())), int(bytes.size()));
    QCOMPARE(gzclose(gz), Z_OK);
}

void putBigEndian(std::vector<uint8_t>& out, uint32_t v)
{
    for (int s = 24; s >= 0; s -= 8)
        out.push_back(uint8_t(v >> s));
}

// An IDX file of unsigned bytes: header for `dims`, then `payload` (which need not match).
std::vector<uint8_t> idxBytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& payload, uint8_t type = 0x08)
{
    std::vector<uint8_t> out = {0, 0, type, uint8_t(dims.size())};
    for (const uint32_t d : dims)
        putBigEndian(out, d);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

// A small valid IDX image set: n images of h x w with pixel (i, r, c) = (i*31 + r*7 + c*3) % 256.
std::vector<uint8_t> smallImages(uint32_t n, uint32_t h, uint32_t w)
{
    std::vector<uint8_t> px;
    for (uint32_t i = 0; i < n; ++i)
        for (uint32_t r = 0; r < h; ++r)
            for (uint32_t c = 0; c < w; ++c)
                px.push_back(uint8_t((i * 31 + r * 7 + c * 3) % 256));
    return idxBytes({n, h, w}, px);
}

// A .npy file with a hand-written header (so that broken headers can be written too).
std::vector<uint8_t> npyBytes(const std::string& dict, const std::vector<uint8_t>& payload)
{
    std::string header = dict;
    const size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');
    std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, uint8_t(header.size() & 0xFF), uint8_t(header.size() >> 8)};
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

std::vector<uint8_t> doublesAsBytes(const std::vector<double>& v)
{
    std::vector<uint8_t> out(v.size() * 8);
    std::memcpy(out.data(), v.data(), out.size());
    return out;
}

// One variable for a .mat file. dims are MATLAB's (column-major); data holds prod(dims) values.
struct MatVar {
    std::string name;
    std::vector<size_t> dims;
    std::vector<double> doubles; // used when bytes is empty (class double)
    std::vector<uint8_t> bytes;  // class uint8
};

void writeMat(const std::string& path, const std::vector<MatVar>& vars, mat_ft version, matio_compression compression)
{
    QFile::remove(QString::fromStdString(path));
    mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, version);
    QVERIFY2(mat, path.c_str());
    for (const MatVar& v : vars) {
        std::vector<size_t> dims = v.dims;
        matvar_t* var = v.bytes.empty()
                            ? Mat_VarCreate(v.name.c_str(), MAT_C_DOUBLE, MAT_T_DOUBLE, int(dims.size()), dims.data(),
                                            const_cast<double*>(v.doubles.data()), MAT_F_DONT_COPY_DATA)
                            : Mat_VarCreate(v.name.c_str(), MAT_C_UINT8, MAT_T_UINT8, int(dims.size()), dims.data(),
                                            const_cast<uint8_t*>(v.bytes.data()), MAT_F_DONT_COPY_DATA);
        QVERIFY(var);
        QCOMPARE(Mat_VarWrite(mat, var, compression), 0);
        Mat_VarFree(var);
    }
    QCOMPARE(Mat_Close(mat), 0);
}

// Pixel value patterns that differ under transposition, so a wrong orientation is caught.
int tfdValue(int n, int r, int c) { return (n * 13 + r * 5 + c * 2) % 256; }
int olivettiValue(int n, int r, int c) { return (n * 17 + r * 3 + c * 11) % 256; }
int freyValue(int n, int r, int c) { return (n * 7 + r * 9 + c) % 256; }

// TFD-like: images N x 48 x 48 uint8 (images(n, r, c), column-major), folds N x 5, labs_ex N x 1.
std::vector<MatVar> tfdVars(int n)
{
    MatVar images{"images", {size_t(n), 48, 48}, {}, {}};
    images.bytes.resize(size_t(n) * 48 * 48);
    for (int i = 0; i < n; ++i)
        for (int r = 0; r < 48; ++r)
            for (int c = 0; c < 48; ++c)
                images.bytes[size_t(i + n * (r + 48 * c))] = uint8_t(tfdValue(i, r, c));
    MatVar folds{"folds", {size_t(n), 5}, std::vector<double>(size_t(n) * 5), {}};
    for (int i = 0; i < n; ++i)
        for (int f = 0; f < 5; ++f)
            folds.doubles[size_t(i + n * f)] = (i + f) % 4; // 0 unlabeled, 1 train, 2 valid, 3 test
    MatVar labs{"labs_ex", {size_t(n), 1}, std::vector<double>(size_t(n)), {}};
    for (int i = 0; i < n; ++i)
        labs.doubles[size_t(i)] = 1 + i % 7;
    return {images, folds, labs};
}

// Olivetti-like: faces 4096 x N doubles in [0, 255]; column i is a 64 x 64 image, column-major.
std::vector<MatVar> olivettiVars(int n)
{
    MatVar faces{"faces", {4096, size_t(n)}, std::vector<double>(size_t(4096) * n), {}};
    for (int i = 0; i < n; ++i)
        for (int r = 0; r < 64; ++r)
            for (int c = 0; c < 64; ++c)
                faces.doubles[size_t(r + 64 * c + 4096 * i)] = olivettiValue(i, r, c);
    return {faces};
}

// Frey-like: ff 560 x N uint8; column i is a 28-row x 20-column image, row-major.
std::vector<MatVar> freyVars(int n)
{
    MatVar ff{"ff", {560, size_t(n)}, {}, std::vector<uint8_t>(size_t(560) * n)};
    for (int i = 0; i < n; ++i)
        for (int r = 0; r < 28; ++r)
            for (int c = 0; c < 20; ++c)
                ff.bytes[size_t(20 * r + c + 560 * i)] = uint8_t(freyValue(i, r, c));
    return {ff};
}

// The message of the gsn::Error that f throws ("" if it does not throw).
std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const gsn::Error& e) {
        return e.what();
    }
    return {};
}

QString gsnBinary()
{
    return QString::fromLocal8Bit(qgetenv("GSN_BINARY_DIR")) + "/app/gsn";
}

} // namespace

class TestDatasets : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void loadSpeed(); // first, so that its printed time is of a cold process heap
    void registryCounts_data();
    void registryCounts();
    void mnistFirstLabels();
    void mnistSplitsAgree();
    void faces();
    void missingDataNamesSetup();

    void idxRoundTrip_data();
    void idxRoundTrip();
    void npyRoundTrip_data();
    void npyRoundTrip();
    void matRoundTrip_data();
    void matRoundTrip();
    void tfdFolds();
    void sliceAndHash();

    void badInput_data();
    void badInput();
    void npyEmptyHugeShape();
    void cliBrokenMaskIsOneLine_data();
    void cliBrokenMaskIsOneLine();
    void cliInfoProjectFiles_data();
    void cliInfoProjectFiles();
    void cliEvalSamplesWrongWidth();

    void cliInfo_data();
    void cliInfo();
    void cliInfoBroken_data();
    void cliInfoBroken();
};

void TestDatasets::initTestCase()
{
    QVERIFY2(QFile::exists(QString::fromStdString(gsn::dataDir() + "/mnist/train-images-idx3-ubyte")),
             "data/mnist missing: run ./setup.sh");
}

void TestDatasets::registryCounts_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("labelCount");
    QTest::newRow("mnist-trainfull") << "mnist-trainfull" << 60000 << 28 << 28 << 10;
    QTest::newRow("mnist-train") << "mnist-train" << 50000 << 28 << 28 << 10;
    QTest::newRow("mnist-valid") << "mnist-valid" << 10000 << 28 << 28 << 10;
    QTest::newRow("mnist-test") << "mnist-test" << 10000 << 28 << 28 << 10;
    QTest::newRow("fashion-train (gzip)") << "fashion-train" << 60000 << 28 << 28 << 10;
    QTest::newRow("fashion-test (gzip)") << "fashion-test" << 10000 << 28 << 28 << 10;
}

void TestDatasets::registryCounts()
{
    QFETCH(QString, spec);
    QFETCH(int, count);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, labelCount);
    const gsn::Dataset d = gsn::loadDataset(spec.toStdString());
    QCOMPARE(d.name, spec.toStdString());
    QCOMPARE(d.count(), count);
    QCOMPARE(d.width, width);
    QCOMPARE(d.height, height);
    QCOMPARE(d.dimension(), width * height);
    QCOMPARE(int(d.pixels.cols()), width * height);
    QCOMPARE(int(d.labels.size()), count);
    QCOMPARE(d.labelCount, labelCount);
    for (const int l : d.labels)
        QVERIFY(l >= 0 && l < labelCount);
    // Bytes / 255: the darkest pixel is exactly 0 and the brightest exactly 1.
    QCOMPARE(d.pixels.minCoeff(), 0.0f);
    QCOMPARE(d.pixels.maxCoeff(), 1.0f);
    QCOMPARE(d.hash.size(), size_t(16));
    QCOMPARE(d.hash, gsn::contentHash(d));
}

void TestDatasets::mnistFirstLabels()
{
    const gsn::Dataset train = gsn::loadDataset("mnist-train");
    const std::vector<int> first(train.labels.begin(), train.labels.begin() + 5);
    QCOMPARE(first, (std::vector<int>{5, 0, 4, 1, 9}));
    const gsn::Dataset test = gsn::loadDataset("mnist-test");
    const std::vector<int> firstTest(test.labels.begin(), test.labels.begin() + 5);
    QCOMPARE(firstTest, (std::vector<int>{7, 2, 1, 0, 4}));
    // Every MNIST digit has both background (0) and some ink: row sums are positive and < 784.
    for (int i = 0; i < 100; ++i) {
        const float s = train.pixels.row(i).sum();
        QVERIFY(s > 10.0f && s < 700.0f);
    }
}

void TestDatasets::mnistSplitsAgree()
{
    const gsn::Dataset full = gsn::loadDataset("mnist-trainfull");
    const gsn::Dataset train = gsn::loadDataset("mnist-train");
    const gsn::Dataset valid = gsn::loadDataset("mnist-valid");
    QVERIFY(full.pixels.topRows(50000) == train.pixels);
    QVERIFY(full.pixels.bottomRows(10000) == valid.pixels);
    QCOMPARE(valid.labels.front(), full.labels[50000]);
    QCOMPARE(full.slice(0, 50000, "").hash, train.hash);
    QCOMPARE(full.slice(50000, 60000, "").hash, valid.hash);
    QVERIFY(train.hash != valid.hash);
    QVERIFY(full.hash != train.hash);
}

void TestDatasets::faces()
{
    const gsn::Dataset d = gsn::loadDataset("faces");
    QCOMPARE(d.count(), 100);
    QCOMPARE(d.width, 25);
    QCOMPARE(d.height, 25);
    QVERIFY(d.labels.empty());
    QCOMPARE(d.labelCount, 0);
    const auto [lo, hi] = gsn::pixelRange(d);
    QVERIFY(lo >= 0.0f);
    QVERIFY(hi <= 1.0f);
    QVERIFY(hi - lo > 0.5f); // real photographs span most of the range
    // The first 100 of the 200 images, unchanged apart from float64 -> float32.
    const gsn::NpyArray raw = gsn::readNpy(gsn::dataDir() + "/lfw/lfw_subset.npy");
    QCOMPARE(raw.shape, (std::vector<int64_t>{200, 25, 25}));
    QCOMPARE(raw.dtype, std::string("<f8"));
    QCOMPARE(d.pixels(99, 624), raw.values[99 * 625 + 624]);
    QCOMPARE(d.pixels(0, 0), raw.values[0]);
}

void TestDatasets::loadSpeed()
{
    // The whole 60000-image training file, read + converted + hashed. The time is printed, not asserted
    // (figures belong to benchmarks: under the sanitizers a first, cold load takes 2.2 s of CPU where a
    // warm one takes 0.6; in Release it is well under a second).
    QElapsedTimer timer;
    timer.start();
    const std::clock_t cpuStart = std::clock();
    const gsn::Dataset d = gsn::loadDataset("mnist-trainfull");
    const double cpuSeconds = double(std::clock() - cpuStart) / CLOCKS_PER_SEC;
    qInfo("mnist-trainfull loaded in %.3f s CPU, %lld ms wall", cpuSeconds, static_cast<long long>(timer.elapsed()));
    QCOMPARE(d.count(), 60000);
    QCOMPARE(d.width, 28);
}

void TestDatasets::missingDataNamesSetup()
{
    const QByteArray saved = qgetenv("GSN_DATA_DIR");
    const std::string empty = tmpFile("no-data-here");
    QDir().mkpath(QString::fromStdString(empty));
    qputenv("GSN_DATA_DIR", QByteArray::fromStdString(empty));
    QCOMPARE(gsn::dataDir(), empty);
    const std::string message = errorOf([] { gsn::loadDataset("mnist-test"); });
    const std::string faces = errorOf([] { gsn::loadDataset("faces"); });
    if (saved.isEmpty())
        qunsetenv("GSN_DATA_DIR");
    else
        qputenv("GSN_DATA_DIR", saved);
    QVERIFY2(message.find("./setup.sh") != std::string::npos, message.c_str());
    QVERIFY2(message.find(empty + "/mnist/t10k-images-idx3-ubyte") != std::string::npos, message.c_str());
    QVERIFY2(faces.find("lfw_subset.npy") != std::string::npos && faces.find("./setup.sh") != std::string::npos,
             faces.c_str());
    const std::string unknown = errorOf([] { gsn::loadDataset("mnist-tset"); });
    QVERIFY2(unknown.find("mnist-test") != std::string::npos, unknown.c_str()); // lists the valid names
}

void TestDatasets::idxRoundTrip_data()
{
    QTest::addColumn<bool>("gzip");
    QTest::addColumn<bool>("withLabels");
    QTest::newRow("raw, labels paired") << false << true;
    QTest::newRow("raw, images only") << false << false;
    QTest::newRow("gzip, labels paired") << true << true;
}

void TestDatasets::idxRoundTrip()
{
    QFETCH(bool, gzip);
    QFETCH(bool, withLabels);
    const std::string dir = tmpFile(gzip ? "idx-gz" : withLabels ? "idx-raw" : "idx-nolabels");
    QDir(QString::fromStdString(dir)).removeRecursively();
    QDir().mkpath(QString::fromStdString(dir));
    const std::string ext = gzip ? ".gz" : "";
    const std::string images = dir + "/small-images-idx3-ubyte" + ext;
    const std::vector<uint8_t> labelBytes = idxBytes({6}, {3, 1, 4, 1, 5, 9});
    gzip ? writeGzip(images, smallImages(6, 5, 4)) : writeBytes(images, smallImages(6, 5, 4));
    if (withLabels)
        gzip ? writeGzip(dir + "/small-labels-idx1-ubyte" + ext, labelBytes)
             : writeBytes(dir + "/small-labels-idx1-ubyte" + ext, labelBytes);
    const gsn::Dataset d = gsn::loadDataset(images);
    QCOMPARE(d.count(), 6);
    QCOMPARE(d.height, 5);
    QCOMPARE(d.width, 4);
    for (int i = 0; i < 6; ++i)
        for (int r = 0; r < 5; ++r)
            for (int c = 0; c < 4; ++c)
                QCOMPARE(d.pixels(i, r * 4 + c), float((i * 31 + r * 7 + c * 3) % 256) / 255.0f);
    if (withLabels) {
        QCOMPARE(d.labels, (std::vector<int>{3, 1, 4, 1, 5, 9}));
        QCOMPARE(d.labelCount, 10);
    } else {
        QVERIFY(d.labels.empty());
        QCOMPARE(d.labelCount, 0);
    }
}

void TestDatasets::npyRoundTrip_data()
{
    QTest::addColumn<QList<qint64>>("shape");
    QTest::newRow("images 3 x 5 x 4") << QList<qint64>{3, 5, 4};
    QTest::newRow("one image 7 x 2") << QList<qint64>{7, 2};
    QTest::newRow("vector 100") << QList<qint64>{100};
    QTest::newRow("header needs two blocks") << QList<qint64>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2};
}

void TestDatasets::npyRoundTrip()
{
    QFETCH(QList<qint64>, shape);
    std::vector<int64_t> dims(shape.begin(), shape.end());
    int64_t n = 1;
    for (const int64_t s : dims)
        n *= s;
    std::vector<float> values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        values[size_t(i)] = float((i * 37) % 101) / 100.0f;
    const std::string path = tmpFile("roundtrip.npy");
    gsn::writeNpy(path, values.data(), dims);
    QVERIFY(!QFile::exists(QString::fromStdString(path + ".tmp"))); // renamed into place
    const std::vector<uint8_t> bytes = readBytes(path);
    const size_t headerEnd = 10 + (size_t(bytes[8]) | (size_t(bytes[9]) << 8));
    QCOMPARE(headerEnd % 64, size_t(0)); // numpy aligns the data to 64 bytes
    QCOMPARE(bytes[headerEnd - 1], uint8_t('\n'));
    QCOMPARE(bytes.size(), headerEnd + size_t(n) * 4);
    const gsn::NpyArray back = gsn::readNpy(path);
    QCOMPARE(back.shape, dims);
    QCOMPARE(back.dtype, std::string("<f4"));
    QCOMPARE(back.values, values);
    if (dims.size() == 2 || dims.size() == 3) {
        const gsn::Dataset d = gsn::loadDataset(path);
        QCOMPARE(d.count(), dims.size() == 3 ? int(dims[0]) : 1);
        QCOMPARE(d.width, int(dims.back()));
        QCOMPARE(d.height, int(dims[dims.size() - 2]));
        QCOMPARE(d.pixels(d.count() - 1, d.dimension() - 1), values.back());
    }
}

void TestDatasets::matRoundTrip_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("version");
    QTest::addColumn<bool>("compressed");
    for (const char* kind : {"tfd", "olivetti", "frey"}) {
        QTest::addRow("%s v5", kind) << kind << int(MAT_FT_MAT5) << false;
        QTest::addRow("%s v5 compressed", kind) << kind << int(MAT_FT_MAT5) << true;
        QTest::addRow("%s v7.3", kind) << kind << int(MAT_FT_MAT73) << false;
    }
}

void TestDatasets::matRoundTrip()
{
    QFETCH(QString, kind);
    QFETCH(int, version);
    QFETCH(bool, compressed);
    const int n = kind == "tfd" ? 9 : kind == "olivetti" ? 3 : 4;
    const std::vector<MatVar> vars = kind == "tfd" ? tfdVars(n) : kind == "olivetti" ? olivettiVars(n) : freyVars(n);
    const std::string path = tmpFile(kind.toStdString() + ".mat");
    writeMat(path, vars, mat_ft(version), compressed ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE);

    const gsn::Dataset d = gsn::loadDataset(path);
    const int w = kind == "tfd" ? 48 : kind == "olivetti" ? 64 : 20;
    const int h = kind == "tfd" ? 48 : kind == "olivetti" ? 64 : 28;
    QCOMPARE(d.count(), n);
    QCOMPARE(d.width, w);
    QCOMPARE(d.height, h);
    const auto value = kind == "tfd" ? tfdValue : kind == "olivetti" ? olivettiValue : freyValue;
    for (int i = 0; i < n; ++i)
        for (int r = 0; r < h; ++r)
            for (int c = 0; c < w; ++c)
                if (d.pixels(i, r * w + c) != float(value(i, r, c)) / 255.0f)
                    QFAIL(qPrintable(QString("pixel (%1, row %2, col %3): got %4, expected %5")
                                         .arg(i).arg(r).arg(c).arg(d.pixels(i, r * w + c) * 255.0f).arg(value(i, r, c))));
    if (kind == "tfd") {
        QCOMPARE(int(d.labels.size()), n);
        QCOMPARE(d.labels[8], 8 % 7);
        QCOMPARE(d.labelCount, 7);
    } else {
        QVERIFY(d.labels.empty());
    }
}

void TestDatasets::tfdFolds()
{
    const std::string path = tmpFile("tfd-folds.mat");
    writeMat(path, tfdVars(12), MAT_FT_MAT5, MAT_COMPRESSION_ZLIB);
    // folds(i, f) = (i + f - 1) % 4 for fold f in 1..5: fold 1 test (3) holds i = 3, 7, 11.
    const gsn::Dataset test = gsn::loadDataset(path + ":test");
    QCOMPARE(test.count(), 3);
    QCOMPARE(test.labels, (std::vector<int>{3, 0, 4}));
    QCOMPARE(test.pixels(1, 0), float(tfdValue(7, 0, 0)) / 255.0f);
    // Fold 2 train (1): (i + 1) % 4 == 1 -> i = 0, 4, 8.
    const gsn::Dataset train2 = gsn::loadDataset(path + ":train2");
    QCOMPARE(train2.count(), 3);
    QCOMPARE(train2.pixels(2, 5), float(tfdValue(8, 0, 5)) / 255.0f);
    QCOMPARE(train2.name, std::string("tfd-folds.mat:train2"));
    const std::string bad = errorOf([&] { gsn::loadDataset(path + ":training"); });
    QVERIFY2(bad.find("selection 'training'") != std::string::npos && bad.find(path) != std::string::npos, bad.c_str());
}

void TestDatasets::sliceAndHash()
{
    const std::string path = tmpFile("hash-images-idx3-ubyte");
    writeBytes(path, smallImages(10, 3, 3));
    const gsn::Dataset d = gsn::loadIdxDataset(path, {}, "small");
    const gsn::Dataset s = d.slice(2, 5, "-part");
    QCOMPARE(s.name, std::string("small-part"));
    QCOMPARE(s.count(), 3);
    QVERIFY(s.pixels == d.pixels.middleRows(2, 3));
    QCOMPARE(s.hash, gsn::contentHash(s));
    QVERIFY(s.hash != d.hash);
    QCOMPARE(d.slice(0, 10, "").hash, d.hash);
    gsn::Dataset changed = d;
    changed.pixels(9, 8) += 1.0f / 255.0f;
    QVERIFY(gsn::contentHash(changed) != d.hash);
    gsn::Dataset reshaped = d; // same bytes, different image shape
    reshaped.width = 9;
    reshaped.height = 1;
    QVERIFY(gsn::contentHash(reshaped) != d.hash);
    QVERIFY(!errorOf([&] { d.slice(5, 11, ""); }).empty());
    QVERIFY(!errorOf([&] { d.slice(-1, 2, ""); }).empty());
    QVERIFY(!errorOf([&] { d.slice(4, 3, ""); }).empty());
    QCOMPARE(d.slice(4, 4, "").count(), 0);
}

// Each row writes one broken file and names what the error must mention besides the file path.
void TestDatasets::badInput_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");

    const auto row = [](const char* name, const std::string& file, const char* field, const char* expected) {
        QTest::newRow(name) << QString::fromStdString(file) << field << expected;
    };
    const std::vector<uint8_t> good = smallImages(4, 28, 28);

    // IDX
    {
        std::vector<uint8_t> b = good;
        b.resize(b.size() - 100);
        writeBytes(tmpFile("truncated-images-idx3-ubyte"), b);
        row("idx truncated", tmpFile("truncated-images-idx3-ubyte"), "dimensions", "truncated");
    }
    {
        std::vector<uint8_t> b = good;
        b.insert(b.end(), 5, 0);
        writeBytes(tmpFile("long-images-idx3-ubyte"), b);
        row("idx trailing bytes", tmpFile("long-images-idx3-ubyte"), "dimensions", "trailing bytes");
    }
    {
        std::vector<uint8_t> b = good;
        b[0] = 0x12;
        b[1] = 0x34;
        writeBytes(tmpFile("magic-images-idx3-ubyte"), b);
        row("idx wrong magic", tmpFile("magic-images-idx3-ubyte"), "magic", "expected an IDX file starting with 0x00 0x00");
    }
    writeBytes(tmpFile("float-images-idx3-ubyte"), idxBytes({1, 2, 2}, std::vector<uint8_t>(16), 0x0D));
    row("idx wrong type", tmpFile("float-images-idx3-ubyte"), "type byte", "expected 0x08 (unsigned byte), got 0x0D");
    writeBytes(tmpFile("rank-images-idx3-ubyte"), idxBytes({}, {}));
    row("idx rank 0", tmpFile("rank-images-idx3-ubyte"), "rank byte", "expected 1 to 4 dimensions, got 0");
    writeBytes(tmpFile("empty-images-idx3-ubyte"), {});
    row("idx empty file", tmpFile("empty-images-idx3-ubyte"), "magic", "truncated");
    writeBytes(tmpFile("overflow-images-idx3-ubyte"), idxBytes({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, good));
    row("idx dims overflow", tmpFile("overflow-images-idx3-ubyte"), "dimensions",
        "expected at most 4294967296 bytes of values, the sizes 4294967295 x 4294967295 x 4294967295 need more");
    writeBytes(tmpFile("huge-images-idx3-ubyte"), idxBytes({1000000, 28, 28}, std::vector<uint8_t>(784)));
    row("idx dims exceed file", tmpFile("huge-images-idx3-ubyte"), "dimensions", "imply a file of 784000016 bytes, got 800");
    writeBytes(tmpFile("zero-images-idx3-ubyte"), idxBytes({3, 0, 28}, {}));
    row("idx zero size", tmpFile("zero-images-idx3-ubyte"), "dimension 1", "at least 1");
    {
        writeGzip(tmpFile("gz-images-idx3-ubyte.gz"), good);
        std::vector<uint8_t> b = readBytes(tmpFile("gz-images-idx3-ubyte.gz"));
        b.resize(b.size() / 2);
        writeBytes(tmpFile("gzcut-images-idx3-ubyte.gz"), b);
        row("idx gzip truncated", tmpFile("gzcut-images-idx3-ubyte.gz"), "dimensions", "gzip trailer");
    }
    writeGzip(tmpFile("gzhuge-images-idx3-ubyte.gz"), idxBytes({60000, 28, 28}, std::vector<uint8_t>(784)));
    row("idx gzip dims exceed data", tmpFile("gzhuge-images-idx3-ubyte.gz"), "dimensions", "gzip trailer says 800");
    {
        // Issue 12, found item 4: a small gzip file whose header and trailer agree on ~1 GB. Deflate cannot
        // expand more than 1032:1, so the claim is refused before anything is decompressed or allocated.
        // 600 KB of incompressible bytes, so the stream's own length check is not reached while the
        // header is read: it is the ratio rule that refuses.
        std::vector<uint8_t> noise(600 * 1024);
        uint32_t lcg = 12345;
        for (uint8_t& x : noise)
            x = uint8_t((lcg = lcg * 1664525u + 1013904223u) >> 24);
        writeGzip(tmpFile("gzratio-images-idx3-ubyte.gz"), idxBytes({1000, 1000, 1000}, noise));
        std::vector<uint8_t> b = readBytes(tmpFile("gzratio-images-idx3-ubyte.gz"));
        const uint32_t claim = 1000u * 1000u * 1000u + 16u;
        for (int i = 0; i < 4; ++i)
            b[b.size() - 4 + size_t(i)] = uint8_t(claim >> (8 * i));
        writeBytes(tmpFile("gzratio-images-idx3-ubyte.gz"), b);
        row("idx gzip claim beyond the deflate ratio", tmpFile("gzratio-images-idx3-ubyte.gz"), "dimensions",
            "need 1000000000 bytes, more than a");
    }
    {
        writeGzip(tmpFile("gzcrc-images-idx3-ubyte.gz"), good);
        std::vector<uint8_t> b = readBytes(tmpFile("gzcrc-images-idx3-ubyte.gz"));
        b[b.size() - 8] ^= 0xFF; // corrupt the CRC32 in the trailer
        writeBytes(tmpFile("gzcrc-images-idx3-ubyte.gz"), b);
        row("idx gzip bad checksum", tmpFile("gzcrc-images-idx3-ubyte.gz"), "gzip stream", "incorrect data check");
    }
    {
        const std::string dir = tmpFile("mismatch");
        QDir().mkpath(QString::fromStdString(dir));
        writeBytes(dir + "/m-images-idx3-ubyte", good);
        writeBytes(dir + "/m-labels-idx1-ubyte", idxBytes({3}, {1, 2, 3}));
        QTest::newRow("idx label count mismatch")
            << QString::fromStdString(dir + "/m-images-idx3-ubyte") << "labels-idx1-ubyte: count" << "expected 4 labels";
    }
    writeBytes(tmpFile("labels-only-idx1-ubyte"), idxBytes({3}, {1, 2, 3}));
    row("idx labels as images", tmpFile("labels-only-idx1-ubyte"), "dimensions", "expected 3 (count x rows x columns)");

    // .npy
    const std::vector<uint8_t> f8 = doublesAsBytes(std::vector<double>(2 * 3 * 4, 0.5));
    const std::string shape = "'shape': (2, 3, 4), }";
    writeBytes(tmpFile("magic.npy"), {'N', 'O', 'T', 'N', 'P', 'Y', 1, 0, 0, 0});
    row("npy wrong magic", tmpFile("magic.npy"), "magic", "NUMPY");
    writeBytes(tmpFile("dtype.npy"), npyBytes("{'descr': '<i8', 'fortran_order': False, " + shape, f8));
    row("npy wrong dtype", tmpFile("dtype.npy"), "dtype", "got '<i8'");
    writeBytes(tmpFile("bigendian.npy"), npyBytes("{'descr': '>f8', 'fortran_order': False, " + shape, f8));
    row("npy big-endian dtype", tmpFile("bigendian.npy"), "dtype", "got '>f8'");
    writeBytes(tmpFile("fortran.npy"), npyBytes("{'descr': '<f8', 'fortran_order': True, " + shape, f8));
    row("npy fortran order", tmpFile("fortran.npy"), "fortran_order", "expected False (C order), got True");
    {
        std::vector<uint8_t> b = npyBytes("{'descr': '<f8', 'fortran_order': False, " + shape, f8);
        b.resize(b.size() - 9);
        writeBytes(tmpFile("truncated.npy"), b);
        row("npy truncated", tmpFile("truncated.npy"), "shape", "truncated");
    }
    writeBytes(tmpFile("overflow.npy"),
               npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (999999999999, 999999999999, 999999999999), }", f8));
    row("npy shape overflow", tmpFile("overflow.npy"), "shape", "needs more");
    writeBytes(tmpFile("bigshape.npy"), npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (60000, 28, 28), }", f8));
    row("npy shape exceeds file", tmpFile("bigshape.npy"), "shape", "expected at most 192 bytes");
    writeBytes(tmpFile("badshape.npy"), npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }", f8));
    row("npy malformed shape", tmpFile("badshape.npy"), "header shape", "expected a tuple");
    writeBytes(tmpFile("nodescr.npy"), npyBytes("{'fortran_order': False, " + shape, f8));
    row("npy missing descr", tmpFile("nodescr.npy"), "header descr", "expected a dtype");
    {
        std::vector<uint8_t> b = npyBytes("{'descr': '<f8', 'fortran_order': False, " + shape, f8);
        b[8] = 0xFF;
        b[9] = 0xFF;
        writeBytes(tmpFile("headerlen.npy"), b);
        row("npy header length beyond file", tmpFile("headerlen.npy"), "header length", "truncated or corrupt");
    }
    {
        std::vector<double> v(24, 0.25);
        v[17] = std::numeric_limits<double>::quiet_NaN();
        writeBytes(tmpFile("nan.npy"), npyBytes("{'descr': '<f8', 'fortran_order': False, " + shape, doublesAsBytes(v)));
        row("npy NaN", tmpFile("nan.npy"), "data", "expected finite values, got NaN at element 17");
    }
    {
        std::vector<double> v(24, 0.25);
        v[3] = -2.0;
        writeBytes(tmpFile("range.npy"), npyBytes("{'descr': '<f8', 'fortran_order': False, " + shape, doublesAsBytes(v)));
        row("npy values out of range", tmpFile("range.npy"), "data", "expected pixel values in [0, 1] or [0, 255], got [-2, 0.25]");
    }
    // Issue 12, found item 7: 'fortran_order': 'False' (a string) is refused, not read as False.
    writeBytes(tmpFile("fortranstring.npy"), npyBytes("{'descr': '<f8', 'fortran_order': 'False', " + shape, f8));
    row("npy fortran_order a string", tmpFile("fortranstring.npy"), "fortran_order",
        "expected the literal False or True, got the string 'False'");
    {
        // Issue 12, found item 7: a float64 beyond float32's range is refused, not turned into infinity.
        std::vector<double> v(24, 0.25);
        v[5] = 1e300;
        writeBytes(tmpFile("f8huge.npy"), npyBytes("{'descr': '<f8', 'fortran_order': False, " + shape, doublesAsBytes(v)));
        row("npy float64 beyond float32", tmpFile("f8huge.npy"), "data", "expected values in float32's range");
    }
    {
        // Issue 12, found item 2: (3037000500, 3037000500, 4) overflows int64 (3037000500^2 x 4 > 2^63).
        writeBytes(tmpFile("overflow2.npy"),
                   npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3037000500, 3037000500, 4), }", f8));
        row("npy shape product overflows int64", tmpFile("overflow2.npy"), "shape", "needs more");
    }
    {
        // Issue 12, found item 5: a long dtype with raw bytes is quoted cut and escaped.
        std::string descr(600, 'x');
        descr[1] = '\xFF';
        writeBytes(tmpFile("longdtype.npy"), npyBytes("{'descr': '" + descr + "', 'fortran_order': False, " + shape, f8));
        row("npy long dtype", tmpFile("longdtype.npy"), "dtype", "got 'x\\xFFxxxx");
        row("npy long dtype is cut", tmpFile("longdtype.npy"), "dtype", "xxx'... (600 bytes)");
    }
    writeBytes(tmpFile("rank4.npy"), npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3, 4), }", f8));
    row("npy 4-D", tmpFile("rank4.npy"), "shape", "expected (count, height, width)");

    // .mat
    writeMat(tmpFile("novar.mat"), {MatVar{"pictures", {2, 2}, {0, 1, 0, 1}, {}}}, MAT_FT_MAT5, MAT_COMPRESSION_NONE);
    row("mat without expected variable", tmpFile("novar.mat"), "variables",
        "expected 'images' (TFD), 'faces' (Olivetti) or 'ff' (Frey), found 'pictures'");
    writeMat(tmpFile("cut.mat"), olivettiVars(2), MAT_FT_MAT5, MAT_COMPRESSION_NONE);
    {
        std::vector<uint8_t> b = readBytes(tmpFile("cut.mat"));
        b.resize(b.size() - 1000);
        writeBytes(tmpFile("cut.mat"), b);
        row("mat truncated", tmpFile("cut.mat"), "variable 0", "truncated");
    }
    writeMat(tmpFile("cutz.mat"), freyVars(30), MAT_FT_MAT5, MAT_COMPRESSION_ZLIB);
    {
        std::vector<uint8_t> b = readBytes(tmpFile("cutz.mat"));
        b.resize(b.size() - 50);
        writeBytes(tmpFile("cutz.mat"), b);
        row("mat compressed truncated", tmpFile("cutz.mat"), "variable 0", "truncated");
    }
    writeMat(tmpFile("cut73.mat"), freyVars(30), MAT_FT_MAT73, MAT_COMPRESSION_NONE);
    {
        std::vector<uint8_t> b = readBytes(tmpFile("cut73.mat"));
        b.resize(5000);
        writeBytes(tmpFile("cut73.mat"), b);
        row("mat v7.3 truncated", tmpFile("cut73.mat"), "variables", "truncated or corrupt");
    }
    writeMat(tmpFile("namelen.mat"), olivettiVars(2), MAT_FT_MAT5, MAT_COMPRESSION_NONE);
    {
        // The name sub-element of 'faces' (after the 128-byte header, the matrix tag, array flags and dims)
        // claims 1 GB: libmatio would allocate and clear that much (found by fuzz_mat; its reproducer is
        // tests/fuzz/regressions/mat/mat-name-1gb.mat).
        std::vector<uint8_t> b = readBytes(tmpFile("namelen.mat"));
        QCOMPARE(int(b[168]), 1); // miINT8
        QCOMPARE(int(b[172]), 5); // "faces"
        b[175] = 0x40;
        writeBytes(tmpFile("namelen.mat"), b);
        row("mat name length beyond the variable", tmpFile("namelen.mat"), "variable 0", "it claims 1073741829 (corrupt file)");
    }
    // A deflate stream damaged after the dimensions' tag: libmatio inflated the part before the damage and
    // allocated the 5.3 GB of dimensions that tag claims (found by fuzz_mat, the 308-byte reproducer).
    QTest::newRow("mat compressed stream broken") << QString(GSN_SOURCE_DIR "/tests/fuzz/regressions/mat/broken-stream-5gb-dims.mat")
                                                  << "variable 0" << "expected a zlib stream, zlib says: 'invalid";
    // A cell array whose dimensions claim more elements than its bytes can hold: libmatio allocated a
    // pointer per element (75 GB) before reading them (found by fuzz_mat, the 760-byte reproducer).
    QTest::newRow("mat cell with absurd dimensions") << QString(GSN_SOURCE_DIR "/tests/fuzz/regressions/mat/cell-dims-75gb.mat")
                                                     << "variable 0" << "expected a cell array of at most 76 elements";
    writeBytes(tmpFile("garbage.mat"), std::vector<uint8_t>(300, 'x'));
    row("mat not a MAT-file", tmpFile("garbage.mat"), "header", "expected a MATLAB .mat file");
    {
        std::vector<MatVar> v = olivettiVars(2);
        v[0].doubles[5000] = std::numeric_limits<double>::quiet_NaN();
        writeMat(tmpFile("nan.mat"), v, MAT_FT_MAT5, MAT_COMPRESSION_ZLIB);
        row("mat NaN", tmpFile("nan.mat"), "variable 'faces'", "expected finite pixel values, got NaN at element 5000");
    }
    {
        std::vector<MatVar> v = olivettiVars(2);
        v[0].doubles[7] = 300.0;
        writeMat(tmpFile("range.mat"), v, MAT_FT_MAT5, MAT_COMPRESSION_NONE);
        row("mat values out of range", tmpFile("range.mat"), "variable 'faces'", "got [0, 300]");
    }
    writeMat(tmpFile("frey561.mat"), {MatVar{"ff", {561, 2}, {}, std::vector<uint8_t>(1122)}}, MAT_FT_MAT5,
             MAT_COMPRESSION_NONE);
    row("mat wrong size", tmpFile("frey561.mat"), "variable 'ff'", "expected 560 x N");
    writeMat(tmpFile("olivetti-notsquare.mat"), {MatVar{"faces", {4095, 1}, std::vector<double>(4095), {}}}, MAT_FT_MAT5,
             MAT_COMPRESSION_NONE);
    row("mat non-square faces", tmpFile("olivetti-notsquare.mat"), "variable 'faces'", "a square number");
    writeMat(tmpFile("tfd-rank2.mat"), {MatVar{"images", {3, 2304}, {}, std::vector<uint8_t>(3 * 2304)}}, MAT_FT_MAT5,
             MAT_COMPRESSION_NONE);
    row("mat TFD wrong rank", tmpFile("tfd-rank2.mat"), "variable 'images'", "expected N x H x W");
    {
        std::vector<MatVar> v = tfdVars(3);
        v.erase(v.begin() + 1); // no folds
        writeMat(tmpFile("tfd-nofolds.mat"), v, MAT_FT_MAT5, MAT_COMPRESSION_NONE);
        QTest::newRow("mat TFD selection without folds") << QString::fromStdString(tmpFile("tfd-nofolds.mat") + ":train")
                                                         << "variable 'folds'" << "expected an N x 5 fold table";
    }
    writeMat(tmpFile("frey-select.mat"), freyVars(2), MAT_FT_MAT5, MAT_COMPRESSION_NONE);
    QTest::newRow("mat selection on Frey") << QString::fromStdString(tmpFile("frey-select.mat") + ":test")
                                           << "selection 'test'" << "only TFD files";
}

void TestDatasets::badInput()
{
    // Every message is one short line of printable ASCII (issue 12, found item 5).
    const auto shortAndPrintable = [](const std::string& message) {
        if (message.size() > 600)
            return false;
        for (const char c : message)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F)
                return false;
        return true;
    };
    QFETCH(QString, file);
    QFETCH(QString, field);
    QFETCH(QString, expected);
    const std::string spec = file.toStdString();
    const std::string message = errorOf([&] { gsn::loadDataset(spec); });
    QVERIFY2(!message.empty(), "no gsn::Error thrown");
    // The file (without a ":selection" suffix), the field and what was expected, on one line.
    const std::string path = spec.substr(0, spec.rfind(".mat:") != std::string::npos ? spec.rfind(':') : spec.size());
    QVERIFY2(message.find(path) != std::string::npos, message.c_str());
    QVERIFY2(message.find(field.toStdString()) != std::string::npos, message.c_str());
    QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
    QVERIFY2(message.find('\n') == std::string::npos, message.c_str());
    QVERIFY2(shortAndPrintable(message), message.substr(0, 700).c_str());
}

// Issue 12, found item 2: an empty array whose other dimensions multiply past int64 is a valid empty
// array (UBSan saw a null pointer passed to memcpy and a signed overflow here).
void TestDatasets::npyEmptyHugeShape()
{
    const std::string path = tmpFile("empty-huge.npy");
    writeBytes(path, npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3037000500, 3037000500), }", {}));
    const gsn::NpyArray a = gsn::readNpy(path);
    QCOMPARE(a.values.size(), size_t(0));
    QCOMPARE(a.shape.size(), size_t(3));
    QCOMPARE(a.shape[1], int64_t(3037000500));
}

namespace {

// A PNG chunk: length, type, data, CRC (corrupted when `badCrc`).
void pngChunk(std::vector<uint8_t>& out, const std::string& type, const std::vector<uint8_t>& data, bool badCrc = false)
{
    putBigEndian(out, uint32_t(data.size()));
    std::vector<uint8_t> typed(type.begin(), type.end());
    typed.insert(typed.end(), data.begin(), data.end());
    out.insert(out.end(), typed.begin(), typed.end());
    putBigEndian(out, uint32_t(crc32(0L, typed.data(), uInt(typed.size()))) ^ (badCrc ? 1u : 0u));
}

} // namespace

// Issue 12, found item 5: a broken mask PNG is refused with one line, no libpng/Qt warning before it.
void TestDatasets::cliBrokenMaskIsOneLine_data()
{
    QTest::addColumn<QString>("mask");
    QTest::addColumn<QString>("expected");
    const std::vector<uint8_t> signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    const std::vector<uint8_t> ihdr = {0, 0, 0, 28, 0, 0, 0, 28, 8, 0, 0, 0, 0}; // 28 x 28, 8-bit grey
    std::vector<uint8_t> b = signature;
    pngChunk(b, "IHDR", ihdr);
    pngChunk(b, std::string("pHY\x8C", 4), std::vector<uint8_t>(9));
    writeBytes(tmpFile("mask-chunktype.png"), b);
    QTest::newRow("invalid chunk type") << QString::fromStdString(tmpFile("mask-chunktype.png")) << "invalid chunk type 'pHY\\x8C'";
    b = signature;
    pngChunk(b, "IHDR", ihdr, true);
    writeBytes(tmpFile("mask-crc.png"), b);
    QTest::newRow("wrong CRC") << QString::fromStdString(tmpFile("mask-crc.png")) << "chunk IHDR at byte 8 has a wrong CRC";
    b = signature;
    pngChunk(b, "IHDR", ihdr);
    writeBytes(tmpFile("mask-cut.png"), b);
    QTest::newRow("no IEND") << QString::fromStdString(tmpFile("mask-cut.png")) << "(truncated)";
}

void TestDatasets::cliBrokenMaskIsOneLine()
{
    QFETCH(QString, mask);
    QFETCH(QString, expected);
    const std::string model = tmpFile("mask-model.safetensors");
    gsn::saveCheckpoint(model, *gsn::createModel({{"kind", "dae"}, {"sizes", {784, 4}}}, 1), nullptr, {});
    QProcess gsn;
    gsn.start(gsnBinary(), {"sample", "--model", QString::fromStdString(model), "--chains", "1", "--steps", "1", "--init",
                            "test:1", "--data", "mnist-test", "--clamp", mask, "--out", QString::fromStdString(tmpFile("mask-out.png")), "--quiet"});
    QVERIFY2(gsn.waitForStarted(), qPrintable("cannot start " + gsnBinary()));
    QVERIFY2(gsn.waitForFinished(60000), "gsn sample did not finish");
    QCOMPARE(gsn.exitStatus(), QProcess::NormalExit);
    QCOMPARE(gsn.exitCode(), 1);
    QString err = QString::fromUtf8(gsn.readAllStandardError());
    // Qt's own note about the runtime folder is not about the file.
    err.remove(QRegularExpression("^QStandardPaths: [^\n]*\n", QRegularExpression::MultilineOption));
    QVERIFY2(err.count('\n') == 1 && err.startsWith("gsn sample: error: " + mask + ": mask: "), qPrintable(err));
    QVERIFY2(err.contains(expected), qPrintable(err));
}

// Issue 12, found item 6: `gsn info` describes the files the project writes, not only datasets.
void TestDatasets::cliInfoProjectFiles_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("kind");
    const std::vector<float> v(2 * 3 * 2 * 2, 0.5f);
    gsn::writeNpy(tmpFile("recording.npy"), v.data(), {2, 3, 2, 2});
    QTest::newRow("chain recording (gsn sample --out FILE.npy)") << QString::fromStdString(tmpFile("recording.npy"))
                                                                 << "kind: chain recording (.npy, [chains, steps, height, width]";
    gsn::writeNpy(tmpFile("ll.npy"), v.data(), {5});
    QTest::newRow("values (gsn eval --save-ll)") << QString::fromStdString(tmpFile("ll.npy")) << "kind: values (.npy, one dimension";
    gsn::saveCheckpoint(tmpFile("info-model.safetensors"), *gsn::createModel({{"kind", "dae"}, {"sizes", {4, 3}}}, 1), nullptr, {});
    QTest::newRow("checkpoint") << QString::fromStdString(tmpFile("info-model.safetensors")) << "kind: checkpoint (safetensors";
}

void TestDatasets::cliInfoProjectFiles()
{
    QFETCH(QString, file);
    QFETCH(QString, kind);
    QProcess gsn;
    gsn.start(gsnBinary(), {"info", file});
    QVERIFY2(gsn.waitForStarted(), qPrintable("cannot start " + gsnBinary()));
    QVERIFY2(gsn.waitForFinished(60000), "gsn info did not finish");
    const QString out = QString::fromUtf8(gsn.readAllStandardOutput());
    QVERIFY2(gsn.exitStatus() == QProcess::NormalExit && gsn.exitCode() == 0,
             qPrintable(QString::fromUtf8(gsn.readAllStandardError())));
    QVERIFY2(out.contains(kind), qPrintable(out));
}

// Issue 12, found item 5: `gsn eval --samples` with rows of the wrong width names the file.
void TestDatasets::cliEvalSamplesWrongWidth()
{
    const std::vector<float> v(10 * 5 * 5, 0.5f);
    const std::string path = tmpFile("eval-5x5.npy");
    gsn::writeNpy(path, v.data(), {10, 5, 5});
    QProcess gsn;
    gsn.start(gsnBinary(), {"eval", "--samples", QString::fromStdString(path), "--n", "10"});
    QVERIFY2(gsn.waitForStarted(), qPrintable("cannot start " + gsnBinary()));
    QVERIFY2(gsn.waitForFinished(120000), "gsn eval did not finish");
    QCOMPARE(gsn.exitCode(), 1);
    const QString err = QString::fromUtf8(gsn.readAllStandardError());
    QVERIFY2(err.contains(QString::fromStdString(path) +
                          ": shape: expected rows of 784 pixels like the test set (mnist-test), got 25 values per row"),
             qPrintable(err));
}

void TestDatasets::cliInfo_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("count");
    QTest::addColumn<QString>("detail");
    const QString data = QString::fromStdString(gsn::dataDir());
    QTest::newRow("mnist train images") << data + "/mnist/train-images-idx3-ubyte" << "count: 60000" << "size: 28 x 28";
    QTest::newRow("mnist train labels") << data + "/mnist/train-labels-idx1-ubyte" << "count: 60000" << "labels: 10 classes";
    QTest::newRow("mnist t10k images") << data + "/mnist/t10k-images-idx3-ubyte" << "count: 10000" << "range: [0, 1]";
    QTest::newRow("fashion t10k gzip") << data + "/fashion-mnist/t10k-images-idx3-ubyte.gz" << "count: 10000"
                                       << "labels: 10 classes";
    QTest::newRow("lfw npy") << data + "/lfw/lfw_subset.npy" << "count: 200" << "size: 25 x 25";
    QTest::newRow("name mnist-valid") << "mnist-valid" << "count: 10000" << "hash: ";
    QTest::newRow("name faces") << "faces" << "count: 100" << "labels: none";
}

void TestDatasets::cliInfo()
{
    QFETCH(QString, spec);
    QFETCH(QString, count);
    QFETCH(QString, detail);
    QProcess gsn;
    gsn.start(gsnBinary(), {"info", spec});
    QVERIFY2(gsn.waitForStarted(), qPrintable("cannot start " + gsnBinary()));
    QVERIFY2(gsn.waitForFinished(60000), "gsn info did not finish");
    const QString out = QString::fromUtf8(gsn.readAllStandardOutput());
    QVERIFY2(gsn.exitStatus() == QProcess::NormalExit && gsn.exitCode() == 0,
             qPrintable(QString::fromUtf8(gsn.readAllStandardError())));
    QVERIFY2(out.contains(count + "\n"), qPrintable(out));
    QVERIFY2(out.contains(detail), qPrintable(out));
}

void TestDatasets::cliInfoBroken_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("field");
    std::vector<uint8_t> b = smallImages(2, 28, 28);
    b.resize(b.size() - 1);
    writeBytes(tmpFile("cli-cut-images-idx3-ubyte"), b);
    QTest::newRow("truncated IDX") << QString::fromStdString(tmpFile("cli-cut-images-idx3-ubyte")) << "dimensions";
    writeBytes(tmpFile("cli-fortran.npy"), npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", {0, 0, 0, 0}));
    QTest::newRow("fortran .npy") << QString::fromStdString(tmpFile("cli-fortran.npy")) << "fortran_order";
    writeMat(tmpFile("cli-novar.mat"), {MatVar{"x", {1, 1}, {0.5}, {}}}, MAT_FT_MAT5, MAT_COMPRESSION_NONE);
    QTest::newRow(".mat without variable") << QString::fromStdString(tmpFile("cli-novar.mat")) << "variables";
    QTest::newRow("missing file") << QString::fromStdString(tmpFile("does-not-exist.npy")) << "dataset";
}

void TestDatasets::cliInfoBroken()
{
    QFETCH(QString, file);
    QFETCH(QString, field);
    QProcess gsn;
    gsn.start(gsnBinary(), {"info", file});
    QVERIFY2(gsn.waitForStarted(), qPrintable("cannot start " + gsnBinary()));
    QVERIFY2(gsn.waitForFinished(60000), "gsn info did not finish");
    QCOMPARE(gsn.exitStatus(), QProcess::NormalExit);
    QVERIFY(gsn.exitCode() != 0);
    const QString err = QString::fromUtf8(gsn.readAllStandardError());
    QVERIFY2(err.count('\n') == 1 && err.endsWith('\n'), qPrintable(err)); // exactly one line
    QVERIFY2(err.contains(file) && err.contains(field), qPrintable(err));
    QVERIFY2(gsn.readAllStandardOutput().isEmpty(), "nothing on stdout for a broken file");
}

QTEST_GUILESS_MAIN(TestDatasets)
#include "tst_datasets.moc"
