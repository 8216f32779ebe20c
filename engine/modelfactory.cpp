// createModel (declared in model.h): config["kind"] picks the class. One line per kind.

#include "dae.h"
#include "error.h"
#include "gsnk.h"
#include "model.h"
#include "modelmath.h"
#include "rbm.h"

namespace gsn {

std::unique_ptr<Model> createModel(const nlohmann::json& config, std::uint64_t seed)
{
    // Before any model does a product: OpenBLAS may need its AVX-512 kernels selected (modelmath.h).
    modelmath::ensureFastBlas();
    if (!config.is_object() || !config.contains("kind") || !config["kind"].is_string())
        fail("model config", "kind", "expected a string (dae, dae-gauss, gsn2, gsn3, rbm)");
    const std::string kind = config["kind"].get<std::string>();
    if (kind == "dae" || kind == "dae-gauss")
        return std::make_unique<Dae>(config, seed);
    if (kind == "gsn2" || kind == "gsn3")
        return std::make_unique<GsnK>(config, seed);
    if (kind == "rbm")
        return Rbm::fromConfig(config, seed);
    fail("model config", "kind", "expected dae, dae-gauss, gsn2, gsn3 or rbm, got '" + kind + "'");
}

} // namespace gsn
