// libFuzzer harness: the `gsn` option parser (cliargs.h) and the chain options of `gsn sample` / `gsn inpaint`
// (chainoptions.h). The input is the argument list, one argument per line (a NUL also ends an argument: argv
// strings cannot hold one).
#include "chainoptions.h"
#include "cliargs.h"
#include "fuzzsupport.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::vector<std::string> args;
    std::string current;
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == '\n' || data[i] == '\0') {
            args.push_back(current);
            current.clear();
        } else {
            current += static_cast<char>(data[i]);
        }
    }
    if (!current.empty())
        args.push_back(current);
    gsn::fuzz::refusalsAllowed([&] {
        const gsn::CliArgs a(args, {"out", "seed", "init", "free", "steps", "sizes", "lr", "clamp", "mask", "data", "chains"},
                             {"quiet", "scale", "help"});
        using gsn::fuzz::refusalsAllowed;
        refusalsAllowed([&] { (void)a.getInt("steps", 10, 1, 1000000); });
        refusalsAllowed([&] { (void)a.getInt("chains", 1, -5, 5); });
        refusalsAllowed([&] { (void)a.getDouble("lr", 0.25); });
        refusalsAllowed([&] {
            for (const int v : a.getIntList("sizes", {784, 1500}))
                if (v < 1)
                    std::abort(); // "comma-separated positive integers"
        });
        refusalsAllowed([&] { (void)a.require("data", "a dataset"); });
        refusalsAllowed([&] {
            const long long i = gsn::testImageIndex(a.get("init", "test:0"), 10000, "--init");
            if (i < 0 || i >= 10000)
                std::abort();
        });
        refusalsAllowed([&] { (void)gsn::commands::chainStartOption(a, "init", "noise", {true, true}); });
        refusalsAllowed([&] { (void)gsn::commands::chainStartOption(a, "free", "noise", {true, false}); });
        refusalsAllowed([&] { (void)gsn::commands::seedOption(a); });
        refusalsAllowed([&] { (void)gsn::commands::sheetOutOption(a, true, "a sheet"); });
        // Presets only: a path would make the harness read whatever file the fuzzer names (fuzz_mask reads masks).
        const std::string clamp = a.get("clamp", "left");
        if (clamp.find('/') == std::string::npos && clamp.find('.') == std::string::npos)
            refusalsAllowed([&] {
                const auto m = gsn::commands::maskOption(clamp, 28, 28, a.has("scale"));
                if (m.mask.clamped.size() != 28u * 28u)
                    std::abort();
            });
        (void)a.positionals();
    });
    return 0;
}
