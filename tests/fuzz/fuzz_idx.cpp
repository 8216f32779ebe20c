// libFuzzer harness: readIdx (idx.h) on the input as a file, raw or gzip (detected from the content).
#include "fuzzsupport.h"
#include "idx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const gsn::fuzz::InputFile file("-idx-ubyte");
    const std::string& path = file.write(data, size);
    gsn::fuzz::refusalsAllowed([&] {
        const gsn::IdxArray a = gsn::readIdx(path);
        std::size_t n = 1;
        for (const int64_t s : a.shape)
            n *= static_cast<std::size_t>(s);
        if (n != a.values.size()) // the reader's promise: shape product values
            std::abort();
    });
    return 0;
}
