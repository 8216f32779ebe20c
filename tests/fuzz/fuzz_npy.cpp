// libFuzzer harness: readNpy (npy.h) on the input as a .npy file, with and without non-finite values allowed.
#include "fuzzsupport.h"
#include "npy.h"

#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const gsn::fuzz::InputFile file(".npy");
    const std::string& path = file.write(data, size);
    for (const bool allowNonFinite : {false, true}) {
        gsn::fuzz::refusalsAllowed([&] {
            const gsn::NpyArray a = gsn::readNpy(path, allowNonFinite);
            std::size_t n = 1;
            for (const int64_t s : a.shape)
                n *= static_cast<std::size_t>(s);
            if (n != a.values.size())
                std::abort();
            if (!allowNonFinite)
                for (const float v : a.values)
                    if (!std::isfinite(v))
                        std::abort();
        });
    }
    return 0;
}
