// The table of model kinds and createModel (declared in model.h), which builds through it.

#include "modelregistry.h"

#include "dae.h"
#include "error.h"
#include "gsnk.h"
#include "modelmath.h"
#include "rbm.h"

#include <algorithm>

namespace gsn {

namespace {

std::unique_ptr<Model> makeDae(const nlohmann::json& config, std::uint64_t seed)
{
    return std::make_unique<Dae>(config, seed);
}

std::unique_ptr<Model> makeGsnK(const nlohmann::json& config, std::uint64_t seed)
{
    return std::make_unique<GsnK>(config, seed);
}

std::unique_ptr<Model> makeRbm(const nlohmann::json& config, std::uint64_t seed)
{
    return Rbm::fromConfig(config, seed);
}

nlohmann::json saltAndPepper(double level)
{
    return {{"type", "salt-and-pepper"}, {"level", level}};
}

std::vector<std::string> allNames()
{
    std::vector<std::string> names;
    for (const ModelKind& kind : modelKinds())
        names.push_back(kind.name);
    return names;
}

} // namespace

const char* dataKindName(DataKind kind)
{
    return kind == DataKind::Points ? "points" : "images";
}

nlohmann::json ModelKind::defaultConfig(int visible, const std::vector<int>& hidden) const
{
    nlohmann::json config = defaults;
    config["kind"] = name;
    std::vector<int> sizes{visible};
    const std::vector<int>& h = hidden.empty() ? defaultHidden : hidden;
    sizes.insert(sizes.end(), h.begin(), h.end());
    config["sizes"] = sizes;
    return config;
}

const std::vector<ModelKind>& modelKinds()
{
    // The defaults are the values `gsn train` and the Model dock used before there was a table (and the
    // values each class assumes for a missing field), so a kind's default config builds the same model
    // as a config that leaves the field out. GSN-2 comes first: it is the studio's default kind.
    static const std::vector<ModelKind> table = [] {
        std::vector<ModelKind> t;
        const ModelCapabilities images1{.trainable = true, .hasEnergy = false, .hiddenLayers = 1,
                                        .supportsClamping = true, .data = DataKind::Images};
        ModelCapabilities images2 = images1;
        images2.hiddenLayers = 2;
        ModelCapabilities images3 = images1;
        images3.hiddenLayers = 3;
        ModelCapabilities energy1 = images1;
        energy1.hasEnergy = true;
        ModelCapabilities points1 = images1;
        points1.data = DataKind::Points;

        t.push_back({"gsn2", "GSN-2", "generative stochastic network with 2 hidden layers (SPEC 2.2)", images2,
                     {{"corruption", saltAndPepper(0.4)}, {"hidden_noise", 2.0}, {"walkback", 4}},
                     {1500, 1500}, 0.25, makeGsnK});
        t.push_back({"gsn3", "GSN-3", "generative stochastic network with 3 hidden layers (SPEC 2.2)", images3,
                     {{"corruption", saltAndPepper(0.4)}, {"hidden_noise", 2.0}, {"walkback", 6}},
                     {1500, 1500, 1500}, 0.25, makeGsnK});
        t.push_back({"dae", "DAE (GSN-1)", "denoising auto-encoder with Bernoulli outputs, walkback training (SPEC 2.1)",
                     images1, {{"corruption", saltAndPepper(0.4)}, {"walkback", 1}}, {2000}, 0.25, makeDae});
        t.push_back({"rbm", "RBM (CD-1)",
                     "restricted Boltzmann machine trained by CD-k (cd_k) or PCD (persistent) (SPEC 2.3)", energy1,
                     {{"cd_k", 1}, {"persistent", false}}, {500}, 0.1, makeRbm});
        // No tool makes dae-gauss models yet; 64 hidden units is the size the 2D-toy tests use.
        t.push_back({"dae-gauss", "DAE (Gaussian)",
                     "denoising auto-encoder with Gaussian outputs for continuous points (SPEC 7)", points1,
                     {{"corruption", {{"type", "gaussian"}, {"level", 0.1}}}, {"walkback", 1}}, {64}, 0.25, makeDae});
        return t;
    }();
    return table;
}

const ModelKind* findModelKind(std::string_view name)
{
    for (const ModelKind& kind : modelKinds())
        if (kind.name == name)
            return &kind;
    return nullptr;
}

const ModelKind& modelKind(std::string_view name, const std::string& where, const std::string& field)
{
    if (const ModelKind* kind = findModelKind(name))
        return *kind;
    fail(where, field, "expected " + kindList(allNames()) + ", got '" + std::string(name) + "'");
}

std::vector<const ModelKind*> trainableImageKinds()
{
    return modelKindsWhere([](const ModelKind& kind) {
        return kind.capabilities.trainable && kind.capabilities.data == DataKind::Images;
    });
}

std::string kindList(std::vector<std::string> names, const std::string& separator, const std::string& lastSeparator)
{
    // Alphabetical, so that a message reads like an index whatever the table's order.
    std::sort(names.begin(), names.end());
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0)
            out += i + 1 == names.size() ? lastSeparator : separator;
        out += names[i];
    }
    return out;
}

std::unique_ptr<Model> createModel(const nlohmann::json& config, std::uint64_t seed)
{
    // Before any model does a product: OpenBLAS may need its AVX-512 kernels selected (modelmath.h).
    modelmath::ensureFastBlas();
    if (!config.is_object() || !config.contains("kind") || !config["kind"].is_string())
        fail("model config", "kind", "expected a string (" + kindList(allNames(), ", ", ", ") + ")");
    return modelKind(config["kind"].get<std::string>()).create(config, seed);
}

} // namespace gsn
