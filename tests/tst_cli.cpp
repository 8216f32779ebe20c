// The `gsn` command line as a user meets it (issue 14, items 14-16): one exit-code convention (0 success,
// 1 the work failed, 2 usage error, 130 interrupted), `gsn COMMAND --help` and `gsn help COMMAND` print the
// command's options with defaults, errors point to --help, and no Qt warning reaches stderr.

#include "checkpoint.h"
#include "modelregistry.h"
#include "testsupport.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTest>

#include <cmath>

using namespace gsn;

namespace {

struct Run {
    int code = -1;
    QString out, err;
};

Run runGsn(const QStringList& args, bool withoutRuntimeDir = false)
{
    QProcess proc;
    if (withoutRuntimeDir) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("XDG_RUNTIME_DIR");
        proc.setProcessEnvironment(env);
    }
    proc.start(qEnvironmentVariable("GSN_BINARY_DIR") + "/app/gsn", args);
    Run r;
    if (!proc.waitForFinished(120000))
        return r;
    r.code = proc.exitStatus() == QProcess::NormalExit ? proc.exitCode() : -2;
    r.out = QString::fromUtf8(proc.readAllStandardOutput());
    r.err = QString::fromUtf8(proc.readAllStandardError());
    return r;
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        if (!QFile::exists(qEnvironmentVariable("GSN_BINARY_DIR") + "/app/gsn"))
            QSKIP("the gsn binary is not built (GSN_BINARY_DIR/app/gsn)");
        m_dir = test::scratchDir("cli");
        m_model = m_dir + "/dae.safetensors";
        saveCheckpoint(m_model.toStdString(), *createModel({{"kind", "dae"}, {"sizes", {784, 8}}}, 1), nullptr, {});
    }

    void exitCodes_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message"); // on stderr
        QTest::newRow("no command") << QStringList{} << 2 << "usage: gsn COMMAND";
        QTest::newRow("unknown command") << QStringList{"smaple"} << 2 << "gsn: unknown command 'smaple'";
        QTest::newRow("unknown option") << QStringList{"sample", "--model", "m", "--chians", "3"} << 2
                                        << "gsn sample: error: command line: --chians: unknown option\n"
                                           "(gsn sample --help lists the options)";
        QTest::newRow("missing option") << QStringList{"eval"} << 2 << "expected exactly one of them";
        QTest::newRow("bad number") << QStringList{"mix", "--target", "ring8", "--samplers", "rwmh", "--chains", "x",
                                                   "--out", "m.json"}
                                    << 2 << "--chains: expected an integer, got 'x'";
        QTest::newRow("missing file") << QStringList{"info", "/nonexistent/file.safetensors"} << 1
                                      << "/nonexistent/file.safetensors";
        QTest::newRow("sample --out suffix") << QStringList{"sample", "--model", "m.safetensors", "--out", "x.txt"} << 2
                                             << "--out: expected a file name ending in .png, .pdf, .svg or .npy, got 'x.txt'";
        QTest::newRow("inpaint --out suffix")
            << QStringList{"inpaint", "--model", "m.safetensors", "--image", "test:0", "--mask", "left", "--out", "x.npy"} << 2
            << "--out: expected a file name ending in .png, .pdf or .svg, got 'x.npy'";
        QTest::newRow("grad without --model") << QStringList{"grad", "--batch", "b.npy", "--out", "g.safetensors"} << 2
                                              << "gsn grad: error: command line: --model: missing (expected a checkpoint .safetensors)";
        QTest::newRow("grad --out suffix") << QStringList{"grad", "--model", "m.safetensors", "--batch", "b.npy", "--out", "g.txt"}
                                           << 2 << "--out: expected a file name ending in .safetensors, got 'g.txt'";
        // gsn eval loads the test and validation sets on their own threads while the samples load: their
        // errors still reach the user, after the samples' own.
        QTest::newRow("eval bad --valid") << QStringList{"eval", "--baseline", "mnist-train", "--valid", "/nonexistent/v.npy"}
                                          << 1 << "/nonexistent/v.npy";
        QTest::newRow("eval bad --test") << QStringList{"eval", "--baseline", "mnist-train", "--test", "/nonexistent/t.npy"}
                                         << 1 << "/nonexistent/t.npy";
        QTest::newRow("eval bad samples first")
            << QStringList{"eval", "--samples", "/nonexistent/s.npy", "--valid", "/nonexistent/v.npy"} << 1 << "/nonexistent/s.npy";
        QTest::newRow("bench bad --chain-input") << QStringList{"bench", "--only", "chains", "--chain-input", "fast"} << 2
                                                 << "--chain-input: expected auto, sparse";
        QTest::newRow("bench bad --chain-products")
            << QStringList{"bench", "--only", "chains", "--chain-products", "openblas"} << 2
            << "--chain-products: expected auto (packed weights from 4 chains up";
        QTest::newRow("bench bad --chains") << QStringList{"bench", "--only", "chains", "--chains", "1,x"} << 2
                                            << "--chains: expected a comma-separated list of chain counts";
        QTest::newRow("help of unknown") << QStringList{"help", "nosuch"} << 2 << "gsn help: unknown command 'nosuch'";
    }
    void exitCodes()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        const Run r = runGsn(args);
        QVERIFY2(r.code == code, qPrintable(QString("exit %1, expected %2: %3").arg(r.code).arg(code).arg(r.err)));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }

    // A failure of the work itself (a file that is not a checkpoint) is 1, not 2.
    void workFailureIsOne()
    {
        const QString notModel = m_dir + "/notes.safetensors";
        test::writeBytes(notModel.toStdString(), "not a checkpoint\n");
        const Run r = runGsn({"sample", "--model", notModel, "--out", m_dir + "/x.png", "--quiet"});
        QCOMPARE(r.code, 1);
        QVERIFY2(!r.err.contains("--help"), qPrintable(r.err));
    }

    void helpPerCommand_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected"); // on stdout
        QTest::newRow("sample --help") << QStringList{"sample", "--help"} << "[--chains 10] [--steps 100]";
        QTest::newRow("sample -h") << QStringList{"sample", "-h"} << "--init test:INDEX starts chain c at test image INDEX + c";
        QTest::newRow("help sample") << QStringList{"help", "sample"} << "[--chains 10]";
        QTest::newRow("help eval") << QStringList{"help", "eval"} << "default test:0";
        QTest::newRow("train --help") << QStringList{"train", "--help"} << "--checkpoint-every BATCHES";
        QTest::newRow("inpaint --help") << QStringList{"inpaint", "--help"} << "[--chains 10 (at most 100)]";
        QTest::newRow("mix --help") << QStringList{"mix", "--help"} << "--samplers";
        QTest::newRow("grad --help") << QStringList{"grad", "--help"} << "row r draws from Philox(seed, r, step)";
        QTest::newRow("help") << QStringList{"help"} << "exit codes: 0 success; 1 the work failed";
    }
    void helpPerCommand()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        const Run r = runGsn(args);
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(expected), qPrintable(r.out));
    }

    // A command that renders with Qt (a PNG sheet) prints nothing of Qt's own, even without XDG_RUNTIME_DIR.
    void noQtWarnings()
    {
        const QString out = m_dir + "/sheet.png";
        const Run r = runGsn({"sample", "--model", m_model, "--chains", "2", "--steps", "2", "--data", "mnist-test", "--out",
                           out, "--quiet"},
                          true);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
        QVERIFY(QFile::exists(out));
    }

    // gsn train --snapshot-every E keeps FILE.epoch-NNN.safetensors after every E-th epoch (issue 15 item 4):
    // each byte-identical to `gsn export` of that epoch's checkpoint, and a resumed run continues the grid.
    void trainSnapshots()
    {
        const QString out = m_dir + "/snap.safetensors";
        for (const QString& f : QDir(m_dir).entryList({"snap*"}))
            QFile::remove(m_dir + "/" + f);
        Run r = runGsn({"train", "--model", "dae", "--hidden", "16", "--data", "mnist", "--examples", "200", "--epochs", "2",
                        "--snapshot-every", "1", "--out", out});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QString first = m_dir + "/snap.epoch-001.safetensors", second = m_dir + "/snap.epoch-002.safetensors";
        QVERIFY2(QFile::exists(first) && QFile::exists(second), qPrintable(r.err));
        QVERIFY2(r.err.contains("snapshot after epoch 1: " + first), qPrintable(r.err));
        const QString exported = m_dir + "/snap-export.safetensors";
        r = runGsn({"export", out, "--out", exported});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto bytes = [](const QString& path) {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        };
        QVERIFY(!bytes(second).isEmpty());
        QCOMPARE(bytes(second), bytes(exported));          // the last snapshot is the export of the final checkpoint
        QVERIFY(bytes(first) != bytes(second));            // an epoch later the weights differ
        const Checkpoint one = loadCheckpoint(first.toStdString());
        QVERIFY(!one.hasState);                             // model-only, like gsn export
        QCOMPARE(one.metadata["trained"]["epochs_completed"].get<int>(), 1);

        // Resumed to 4 epochs with snapshots every 2: only epoch 4 is new (3 is off the grid).
        r = runGsn({"train", "--resume", out, "--epochs", "4", "--snapshot-every", "2"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir + "/snap.epoch-003.safetensors"));
        QVERIFY(QFile::exists(m_dir + "/snap.epoch-004.safetensors"));
        r = runGsn({"train", "--resume", out, "--epochs", "5", "--snapshot-every", "0"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("--snapshot-every"), qPrintable(r.err));
    }

    // gsn bench --out saves a run; --compare prints every figure's ratio to it (issue 16 item 6).
    void benchCompare()
    {
        const QString saved = m_dir + "/bench.json";
        QFile::remove(saved);
        Run r = runGsn({"bench", "--only", "sgemm", "--seconds", "0.05", "--threads", "1", "--out", saved});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile file(saved);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const nlohmann::json run = nlohmann::json::parse(file.readAll().toStdString());
        QCOMPARE(run.at("gsn_bench").get<int>(), 1);
        const auto& figures = run.at("figures");
        for (const char* name : {"sgemm_gflops", "sgemm_gflops_all_threads", "sgemm_gflops_per_cpu_s"})
            QVERIFY2(figures.contains(name) && figures[name].get<double>() > 0.0, name);

        r = runGsn({"bench", "--only", "sgemm", "--seconds", "0.05", "--threads", "1", "--compare", saved});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        nlohmann::json compare;
        for (const QString& line : r.out.split('\n', Qt::SkipEmptyParts))
            if (const auto j = nlohmann::json::parse(line.toStdString()); j.value("bench", "") == "compare")
                compare = j;
        QVERIFY2(compare.is_object(), qPrintable(r.out));
        for (const char* name : {"sgemm_gflops", "sgemm_gflops_all_threads", "sgemm_gflops_per_cpu_s"}) {
            const double ratio = compare.at("ratios").at(name).get<double>();
            QVERIFY2(std::abs(ratio - compare["now"][name].get<double>() / figures[name].get<double>()) < 1e-9 * ratio, name);
        }
        QVERIFY2(r.err.contains("sgemm_gflops"), qPrintable(r.err)); // the readable table

        // A figure the saved run lacks is listed, not invented.
        nlohmann::json partial = run;
        partial["figures"].erase("sgemm_gflops_per_cpu_s");
        const QString partialPath = m_dir + "/partial.json";
        test::writeBytes(partialPath.toStdString(), partial.dump());
        r = runGsn({"bench", "--only", "sgemm", "--seconds", "0.05", "--threads", "1", "--compare", partialPath});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("\"not_in_saved_run\":[\"sgemm_gflops_per_cpu_s\"]"), qPrintable(r.out));
    }

    // --model (a trained GSN's chains), --chains, --half-weights: what each chains line says it measured.
    void benchChainOptions()
    {
        const QString gsn = m_dir + "/gsn2.safetensors";
        saveCheckpoint(gsn.toStdString(), *createModel({{"kind", "gsn2"}, {"sizes", {784, 40, 30}}}, 3), nullptr, {});
        Run r = runGsn({"bench", "--only", "chains", "--seconds", "0.05", "--model", gsn, "--chains", "2,7", "--half-weights"});
        if (r.code == 2 && r.err.contains("--half-weights: expected a CPU and build with F16C"))
            QSKIP("no F16C on this CPU or in this build");
        QVERIFY2(r.code == 0, qPrintable(r.err));
        std::vector<nlohmann::json> lines;
        for (const QString& line : r.out.split('\n', Qt::SkipEmptyParts))
            lines.push_back(nlohmann::json::parse(line.toStdString()));
        QCOMPARE(lines.size(), std::size_t{2});
        QCOMPARE(lines[0].at("chains").get<int>(), 2);
        QCOMPARE(lines[0].at("weights").get<std::string>(), std::string("half")); // up to 4 chains
        QVERIFY(lines[0].at("chain_steps_per_s_c2").get<double>() > 0.0);
        QCOMPARE(lines[1].at("chains").get<int>(), 7);
        QCOMPARE(lines[1].at("weights").get<std::string>(), std::string("float32"));
        const double active = lines[1].at("x_active_fraction").get<double>();
        QVERIFY2(active > 0.05 && active < 0.95, qPrintable(QString::number(active)));
        // Not a GSN: refused, naming the file.
        r = runGsn({"bench", "--only", "chains", "--model", m_model});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(m_model + ": kind: expected a gsn2 or gsn3 checkpoint, got dae"), qPrintable(r.err));
    }

    void benchCompareBadFile_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("message"); // after "<file>: "
        QTest::newRow("not JSON") << QByteArray("{\"gsn_bench\": 1,") << "";
        QTest::newRow("not a bench run") << QByteArray("{\"figures\": {}}") << "gsn_bench: expected a run saved by gsn bench --out";
        QTest::newRow("other version") << QByteArray("{\"gsn_bench\": 2, \"figures\": {\"a\": 1}}") << "gsn_bench: expected format version 1";
        QTest::newRow("no figures") << QByteArray("{\"gsn_bench\": 1}") << "figures: expected an object of figures";
        QTest::newRow("figure not a number") << QByteArray("{\"gsn_bench\": 1, \"figures\": {\"sgemm_gflops\": \"fast\"}}")
                                             << "figures.sgemm_gflops: expected a finite number > 0, got \"fast\"";
        QTest::newRow("figure zero") << QByteArray("{\"gsn_bench\": 1, \"figures\": {\"sgemm_gflops\": 0}}")
                                     << "figures.sgemm_gflops: expected a finite number > 0, got 0";
        QTest::newRow("empty figures") << QByteArray("{\"gsn_bench\": 1, \"figures\": {}}") << "figures: expected at least one figure";
    }
    void benchCompareBadFile()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, message);
        const QString path = m_dir + "/bad-run.json";
        test::writeBytes(path.toStdString(), content.toStdString());
        // Fails before measuring anything: --seconds 600 would otherwise run for minutes.
        const Run r = runGsn({"bench", "--seconds", "600", "--compare", path});
        QVERIFY2(r.code == 1, qPrintable(QString("exit %1: %2").arg(r.code).arg(r.err)));
        QVERIFY2(r.err.contains(path + ": " + message), qPrintable(r.err));
        QVERIFY2(!r.out.contains("\"bench\""), qPrintable(r.out));
    }

    void benchCompareMissingFile()
    {
        const QString path = m_dir + "/no-such-run.json";
        const Run r = runGsn({"bench", "--seconds", "600", "--compare", path});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(path + ": cannot read the saved bench run (--compare)"), qPrintable(r.err));
        const Run suffix = runGsn({"bench", "--out", m_dir + "/run.txt"});
        QCOMPARE(suffix.code, 2);
        QVERIFY2(suffix.err.contains("--out: expected a file name ending in .json"), qPrintable(suffix.err));
    }

private:
    QString m_dir;
    QString m_model;
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
