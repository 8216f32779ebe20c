// libFuzzer harness: classifier files (classifier.h, safetensors underneath) on the input as a file; a
// classifier that loads must classify an image.
#include "classifier.h"
#include "fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const gsn::fuzz::InputFile file(".safetensors");
    const std::string& path = file.write(data, size);
    gsn::fuzz::refusalsAllowed([&] {
        const gsn::Classifier c = gsn::loadClassifier(path);
        const gsn::Matrix x = gsn::Matrix::Constant(1, c.inputs(), 0.5f);
        const std::vector<int> predicted = c.predict(x);
        if (predicted.size() != 1 || predicted[0] < 0 || predicted[0] >= c.classes())
            std::abort();
    });
    return 0;
}
