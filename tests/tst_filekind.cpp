// File kinds told from the first bytes (engine/data/filekind.h), on the project's real files of each kind
// and on made-up heads: what the studio says when a file is opened as the wrong thing.

#include "datasets.h"
#include "filekind.h"
#include "testsupport.h"

#include <QTest>

using namespace gsn;

Q_DECLARE_METATYPE(gsn::FileKind)

class TestFileKind : public QObject {
    Q_OBJECT
private slots:
    void realFiles_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<FileKind>("kind");
        const QString source = QStringLiteral(GSN_SOURCE_DIR);
        const QString data = QString::fromStdString(dataDir());
        QTest::newRow("checkpoint") << source + "/resources/default-gsn2.safetensors" << FileKind::Safetensors;
        QTest::newRow("classifier") << source + "/resources/mnist-classifier.safetensors" << FileKind::Safetensors;
        QTest::newRow("png") << source + "/docs/screenshots/evaluate.png" << FileKind::Png;
        QTest::newRow("text") << source + "/README.md" << FileKind::Text;
        QTest::newRow("idx") << data + "/mnist/t10k-images-idx3-ubyte" << FileKind::Idx;
        QTest::newRow("idx labels") << data + "/mnist/t10k-labels-idx1-ubyte" << FileKind::Idx;
        QTest::newRow("gzip idx") << data + "/fashion-mnist/t10k-images-idx3-ubyte.gz" << FileKind::Gzip;
        QTest::newRow("npy") << data + "/lfw/lfw_subset.npy" << FileKind::Npy;
    }
    void realFiles()
    {
        QFETCH(QString, path);
        QFETCH(FileKind, kind);
        QVERIFY2(QFile::exists(path), qPrintable(path));
        QCOMPARE(sniffFile(path.toStdString()), kind);
    }

    void heads_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<FileKind>("kind");
        QTest::newRow("empty") << QByteArray() << FileKind::Empty;
        QTest::newRow("jpeg") << QByteArray("\xff\xd8\xff\xe0\x00\x10JFIF", 10) << FileKind::Jpeg;
        QTest::newRow("gif") << QByteArray("GIF89a\x01\x00", 8) << FileKind::Gif;
        QTest::newRow("mat") << QByteArray("MATLAB 5.0 MAT-file, Platform: GLNXA64") << FileKind::Mat;
        QTest::newRow("zip") << QByteArray("PK\x03\x04\x14\x00", 6) << FileKind::Zip;
        QTest::newRow("pdf") << QByteArray("%PDF-1.7\n") << FileKind::Pdf;
        QTest::newRow("utf-8 text") << QByteArray("r\xc3\xa9sum\xc3\xa9\n") << FileKind::Text;
        QTest::newRow("binary") << QByteArray("\x01\x02\x03\x04\x00\xff", 6) << FileKind::Unknown;
        // A safetensors length that cannot be (over the format's 100 MB cap) is not a checkpoint.
        QTest::newRow("huge header length") << QByteArray("\xff\xff\xff\xff\x00\x00\x00\x00{", 9) << FileKind::Unknown;
        // IDX needs a known type code and 1-4 dimensions.
        QTest::newRow("idx bad type") << QByteArray("\x00\x00\x07\x03", 4) << FileKind::Unknown;
        QTest::newRow("idx 5 dims") << QByteArray("\x00\x00\x08\x05", 4) << FileKind::Unknown;
    }
    void heads()
    {
        QFETCH(QByteArray, head);
        QFETCH(FileKind, kind);
        QCOMPARE(sniffFileKind(std::string_view(head.constData(), std::size_t(head.size()))), kind);
    }

    void phrases()
    {
        QCOMPARE(QString::fromStdString(fileKindPhrase(FileKind::Png)), QString("a PNG image"));
        QVERIFY(fileKindPhrase(FileKind::Safetensors).empty()); // a checkpoint's own failure speaks for it
        QVERIFY(fileKindPhrase(FileKind::Unknown).empty());
    }
};

QTEST_APPLESS_MAIN(TestFileKind)
#include "tst_filekind.moc"
