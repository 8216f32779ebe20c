// The registry of model kinds (modelregistry.h): every registered kind builds from its default config,
// round-trips config() -> createModel, and has the capabilities it claims; its defaults are the values
// the class assumes for missing fields (so callers that start from the defaults build the models they
// built before); unknown kinds are refused with a message naming the registered ones.

#include "chains.h"
#include "clampmask.h"
#include "error.h"
#include "model.h"
#include "modelregistry.h"
#include "rbm.h"

#include <QtTest>

#include <cmath>
#include <memory>
#include <set>

using namespace gsn;

namespace {

// Small sizes for a kind: 4x4 images or 2D points, 6 units per hidden layer.
int smallVisible(const ModelKind& kind)
{
    return kind.capabilities.data == DataKind::Points ? 2 : 16;
}

nlohmann::json smallConfig(const ModelKind& kind)
{
    return kind.defaultConfig(smallVisible(kind), std::vector<int>(kind.defaultHidden.size(), 6));
}

// Rows of values in [0, 1] (a valid batch or chain start for every kind).
Matrix batchFor(int rows, int cols)
{
    Matrix m(rows, cols);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            m(r, c) = static_cast<float>((r * 7 + c * 3) % 10) / 10.0f;
    return m;
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

const ModelKind& fetchedKind()
{
    QFETCH(QString, name);
    const ModelKind* kind = findModelKind(name.toStdString());
    if (!kind)
        qFatal("no registry row %s", qPrintable(name));
    return *kind;
}

} // namespace

class TestRegistry : public QObject {
    Q_OBJECT
private slots:
    void tableIsWellFormed();
    void everyKind_data();
    void buildsFromDefaults_data() { everyKind_data(); }
    void buildsFromDefaults();
    void defaultsAreTheClassDefaults_data() { everyKind_data(); }
    void defaultsAreTheClassDefaults();
    void configRoundTrips_data() { everyKind_data(); }
    void configRoundTrips();
    void capabilitiesAgree_data() { everyKind_data(); }
    void capabilitiesAgree();
    void clampingHolds_data() { everyKind_data(); }
    void clampingHolds();
    void unknownKindsNameTheRegistered_data();
    void unknownKindsNameTheRegistered();
    void kindListsReadLikeAnIndex();
    void trainKindsAreTheImageKinds();
};

void TestRegistry::tableIsWellFormed()
{
    QVERIFY(!modelKinds().empty());
    std::set<std::string> names;
    for (const ModelKind& kind : modelKinds()) {
        QVERIFY2(names.insert(kind.name).second, kind.name.c_str()); // unique
        QVERIFY(!kind.name.empty() && !kind.label.empty() && !kind.description.empty());
        QVERIFY2(kind.description.find('\n') == std::string::npos, kind.name.c_str()); // one line
        QVERIFY(kind.create != nullptr);
        QVERIFY(kind.defaults.is_object());
        QVERIFY2(!kind.defaults.contains("kind") && !kind.defaults.contains("sizes"), kind.name.c_str());
        QCOMPARE(static_cast<int>(kind.defaultHidden.size()), kind.capabilities.hiddenLayers);
        QVERIFY(kind.defaultLearningRate > 0);
        QCOMPARE(findModelKind(kind.name), &kind);
    }
    QCOMPARE(findModelKind("gsn4"), nullptr);
    QCOMPARE(std::string(dataKindName(DataKind::Images)), std::string("images"));
    QCOMPARE(std::string(dataKindName(DataKind::Points)), std::string("points"));
}

void TestRegistry::everyKind_data()
{
    QTest::addColumn<QString>("name");
    for (const ModelKind& kind : modelKinds())
        QTest::newRow(kind.name.c_str()) << QString::fromStdString(kind.name);
}

void TestRegistry::buildsFromDefaults()
{
    const ModelKind& kind = fetchedKind();
    const nlohmann::json config = smallConfig(kind);
    QCOMPARE(config["kind"].get<std::string>(), kind.name);
    auto model = createModel(config, 3);
    QVERIFY(model);
    QCOMPARE(model->kind(), kind.name);
    QCOMPARE(model->layerSizes(), config["sizes"].get<std::vector<int>>());
    // The factory of the row is what createModel used.
    auto direct = kind.create(config, 3);
    QCOMPARE(direct->config(), model->config());
    QVERIFY(sameParameters(*direct, *model));
    // The full default sizes go into the config (not built: 1500-unit layers are slow to initialise).
    const nlohmann::json full = kind.defaultConfig(7);
    std::vector<int> expected{7};
    expected.insert(expected.end(), kind.defaultHidden.begin(), kind.defaultHidden.end());
    QCOMPARE(full["sizes"].get<std::vector<int>>(), expected);
}

void TestRegistry::defaultsAreTheClassDefaults()
{
    // A config holding only kind and sizes must build the same model as the kind's default config:
    // callers that now start from the defaults (gsn train, the Model dock) build what they built before.
    const ModelKind& kind = fetchedKind();
    const nlohmann::json config = smallConfig(kind);
    const nlohmann::json bare = {{"kind", config["kind"]}, {"sizes", config["sizes"]}};
    auto fromDefaults = createModel(config, 5);
    auto fromBare = createModel(bare, 5);
    QCOMPARE(QString::fromStdString(fromDefaults->config().dump()), QString::fromStdString(fromBare->config().dump()));
    QVERIFY(sameParameters(*fromDefaults, *fromBare));
    // Each default field is visible in the built model's config.
    const nlohmann::json built = fromDefaults->config();
    for (const auto& [field, value] : kind.defaults.items()) {
        QVERIFY2(built.contains(field), field.c_str());
        if (value.is_number_float())
            QVERIFY2(std::abs(built[field].get<double>() - value.get<double>()) < 1e-6, field.c_str());
        else if (value.is_object())
            for (const auto& [sub, v] : value.items())
                QVERIFY2(v.is_number_float() ? std::abs(built[field][sub].get<double>() - v.get<double>()) < 1e-6
                                             : built[field][sub] == v,
                         (field + "." + sub).c_str());
        else
            QVERIFY2(built[field] == value, field.c_str());
    }
}

void TestRegistry::configRoundTrips()
{
    const ModelKind& kind = fetchedKind();
    nlohmann::json config = smallConfig(kind);
    if (config.contains("walkback"))
        config["walkback"] = 3; // a non-default value must survive the trip too
    auto model = createModel(config, 11);
    auto again = createModel(model->config(), 11);
    QCOMPARE(again->kind(), model->kind());
    QCOMPARE(QString::fromStdString(again->config().dump()), QString::fromStdString(model->config().dump()));
    QVERIFY(sameParameters(*again, *model));
    if (config.contains("walkback"))
        QCOMPARE(again->config()["walkback"].get<int>(), 3);
    // Control: another seed gives other weights, so the comparison above can fail.
    auto other = createModel(model->config(), 12);
    QVERIFY(!sameParameters(*other, *model));
}

void TestRegistry::capabilitiesAgree()
{
    const ModelKind& kind = fetchedKind();
    const ModelCapabilities& caps = kind.capabilities;
    auto model = createModel(smallConfig(kind), 7);
    QCOMPARE(static_cast<int>(model->layerSizes().size()) - 1, caps.hiddenLayers);
    // Has an energy exactly when it is the RBM (the one class with energy()/freeEnergy()).
    QCOMPARE(dynamic_cast<const Rbm*>(model.get()) != nullptr, caps.hasEnergy);
    const int n = model->visibleSize();
    if (caps.trainable) {
        QVERIFY(!model->parameters().empty());
        NoiseKey key;
        key.seed = 1;
        key.rowStream = {0, 1, 2};
        std::vector<Matrix> grads;
        const double loss = model->lossAndGradient(batchFor(3, n), key, grads);
        QVERIFY(std::isfinite(loss));
        QCOMPARE(grads.size(), model->parameters().size());
    }
    ChainState state = model->startChains(batchFor(4, n));
    model->stepChains(state, 9);
    QCOMPARE(state.mean.rows(), Eigen::Index{4});
    QCOMPARE(state.mean.cols(), Eigen::Index{n});
    QVERIFY(state.mean.allFinite());
    if (caps.data == DataKind::Images) // grey levels
        QVERIFY(state.mean.minCoeff() >= 0.0f && state.mean.maxCoeff() <= 1.0f);
}

void TestRegistry::clampingHolds()
{
    const ModelKind& kind = fetchedKind();
    if (!kind.capabilities.supportsClamping)
        QSKIP("kind does not support clamping");
    std::shared_ptr<const Model> model = createModel(smallConfig(kind), 2);
    const int n = model->visibleSize();
    const int w = kind.capabilities.data == DataKind::Points ? n : 4;
    const int h = n / w;
    ChainSet set(model, w, h);
    set.reset(std::vector<ChainInit>(3, ChainInit::noise()), 4);
    ClampMask mask(w, h);
    mask.clamped[0] = 1;
    std::vector<float> values(static_cast<std::size_t>(n), 0.25f);
    set.setClampAll(mask, values);
    for (int t = 0; t < 5; ++t) {
        set.step();
        for (int c = 0; c < set.chains(); ++c) {
            QCOMPARE(set.state().x(c, 0), 0.25f);
            QCOMPARE(set.state().mean(c, 0), 0.25f);
        }
    }
}

void TestRegistry::unknownKindsNameTheRegistered_data()
{
    QTest::addColumn<QString>("config");
    QTest::newRow("unknown name") << R"({"kind":"gsn4","sizes":[4,4]})";
    QTest::newRow("sampler, not a model") << R"({"kind":"rbm-pt","sizes":[4,4]})";
    QTest::newRow("no kind") << R"({"sizes":[4,4]})";
    QTest::newRow("kind not a string") << R"({"kind":2})";
    QTest::newRow("not an object") << R"([1,2])";
}

void TestRegistry::unknownKindsNameTheRegistered()
{
    QFETCH(QString, config);
    try {
        createModel(nlohmann::json::parse(config.toStdString()), 1);
        QFAIL("accepted");
    } catch (const Error& e) {
        const QString message = e.what();
        QVERIFY2(message.contains("kind"), e.what());
        for (const ModelKind& kind : modelKinds())
            QVERIFY2(message.contains(QString::fromStdString(kind.name)), e.what());
    }
    try {
        modelKind("nope", "here", "field");
        QFAIL("accepted");
    } catch (const Error& e) {
        const QString message = e.what();
        QVERIFY2(message.contains("here") && message.contains("field") && message.contains("'nope'"), e.what());
        for (const ModelKind& kind : modelKinds())
            QVERIFY2(message.contains(QString::fromStdString(kind.name)), e.what());
    }
}

void TestRegistry::kindListsReadLikeAnIndex()
{
    QCOMPARE(QString::fromStdString(kindList({"rbm", "dae", "gsn2"})), QString("dae, gsn2 or rbm"));
    QCOMPARE(QString::fromStdString(kindList({"rbm", "dae"}, "|", "|")), QString("dae|rbm"));
    QCOMPARE(QString::fromStdString(kindList({"rbm"})), QString("rbm"));
    QCOMPARE(QString::fromStdString(kindList({})), QString());
}

void TestRegistry::trainKindsAreTheImageKinds()
{
    // `gsn train` and the Model dock offer these, in this order (the dock's list before the registry).
    std::vector<std::string> names, labels;
    for (const ModelKind* kind : trainableImageKinds()) {
        QVERIFY(kind->capabilities.trainable && kind->capabilities.data == DataKind::Images);
        names.push_back(kind->name);
        labels.push_back(kind->label);
    }
    QCOMPARE(names, (std::vector<std::string>{"gsn2", "gsn3", "dae", "rbm"}));
    QCOMPARE(labels, (std::vector<std::string>{"GSN-2", "GSN-3", "DAE (GSN-1)", "RBM (CD-1)"}));
    QCOMPARE(QString::fromStdString(kindList(kindNames(trainableImageKinds()))), QString("dae, gsn2, gsn3 or rbm"));
}

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
