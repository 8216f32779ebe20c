// gsn mixing (cli/cmd_mixing.cpp) as a process, on the shipped baselines (resources/baseline-*.safetensors,
// docs/mixing.md "Baselines"): the JSON schema, the seeded claim that an RBM with parallel tempering
// visits at least as many classes as its plain Gibbs chain from the same seed and start (issue 15), the
// timeline image, and the refusal of bad input with a message naming the option or file.

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QTest>

#include <cmath>

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
    if (!proc.waitForFinished(300000))
        return r;
    r.code = proc.exitStatus() == QProcess::NormalExit ? proc.exitCode() : -2;
    r.err = QString::fromUtf8(proc.readAllStandardError());
    return r;
}

QString resource(const char* name)
{
    return QStringLiteral(GSN_SOURCE_DIR) + "/resources/" + name;
}

nlohmann::json readJson(const QString& path)
{
    std::ifstream in(path.toStdString());
    return nlohmann::json::parse(in, nullptr, false);
}

} // namespace

class TestMixingCommand : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (!QFile::exists(qEnvironmentVariable("GSN_BINARY_DIR") + "/app/gsn"))
            QSKIP("the gsn binary is not built (GSN_BINARY_DIR/app/gsn)");
        m_dir = qEnvironmentVariable("GSN_TEST_TMP", QDir::tempPath()) + "/mixingcommand";
        QDir().mkpath(m_dir);
    }

    // The RBM baseline from test digits 0..19: Gibbs and tempering side by side, same seed and start.
    void temperingVisitsAtLeastAsManyClasses()
    {
        const QString rbm = resource("baseline-rbm.safetensors");
        const QString out = m_dir + "/rbm.json", timeline = m_dir + "/rbm-timeline.png";
        const Run r = runGsn({"mixing", "--model", rbm + "," + rbm + "@pt", "--chains", "20", "--steps", "300", "--seed", "1",
                              "--init", "test:0", "--out", out, "--timeline", timeline, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const nlohmann::json j = readJson(out);
        QVERIFY(!j.is_discarded());
        QCOMPARE(j["order"].size(), std::size_t(2));
        const auto& gibbs = j["models"][j["order"][0].get<std::string>()];
        const auto& pt = j["models"][j["order"][1].get<std::string>()];
        QCOMPARE(gibbs["sampler"]["kind"].get<std::string>(), std::string("model-chain"));
        QCOMPARE(pt["sampler"]["kind"].get<std::string>(), std::string("rbm-pt"));
        auto visited = [](const nlohmann::json& m) {
            int k = 0;
            for (const auto& c : m["visits"]["counts"])
                k += c.get<long long>() > 0;
            return k;
        };
        const int gibbsClasses = visited(gibbs), ptClasses = visited(pt);
        qInfo("classes visited in 20 chains x 300 steps: Gibbs %d (%.2f switches/100 steps), tempering %d (%.2f); swap rates %s",
              gibbsClasses, gibbs["switch_rate_per_100"].get<double>(), ptClasses, pt["switch_rate_per_100"].get<double>(),
              pt["swap_rates"].dump().c_str());
        QVERIFY2(ptClasses >= gibbsClasses, qPrintable(QString("tempering %1 < Gibbs %2").arg(ptClasses).arg(gibbsClasses)));
        QCOMPARE(pt["swap_rates"].size(), std::size_t(3)); // 4 replicas: 3 neighbouring pairs
        for (const auto& rate : pt["swap_rates"]) // that wide a ladder swaps rarely or never (see the next test)
            QVERIFY(rate.get<double>() >= 0.0 && rate.get<double>() <= 1.0);
        // Per chain and summary fields, in range.
        QCOMPARE(gibbs["switch_rate_per_100_per_chain"].size(), std::size_t(20));
        const double unsure = gibbs["unsure_fraction"].get<double>();
        QVERIFY(unsure >= 0.0 && unsure <= 1.0);
        const double tv = gibbs["visits"]["total_variation"].get<double>();
        QVERIFY(tv >= 0.0 && tv <= 1.0);
        QVERIFY(gibbs["travel"]["pixel"]["relative"].get<double>() > 0.0);
        QVERIFY(gibbs["travel"]["hidden"]["relative"].get<double>() > 0.0);
        QVERIFY(pt["travel"]["hidden"]["relative"].is_null()); // tempering states carry replicas
        // The timeline: one 6-pixel row per chain per model, one column per step.
        const QImage image(timeline);
        QVERIFY(!image.isNull());
        QCOMPARE(image.width(), 400); // 300 steps: the minimum width
        QVERIFY(image.height() >= 2 * 20 * 6);
    }

    // The overview paper's "tempering helps" on the RBM baseline: with a ladder dense enough for its swaps
    // to be accepted (12 replicas, beta 1 down to 0.7), the beta = 1 replica changes class far more often
    // than plain Gibbs from the same seed and start (10 chains x 400 steps; measured 2026-12-03: Gibbs 1.18
    // switches per 100 steps stuck in 2s and 8s, tempering 33.0), and spreads its visits closer to the test
    // set's class frequencies. A ladder that is not "R:BETA_MIN" is refused naming the entry.
    void denseLadderMixesBetterThanGibbs()
    {
        const QString rbm = resource("baseline-rbm.safetensors");
        const QString out = m_dir + "/ladder.json";
        const Run r = runGsn({"mixing", "--model", rbm + "," + rbm + "@pt:12:0.7", "--chains", "10", "--steps", "400", "--seed",
                              "1", "--init", "test:0", "--out", out, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const nlohmann::json j = readJson(out);
        const auto& gibbs = j["models"][j["order"][0].get<std::string>()];
        const auto& pt = j["models"][j["order"][1].get<std::string>()];
        const auto& betas = pt["sampler"]["betas"]; // the geometric ladder the sampler ran
        QCOMPARE(betas.size(), std::size_t(12));
        QCOMPARE(betas.front().get<double>(), 1.0);
        QVERIFY(std::abs(betas.back().get<double>() - 0.7) < 1e-6);
        QCOMPARE(pt["swap_rates"].size(), std::size_t(11));
        for (const auto& rate : pt["swap_rates"])
            QVERIFY2(rate.get<double>() > 0.3, pt["swap_rates"].dump().c_str());
        const double g = gibbs["switch_rate_per_100"].get<double>(), t = pt["switch_rate_per_100"].get<double>();
        qInfo("switches per 100 steps: Gibbs %.2f, tempering (12 replicas to 0.7) %.2f; TV %.3f vs %.3f", g, t,
              gibbs["visits"]["total_variation"].get<double>(), pt["visits"]["total_variation"].get<double>());
        QVERIFY2(t > 5.0 * g + 1.0, qPrintable(QString("tempering %1 vs Gibbs %2").arg(t).arg(g)));
        QVERIFY(pt["visits"]["total_variation"].get<double>() < gibbs["visits"]["total_variation"].get<double>());

        for (const char* bad : {"@pt:1:0.5", "@pt:12", "@pt:12:1.5", "@pt:x:0.5", "@pt:12:0.5z"}) {
            const Run e = runGsn({"mixing", "--model", rbm + bad, "--out", out, "--quiet"});
            QCOMPARE(e.code, 2);
            QVERIFY2(e.err.contains("MODEL@pt:R:BETA_MIN") && e.err.contains(bad), qPrintable(e.err));
        }
    }

    // The DAE baselines with and without walkback and the default GSN-2: every model kind's chains run
    // and report travel in pixel space, and the GSN-2 in its top layer.
    void daeAndGsnModels()
    {
        const QString out = m_dir + "/dae.json";
        const Run r = runGsn({"mixing", "--model",
                              resource("baseline-dae.safetensors") + "," + resource("baseline-dae-walkback.safetensors") + "," +
                                  resource("default-gsn2.safetensors"),
                              "--chains", "4", "--steps", "30", "--out", out, "--quiet"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const nlohmann::json j = readJson(out);
        QCOMPARE(j["order"].size(), std::size_t(3));
        for (const auto& name : j["order"]) {
            const auto& m = j["models"][name.get<std::string>()];
            QVERIFY2(m["travel"]["pixel"]["relative"].get<double>() > 0.0, name.get<std::string>().c_str());
            QVERIFY(m["switch_rate_per_100"].get<double>() >= 0.0);
            // A DAE's chain carries no hidden state (its code is recomputed from x each step): no hidden travel.
            if (m["kind"] == "dae")
                QVERIFY(m["travel"]["hidden"]["relative"].is_null());
            else
                QVERIFY2(m["travel"]["hidden"]["relative"].get<double>() > 0.0, name.get<std::string>().c_str());
        }
        QCOMPARE(j["models"][j["order"][2].get<std::string>()]["kind"].get<std::string>(), std::string("gsn2"));
        QCOMPARE(j["init"].get<std::string>(), std::string("test:0")); // the authors' start by default
    }

    void refusesBadInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        const QString dae = resource("baseline-dae.safetensors");
        QTest::newRow("pt on a DAE") << QStringList{"mixing", "--model", dae + "@pt", "--out", "x.json"} << 1
                                     << "expected an RBM checkpoint for parallel tempering";
        QTest::newRow("out suffix") << QStringList{"mixing", "--model", dae, "--out", "x.txt"} << 2
                                    << "--out: expected a file name ending in .json";
        QTest::newRow("empty model entry") << QStringList{"mixing", "--model", dae + ",", "--out", "x.json"} << 2
                                           << "got an empty entry";
        QTest::newRow("missing file") << QStringList{"mixing", "--model", "/nonexistent/m.safetensors", "--out", "x.json"} << 1
                                      << "/nonexistent/m.safetensors";
        QTest::newRow("timeline suffix") << QStringList{"mixing", "--model", dae, "--out", "x.json", "--timeline", "t.gif"} << 2
                                         << "t.gif";
    }

    void refusesBadInput()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        const QString before = QDir::currentPath();
        QDir::setCurrent(m_dir);
        QFile::remove("x.json");
        const Run r = runGsn(args);
        QDir::setCurrent(before);
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir + "/x.json"));
    }

private:
    QString m_dir;
};

QTEST_GUILESS_MAIN(TestMixingCommand)
#include "tst_mixingcommand.moc"
