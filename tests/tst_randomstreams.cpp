// The table of random streams (engine/core/randomstreams.h): the key ranges of one scope are pairwise
// disjoint apart from the listed pre-existing overlaps, and every id function lands in its range.

#include "randomstreams.h"

#include <QtTest>

#include <string>

using namespace gsn;
using namespace gsn::streams;

Q_DECLARE_METATYPE(gsn::streams::KeyRange)

namespace {

const Purpose* find(std::string_view name)
{
    for (const Purpose& p : kTable)
        if (p.name == name)
            return &p;
    return nullptr;
}

bool shared(std::string_view a, std::string_view b)
{
    for (const SharedKeys& s : kSharedKeys)
        if ((s.first == a && s.second == b) || (s.first == b && s.second == a))
            return true;
    return false;
}

bool contains(const KeyRange& r, std::uint64_t stream, std::uint64_t step)
{
    return stream >= r.firstStream && stream <= r.lastStream && step >= r.firstStep && step <= r.lastStep;
}

QString text(std::string_view s)
{
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

} // namespace

class TestRandomStreams : public QObject {
    Q_OBJECT
private slots:
    void overlapFindsSharedKeys_data();
    void overlapFindsSharedKeys();
    void tableIsWellFormed();
    void rangesOfOneScopeAreDisjoint();
    void sharedKeysReallyOverlap();
    void rbmInitIsNotChainStart();
    void idsLandInTheirRanges();
    void idsKeepTheirValues();
};

void TestRandomStreams::overlapFindsSharedKeys_data()
{
    QTest::addColumn<KeyRange>("a");
    QTest::addColumn<KeyRange>("b");
    QTest::addColumn<bool>("expected");
    QTest::newRow("same key") << KeyRange{5, 5, 7, 7} << KeyRange{5, 5, 7, 7} << true;
    QTest::newRow("corner touching") << KeyRange{0, 10, 0, 10} << KeyRange{10, 20, 10, 20} << true;
    QTest::newRow("nested") << KeyRange{0, 100, 0, 100} << KeyRange{40, 50, 40, 50} << true;
    QTest::newRow("streams apart") << KeyRange{0, 9, 0, 100} << KeyRange{10, 20, 0, 100} << false;
    QTest::newRow("steps apart") << KeyRange{0, 100, 0, 9} << KeyRange{0, 100, 10, 20} << false;
    QTest::newRow("last step vs the rest") << KeyRange{0, kMaxChains - 1, kLastStep, kLastStep}
                                           << KeyRange{0, kMaxChains - 1, 0, kLastStep - 1} << false;
    QTest::newRow("old rbm init vs chain start")
        << KeyRange{0, 783, kLastStep, kLastStep} << KeyRange{0, kMaxChains - 1, kChainStartStep, kChainStartStep}
        << true;
}

void TestRandomStreams::overlapFindsSharedKeys()
{
    QFETCH(KeyRange, a);
    QFETCH(KeyRange, b);
    QFETCH(bool, expected);
    QCOMPARE(overlap(a, b), expected);
    QCOMPARE(overlap(b, a), expected);
}

void TestRandomStreams::tableIsWellFormed()
{
    for (std::size_t i = 0; i < kTable.size(); ++i) {
        const Purpose& p = kTable[i];
        QVERIFY2(!p.name.empty() && !p.users.empty(), qPrintable(QString("row %1").arg(i)));
        QVERIFY2(p.keys.firstStream <= p.keys.lastStream && p.keys.firstStep <= p.keys.lastStep,
                 qPrintable(text(p.name)));
        for (std::size_t j = 0; j < i; ++j)
            QVERIFY2(kTable[j].name != p.name, qPrintable("duplicate name " + text(p.name)));
    }
}

void TestRandomStreams::rangesOfOneScopeAreDisjoint()
{
    std::size_t checked = 0, sameScope = 0;
    for (std::size_t i = 0; i < kTable.size(); ++i) {
        for (std::size_t j = i + 1; j < kTable.size(); ++j) {
            const Purpose& a = kTable[i];
            const Purpose& b = kTable[j];
            if (a.scope != b.scope)
                continue;
            ++sameScope;
            if (shared(a.name, b.name))
                continue;
            ++checked;
            QVERIFY2(!overlap(a.keys, b.keys),
                     qPrintable("\"" + text(a.name) + "\" and \"" + text(b.name) + "\" share Philox keys"));
        }
    }
    // Every same-scope pair was checked except the listed ones (each listed pair counted once).
    QCOMPARE(checked, sameScope - kSharedKeys.size());
    QVERIFY(checked > 70); // 13 purposes of a model alone give 78 pairs
}

void TestRandomStreams::sharedKeysReallyOverlap()
{
    for (const SharedKeys& s : kSharedKeys) {
        const Purpose* a = find(s.first);
        const Purpose* b = find(s.second);
        QVERIFY2(a && b, qPrintable("unknown purpose in kSharedKeys: " + text(s.first) + " / " + text(s.second)));
        QVERIFY(!s.reason.empty());
        QVERIFY(a->scope == b->scope);
        QVERIFY2(overlap(a->keys, b->keys),
                 qPrintable("\"" + text(s.first) + "\" and \"" + text(s.second)
                            + "\" no longer overlap: drop the row"));
    }
}

void TestRandomStreams::rbmInitIsNotChainStart()
{
    // Issue 11: with the default seeds, weight row i of a new RBM and chain i's start noise were one stream.
    const Purpose* init = find("rbm init");
    QVERIFY(init);
    for (const char* other :
         {"chain start", "chain steps", "pcd start", "pcd steps", "training rows", "gsn/dae init"}) {
        const Purpose* p = find(other);
        QVERIFY2(p, other);
        QVERIFY2(!overlap(init->keys, p->keys), other);
    }
    for (std::uint64_t row : {std::uint64_t{0}, std::uint64_t{783}, std::uint64_t{0xFFFFFFFF}})
        QVERIFY(!contains(find("chain start")->keys, kRbmInitStream + row, kModelInitStep));
}

void TestRandomStreams::idsLandInTheirRanges()
{
    const std::uint64_t lastChain = kMaxChains - 1, lastExample = kMaxExamples - 1;
    struct Case {
        const char* purpose;
        std::uint64_t stream, step;
    };
    const Case cases[] = {
        {"chain start", chainStream(0), kChainStartStep},
        {"chain start", chainStream(lastChain), kChainStartStep},
        {"chain steps", chainStream(lastChain), 0},
        {"chain steps", temperingReplicaStream(lastChain, 0), 12345},
        {"tempering replicas", temperingReplicaStream(0, 1), 0},
        {"tempering replicas", temperingReplicaStream(lastChain, kMaxReplicas - 1), kLastStep - 1},
        {"tempering swaps", temperingSwapStream(0), 3},
        {"tempering swaps", temperingSwapStream(lastChain), 3},
        {"training rows", trainingRowStream(lastExample), 99},
        {"training shuffle", kShuffleStream, kMaxEpochs - 1},
        {"pcd start", pcdStream(0), kChainStartStep},
        {"pcd steps", pcdStream(lastExample), 7},
        {"gsn/dae init", kModelInitStream + 5, kModelInitStep},
        {"rbm init", kRbmInitStream + 0xFFFFFFFFull, kModelInitStep},
        {"chain image pick", kPickStream, 17},
        {"random clamp mask", kRandomMaskStream, 0},
        {"eval binarize", evalBinarizeStream(9999), 2},
        {"target draws", targetDrawStream(lastChain), 0},
        {"rwmh steps", rwmhStream(0), 0},
        {"rwmh steps", rwmhStream(lastChain), kLastStep - 1},
        {"langevin steps", langevinStream(0), 0},
        {"langevin steps", langevinStream(lastChain), kLastStep - 1},
        {"point tempering swaps", pointSwapStream(lastChain), 7},
        {"dae score langevin", daeScoreStream(lastChain), 7},
        {"classifier init", kClassifierInitStream, 0},
        {"classifier shuffle", kClassifierShuffleStream, 9},
        {"npdae draws", npdaeStream(lastExample), 0},
        {"npdae chains", npdaeStream(lastChain), 1000},
    };
    for (const Case& c : cases) {
        const Purpose* p = find(c.purpose);
        QVERIFY2(p, c.purpose);
        QVERIFY2(contains(p->keys, c.stream, c.step), c.purpose);
    }
    // Every purpose has at least one id checked above.
    for (const Purpose& p : kTable) {
        bool seen = false;
        for (const Case& c : cases)
            seen = seen || p.name == c.purpose;
        QVERIFY2(seen, qPrintable(text(p.name)));
    }
}

void TestRandomStreams::idsKeepTheirValues()
{
    // The ids from before the table (everything but the RBM weights): outputs stay byte-identical.
    QCOMPARE(kChainStartStep, ~std::uint64_t{0});
    QCOMPARE(chainStream(42), std::uint64_t{42});
    QCOMPARE(trainingRowStream(42), std::uint64_t{42});
    QCOMPARE(kShuffleStream, std::uint64_t{0x8000000000000000ull});
    QCOMPARE(pcdStream(3), (std::uint64_t{1} << 32) | 3);
    QCOMPARE(temperingReplicaStream(7, 2), std::uint64_t{7} | (std::uint64_t{2} << 40));
    QCOMPARE(temperingSwapStream(7), std::uint64_t{7} | (std::uint64_t{0xFFFFF} << 40));
    QCOMPARE(kModelInitStream, std::uint64_t{0xF000000000000000ull});
    QCOMPARE(kModelInitStep, std::uint64_t{0});
    QCOMPARE(kPickStream, std::uint64_t{0x7000000000000000ull});
    QCOMPARE(kRandomMaskStream, std::uint64_t{0x6d61736bull} << 32);
    QCOMPARE(evalBinarizeStream(5), std::uint64_t{5});
    QCOMPARE(kClassifierInitStream, std::uint64_t{0});
    QCOMPARE(kClassifierShuffleStream, std::uint64_t{1} << 63);
    QCOMPARE(npdaeStream(5), std::uint64_t{5});
    QCOMPARE(targetDrawStream(5), std::uint64_t{0x5100000000000005ull});
    QCOMPARE(rwmhStream(5), std::uint64_t{0x5000000000000005ull});
    QCOMPARE(langevinStream(5), std::uint64_t{0x5200000000000005ull});
    QCOMPARE(pointSwapStream(5), std::uint64_t{0x5300000000000005ull});
    QCOMPARE(daeScoreStream(5), std::uint64_t{0x5400000000000005ull});
}

QTEST_APPLESS_MAIN(TestRandomStreams)
#include "tst_randomstreams.moc"
