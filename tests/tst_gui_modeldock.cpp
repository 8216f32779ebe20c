// The Model dock's "new model" form, which takes its kinds from the registry (modelregistry.h): the
// same kinds in the same order with the same labels as before the registry, the same per-kind form
// (hidden sizes, walkback, which fields are enabled), and configs that build the models the dock built
// before (the expected configs are the ones the dock wrote when it listed its kinds itself).

#include "model.h"
#include "modeldock.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QtTest>

#include <nlohmann/json.hpp>

using namespace gsn;

namespace {

template <class W>
W* childWithToolTip(QWidget& parent, const QString& start)
{
    for (W* w : parent.findChildren<W*>())
        if (w->toolTip().startsWith(start))
            return w;
    return nullptr;
}

QComboBox* corruptionBox(ModelDock& dock)
{
    for (QComboBox* box : dock.findChildren<QComboBox*>())
        if (box->objectName() != QStringLiteral("newKind"))
            return box;
    return nullptr;
}

bool sameParameters(Model& a, Model& b)
{
    const auto pa = a.parameters();
    const auto pb = b.parameters();
    if (pa.size() != pb.size())
        return false;
    for (std::size_t i = 0; i < pa.size(); ++i)
        if (pa[i].name != pb[i].name || *pa[i].value != *pb[i].value)
            return false;
    return true;
}

} // namespace

class TestModelDock : public QObject {
    Q_OBJECT
private slots:
    void listsTheKindsInOrder();
    void formFollowsTheKind_data();
    void formFollowsTheKind();
};

void TestModelDock::listsTheKindsInOrder()
{
    ModelDock dock;
    auto* kind = dock.findChild<QComboBox*>(QStringLiteral("newKind"));
    QVERIFY(kind);
    QStringList labels, names;
    for (int i = 0; i < kind->count(); ++i) {
        labels << kind->itemText(i);
        names << kind->itemData(i).toString();
    }
    QCOMPARE(labels, (QStringList{"GSN-2", "GSN-3", "DAE (GSN-1)", "RBM (CD-1)"}));
    QCOMPARE(names, (QStringList{"gsn2", "gsn3", "dae", "rbm"}));
    QCOMPARE(kind->currentIndex(), 0);
    QCOMPARE(dock.findChild<QLineEdit*>(QStringLiteral("newHidden"))->text(), QString("1500,1500"));
}

void TestModelDock::formFollowsTheKind_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<QString>("hidden");      // the hidden sizes field after switching from the start form
    QTest::addColumn<int>("walkback");
    QTest::addColumn<bool>("noiseEnabled");   // hidden noise
    QTest::addColumn<bool>("otherEnabled");   // corruption and walkback
    QTest::addColumn<QString>("small");       // small hidden sizes for building
    QTest::addColumn<QString>("oldConfig");   // what the dock wrote before the registry, for a 4x4 image
    const char* sp = R"("corruption":{"type":"salt-and-pepper","level":0.4})";
    QTest::newRow("gsn2") << 0 << "1500,1500" << 4 << true << true << "6,5"
                          << QString(R"({"kind":"gsn2","sizes":[16,6,5],%1,"walkback":4,"hidden_noise":2.0})").arg(sp);
    QTest::newRow("gsn3") << 1 << "1500,1500,1500" << 6 << true << true << "6,5,4"
                          << QString(R"({"kind":"gsn3","sizes":[16,6,5,4],%1,"walkback":6,"hidden_noise":2.0})").arg(sp);
    QTest::newRow("dae") << 2 << "1500" << 1 << false << true << "6"
                         << QString(R"({"kind":"dae","sizes":[16,6],%1,"walkback":1})").arg(sp);
    QTest::newRow("rbm") << 3 << "1500" << 1 << false << false << "6" << QString(R"({"kind":"rbm","sizes":[16,6]})");
}

void TestModelDock::formFollowsTheKind()
{
    QFETCH(int, index);
    QFETCH(QString, hidden);
    QFETCH(int, walkback);
    QFETCH(bool, noiseEnabled);
    QFETCH(bool, otherEnabled);
    QFETCH(QString, small);
    QFETCH(QString, oldConfig);

    ModelDock dock;
    auto* kind = dock.findChild<QComboBox*>(QStringLiteral("newKind"));
    auto* hiddenField = dock.findChild<QLineEdit*>(QStringLiteral("newHidden"));
    auto* noise = childWithToolTip<QDoubleSpinBox>(dock, QStringLiteral("GSN:"));
    auto* walkbackBox = childWithToolTip<QSpinBox>(dock, QStringLiteral("Training walkback"));
    QComboBox* corruption = corruptionBox(dock);
    QVERIFY(kind && hiddenField && noise && walkbackBox && corruption);
    if (index == 0) // the start form is gsn2's; switch away and back to run the kind logic
        kind->setCurrentIndex(2);
    kind->setCurrentIndex(index);
    QCOMPARE(hiddenField->text(), hidden);
    QCOMPARE(walkbackBox->value(), walkback);
    QCOMPARE(noise->isEnabled(), noiseEnabled);
    QCOMPARE(corruption->isEnabled(), otherEnabled);
    QCOMPARE(walkbackBox->isEnabled(), otherEnabled);

    dock.setImageSize(4, 4);
    dock.setNewModelForm(kind->itemData(index).toString(), small);
    auto fromForm = createModel(dock.newModelConfig(), 9);
    auto before = createModel(nlohmann::json::parse(oldConfig.toStdString()), 9);
    QCOMPARE(QString::fromStdString(fromForm->config().dump()), QString::fromStdString(before->config().dump()));
    QVERIFY(sameParameters(*fromForm, *before));
}

QTEST_MAIN(TestModelDock)
#include "tst_gui_modeldock.moc"
