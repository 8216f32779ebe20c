// gsn mix (cli/cmd_mix.cpp) run as a process: the metrics.json schema, the trace's shape and contents,
// the panel image, and the refusal of a bad --target, --samplers, --trace path or --beta with a message
// naming the option (and no file left behind).

#include "npy.h"

#include <nlohmann/json.hpp>

#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QProcess>

#include <QtTest>

#include <cmath>
#include <fstream>

namespace {

QString gsnBinary()
{
    return qEnvironmentVariable("GSN_BINARY_DIR") + "/app/gsn";
}

QString scratch()
{
    const QString dir = qEnvironmentVariable("GSN_TEST_TMP", QDir::tempPath()) + "/mixcommand";
    QDir().mkpath(dir);
    return dir;
}

struct Run {
    int code = -1;
    QString err;
};

Run runGsn(const QStringList& args)
{
    QProcess proc;
    proc.setProcessChannelMode(QProcess::SeparateChannels);
    proc.start(gsnBinary(), args);
    Run r;
    if (!proc.waitForFinished(120000))
        return r;
    r.code = proc.exitCode();
    r.err = QString::fromUtf8(proc.readAllStandardError());
    return r;
}

} // namespace

class TestMixCommand : public QObject {
    Q_OBJECT

private slots:
    void init()
    {
        if (qEnvironmentVariable("GSN_BINARY_DIR").isEmpty() || !QFileInfo(gsnBinary()).isExecutable())
            QSKIP("the gsn binary is not built (GSN_BINARY_DIR/app/gsn)");
    }

    void metricsTraceAndPlot()
    {
        const QString dir = scratch();
        const QString out = dir + "/metrics.json", trace = dir + "/trace.npy", plot = dir + "/panels.png";
        QFile::remove(out);
        QFile::remove(trace);
        QFile::remove(plot);
        // Random-walk Metropolis on the ring of 8 (sd 0.25 at radius 4: modes about 12 sd apart): its chains
        // stay in the modes they start in, so switches are rare and R-hat is far above 1.
        const Run r = runGsn({"mix", "--target", "ring8", "--samplers", "rwmh", "--chains", "40", "--steps", "400",
                              "--seed", "3", "--out", out, "--trace", trace, "--plot", plot});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("mix rwmh 100% [400/400]"), qPrintable(r.err));  // the progress line

        std::ifstream in(out.toStdString());
        const nlohmann::json j = nlohmann::json::parse(in);
        QCOMPARE(j["chains"].get<int>(), 40);
        QCOMPARE(j["steps"].get<int>(), 400);
        QCOMPARE(j["modes"].get<int>(), 8);
        QCOMPARE(j["order"], nlohmann::json::array({"rwmh"}));
        const nlohmann::json& s = j["samplers"]["rwmh"];
        for (const char* key : {"kind", "config", "seconds", "acceptance_rate", "swap_rates", "switch_rate_per_100",
                                "switch_rate_per_100_per_chain", "current_modes", "first_visit", "visits", "kl", "rhat",
                                "rhat_state", "rhat_bulk", "rhat_folded", "ess_bulk", "ess_per_second", "mode_rhat"})
            QVERIFY2(s.contains(key), key);
        QCOMPARE(s["kind"].get<std::string>(), std::string("rwmh"));
        QCOMPARE(s["rhat"].size(), std::size_t(2));
        QCOMPARE(s["ess_bulk"].size(), std::size_t(2));
        QCOMPARE(s["current_modes"].size(), std::size_t(40));
        QCOMPARE(s["visits"]["counts"].size(), std::size_t(8));
        const double accept = s["acceptance_rate"].get<double>();
        QVERIFY(accept > 0.05 && accept < 0.95);
        QVERIFY(s["switch_rate_per_100"].get<double>() < 1.0);
        QVERIFY2(s["rhat"][0].get<double>() > 1.1, s.dump().c_str());  // chains held in their modes
        long long visits = 0;
        for (const auto& v : s["visits"]["counts"])
            visits += v.get<long long>();
        QCOMPARE(visits, 40LL * 400);  // every state of a ring mixture lies in a mode
        QCOMPARE(s["kl"]["over_time"].size(), std::size_t(50));
        QCOMPARE(s["kl"]["over_time"].back()[0].get<int>(), 400);
        QVERIFY(s["kl"]["final"].get<double>() >= 0.0);
        QVERIFY(j["kl_grid"]["exact_draws_reference"]["kl"].get<double>() >= 0.0);
        QVERIFY(s["first_visit"]["median"].is_null());  // no chain of 40 saw all 8 modes: not reached
        QCOMPARE(s["first_visit"]["completed"].get<int>(), 0);

        const gsn::NpyArray a = gsn::readNpy(trace.toStdString());
        QCOMPARE(a.shape, (std::vector<int64_t>{1, 40, 400, 2}));
        QCOMPARE(a.dtype, std::string("<f4"));
        // Chain 0's points near the ring (radius 4, sd 0.25).
        const double radius = std::hypot(a.values[2 * 399], a.values[2 * 399 + 1]);
        QVERIFY2(radius > 2.5 && radius < 5.5, qPrintable(QString::number(radius)));

        // The panel image: a PNG (engine tests link no Qt Gui, so check its signature and size).
        QFile png(plot);
        QVERIFY(png.open(QIODevice::ReadOnly));
        QVERIFY(png.read(8) == QByteArray("\x89PNG\r\n\x1a\n", 8));
        QVERIFY(png.size() > 10000);
    }

    void refusesBadInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("code"); // 2: the command line is wrong; 1: a file or the target is
        const QString dir = scratch();
        const QString out = dir + "/refused.json";
        QTest::newRow("unknown target") << QStringList{"--target", "nosuch", "--samplers", "rwmh", "--out", out}
                                        << "--target nosuch: kind: expected" << 1;
        QTest::newRow("unknown sampler") << QStringList{"--target", "ring8", "--samplers", "rwmh,nosuch", "--out", out}
                                         << "--samplers: unknown sampler 'nosuch': expected kinds on points from" << 2;
        QTest::newRow("image sampler") << QStringList{"--target", "ring8", "--samplers", "rbm-pt", "--out", out}
                                       << "--samplers: unknown sampler 'rbm-pt'" << 2;
        QTest::newRow("twice") << QStringList{"--target", "ring8", "--samplers", "rwmh,rwmh", "--out", out}
                               << "--samplers: expected each sampler once" << 2;
        QTest::newRow("trace folder") << QStringList{"--target", "ring8", "--samplers", "rwmh", "--out", out, "--trace",
                                                     dir + "/no/such/folder/trace.npy"}
                                      << "--trace: expected a path in a writable folder" << 2;
        QTest::newRow("trace suffix") << QStringList{"--target", "ring8", "--samplers", "rwmh", "--out", out, "--trace",
                                                     dir + "/trace.txt"}
                                      << "--trace: expected a file ending in .npy" << 2;
        QTest::newRow("target file") << QStringList{"--target", dir + "/missing.json", "--samplers", "rwmh", "--out", out}
                                     << "missing.json: cannot read the target file (--target)" << 1;
        QTest::newRow("beta") << QStringList{"--target", "ring8", "--samplers", "rwmh", "--beta", "-1", "--out", out}
                              << "--beta: expected a number > 0" << 2;
        QTest::newRow("no out") << QStringList{"--target", "ring8", "--samplers", "rwmh"} << "--out: missing" << 2;
    }
    void refusesBadInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QFETCH(int, code);
        const QString out = scratch() + "/refused.json";
        QFile::remove(out);
        const Run r = runGsn(QStringList{"mix"} + args + QStringList{"--steps", "10", "--chains", "2"});
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
    }

    void targetFromFile()
    {
        // A two-component mixture from a JSON file: modes and weights come from the file.
        const QString dir = scratch();
        const QString file = dir + "/two.json", out = dir + "/two-metrics.json";
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"kind": "gaussian-mixture", "means": [[-1, 0], [1, 0]], "weights": [3, 1], "sds": [0.7, 0.7]})");
        f.close();
        const Run r = runGsn({"mix", "--target", file, "--samplers", "rwmh", "--chains", "20", "--steps", "500", "--out", out,
                              "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        std::ifstream in(out.toStdString());
        const nlohmann::json j = nlohmann::json::parse(in);
        QCOMPARE(j["modes"].get<int>(), 2);
        QVERIFY(std::abs(j["true_weights"][0].get<double>() - 0.75) < 1e-6);
        // Overlapping modes: the random walk switches often and visits them about as the weights say.
        QVERIFY(j["samplers"]["rwmh"]["switch_rate_per_100"].get<double>() > 1.0);
        QVERIFY(j["samplers"]["rwmh"]["visits"]["total_variation"].get<double>() < 0.15);
    }

    // dae (the DAE's own chain) and dae-score (Langevin on its learned score) run under a dae-gauss that
    // gsn mix trains on the target first; on two overlapping modes they visit both about as the weights say.
    void daeSamplersTrainTheirModel()
    {
        const QString dir = scratch();
        const QString file = dir + "/overlap.json", out = dir + "/dae-metrics.json";
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"kind": "gaussian-mixture", "means": [[-1, 0], [1, 0]], "weights": [3, 1], "sds": [0.6, 0.6]})");
        f.close();
        const Run r = runGsn({"mix", "--target", file, "--samplers", "dae,dae-score", "--chains", "50", "--steps", "400",
                              "--seed", "5", "--dae-epochs", "60", "--out", out});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("mix: training the DAE on the target 100% [60/60]"), qPrintable(r.err));
        std::ifstream in(out.toStdString());
        const nlohmann::json j = nlohmann::json::parse(in);
        QCOMPARE(j["order"], nlohmann::json::array({"dae", "dae-score"}));
        QCOMPARE(j["dae"]["epochs"].get<int>(), 60);
        QCOMPARE(j["samplers"]["dae"]["kind"].get<std::string>(), std::string("model-chain"));
        for (const char* name : {"dae", "dae-score"}) {
            const nlohmann::json& s = j["samplers"][name];
            QVERIFY2(s["switch_rate_per_100"].get<double>() > 1.0, s.dump().c_str());
            QVERIFY2(s["visits"]["total_variation"].get<double>() < 0.2, s.dump().c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestMixCommand)
#include "tst_mixcommand.moc"
