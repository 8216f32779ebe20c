// libFuzzer harness: JSON text as the project reads it (jsonlimits.h: the nesting-limited parser every JSON
// from a file goes through, and describeJson for quoting it in messages), then the configs built from JSON:
// target densities (createTarget, target.h) and samplers (createSampler, samplerregistry.h). A target that
// is accepted must evaluate and sample. Checkpoint metadata strings: fuzz_checkpoint_meta.
#include "fuzzsupport.h"
#include "jsonlimits.h"
#include "sampler.h"
#include "samplerregistry.h"
#include "target.h"

#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    gsn::fuzz::refusalsAllowed([&] {
        const nlohmann::json value = gsn::parseJsonLimited(text, "fuzz.json", "");
        if (gsn::describeJson(value).size() > 200) // 60 characters and a type name
            std::abort();
        gsn::fuzz::refusalsAllowed([&] {
            const std::shared_ptr<const gsn::Target> target = gsn::createTarget(value);
            const int d = target->dimension();
            if (d < 1)
                std::abort();
            const gsn::Matrix x = gsn::Matrix::Zero(2, d);
            const gsn::Vector logp = target->logDensity(x);
            const gsn::Matrix grad = target->gradLogDensity(x);
            const gsn::Matrix draws = target->sample(2, 1);
            if (logp.size() != 2 || grad.rows() != 2 || grad.cols() != d || draws.rows() != 2 || draws.cols() != d)
                std::abort();
            if (std::isnan(logp(0)) || !draws.allFinite())
                std::abort();
            (void)gsn::createTarget(target->config()); // what config() writes, createTarget reads
        });
        gsn::fuzz::refusalsAllowed([&] {
            const gsn::Matrix points = gsn::Matrix::Random(8, 2);
            (void)gsn::createSampler(value, {&points, 1});
        });
    });
    return 0;
}
