// gsn interpolate (cli/cmd_interpolate.cpp) as a process, on the shipped default GSN-2: the strip image
// (one row per space: x, h1, h2), the JSON figures (the engine's, engine/eval/interpolation.h), and the
// refusal of bad input with a message naming the option.

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QTest>

#include <fstream>

namespace {

struct Run {
    int code = -1;
    QString err;
};

Run runGsn(const QStringList& args)
{
    QProcess proc;
    proc.start(qEnvironmentVariable("GSN_BINARY_DIR") + "/app/gsn", args);
    Run r;
    if (!proc.waitForFinished(120000))
        return r;
    r.code = proc.exitStatus() == QProcess::NormalExit ? proc.exitCode() : -2;
    r.err = QString::fromUtf8(proc.readAllStandardError());
    return r;
}

QString resource(const char* name)
{
    return QStringLiteral(GSN_SOURCE_DIR) + "/resources/" + name;
}

} // namespace

class TestInterpolateCommand : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (!QFile::exists(qEnvironmentVariable("GSN_BINARY_DIR") + "/app/gsn"))
            QSKIP("the gsn binary is not built (GSN_BINARY_DIR/app/gsn)");
        m_dir = qEnvironmentVariable("GSN_TEST_TMP", QDir::tempPath()) + "/interpolatecommand";
        QDir().mkpath(m_dir);
    }

    void stripAndFigures()
    {
        const QString png = m_dir + "/strip.png", json = m_dir + "/strip.json";
        QFile::remove(png);
        QFile::remove(json);
        const Run r = runGsn({"interpolate", "--model", resource("default-gsn2.safetensors"), "--from", "test:0", "--to", "test:1",
                              "--steps", "7", "--scale", "1", "--out", png, "--json", json});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() >= 7 * 28 && image.height() >= 3 * 28);
        QVERIFY(image.text("Interpolation").contains("noise off"));
        std::ifstream in(json.toStdString());
        const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
        QVERIFY(!j.is_discarded());
        QCOMPARE(j["steps"].get<int>(), 7);
        QCOMPARE(j["class_a"].get<int>(), 7); // test digit 0 is a 7, test digit 1 a 2
        QCOMPARE(j["class_b"].get<int>(), 2);
        QCOMPARE(j["spaces"].size(), std::size_t(3));
        const char* names[] = {"x", "h1", "h2"};
        for (std::size_t s = 0; s < 3; ++s) {
            const nlohmann::json& row = j["spaces"][s];
            QCOMPARE(row["space"].get<std::string>(), std::string(names[s]));
            QCOMPARE(row["classes"].size(), std::size_t(7));
            for (const char* figure : {"mean_step", "max_step", "path_ratio", "off_fraction", "unsure_fraction", "grey_fraction"})
                QVERIFY2(row[figure].is_number(), figure);
            QVERIFY(row["max_step"].get<double>() >= row["mean_step"].get<double>() - 1e-9);
        }
        // The x row is the pixel interpolation: a straight path, its ends the digits themselves.
        QVERIFY(std::abs(j["spaces"][0]["path_ratio"].get<double>() - 1.0) < 1e-4);
        QCOMPARE(j["spaces"][0]["classes"][0].get<int>(), 7);
        QCOMPARE(j["spaces"][0]["classes"][6].get<int>(), 2);
        // stderr has one line of figures per space.
        QVERIFY2(r.err.contains("h2  step"), qPrintable(r.err));
    }

    void refusesBadInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString gsn = resource("default-gsn2.safetensors");
        QTest::newRow("no model") << QStringList{"interpolate", "--out", "x.png"} << "--model";
        QTest::newRow("one step") << QStringList{"interpolate", "--model", gsn, "--steps", "1", "--out", "x.png"} << "--steps";
        QTest::newRow("too many steps") << QStringList{"interpolate", "--model", gsn, "--steps", "65", "--out", "x.png"} << "--steps";
        QTest::newRow("graph updates") << QStringList{"interpolate", "--model", gsn, "--graph-updates", "101", "--out", "x.png"}
                                       << "--graph-updates";
        QTest::newRow("out suffix") << QStringList{"interpolate", "--model", gsn, "--out", "x.gif"} << "x.gif";
        QTest::newRow("json suffix") << QStringList{"interpolate", "--model", gsn, "--out", "x.png", "--json", "x.txt"} << "--json";
        QTest::newRow("from past the test set") << QStringList{"interpolate", "--model", gsn, "--from", "test:10000", "--out", "x.png"}
                                                << "--from";
        QTest::newRow("to not a test digit") << QStringList{"interpolate", "--model", gsn, "--to", "noise", "--out", "x.png"} << "--to";
        QTest::newRow("missing file") << QStringList{"interpolate", "--model", "/nonexistent/m.safetensors", "--out", "x.png"}
                                      << "/nonexistent/m.safetensors";
    }

    void refusesBadInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const QString before = QDir::currentPath();
        QDir::setCurrent(m_dir);
        QFile::remove("x.png");
        const Run r = runGsn(args);
        QDir::setCurrent(before);
        QVERIFY2(r.code != 0 && r.code != -1 && r.code != -2, qPrintable(QString::number(r.code) + " " + r.err));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir + "/x.png"));
    }

private:
    QString m_dir;
};

QTEST_GUILESS_MAIN(TestInterpolateCommand)
#include "tst_interpolatecommand.moc"
