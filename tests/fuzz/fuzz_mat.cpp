// libFuzzer harness: loadMatDataset (matfile.h, through libmatio) on the input as a .mat file, for every
// selection word (all images, a TFD fold split).
#include "fuzzsupport.h"
#include "matfile.h"

#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const gsn::fuzz::InputFile file(".mat");
    const std::string& path = file.write(data, size);
    for (const char* selection : {"", "test3", "unlabeled"}) {
        gsn::fuzz::refusalsAllowed([&] {
            const gsn::Dataset d = gsn::loadMatDataset(path, selection);
            // the reader's promise: one row of width * height values in [0, 1] per image
            if (d.pixels.cols() != static_cast<Eigen::Index>(d.width) * d.height || !d.pixels.allFinite() ||
                (d.pixels.size() > 0 && (d.pixels.minCoeff() < 0.0f || d.pixels.maxCoeff() > 1.0f)))
                std::abort();
            if (!d.labels.empty() && d.labels.size() != static_cast<std::size_t>(d.count()))
                std::abort();
        });
    }
    return 0;
}
