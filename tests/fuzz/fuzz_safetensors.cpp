// libFuzzer harness: the safetensors container (safetensors.h) on the input as a file: the header and
// metadata, the decoded metadata strings, the tensor table, and reading every tensor that is a matrix.
#include "fuzzsupport.h"
#include "safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const gsn::fuzz::InputFile file(".safetensors");
    const std::string& path = file.write(data, size);
    gsn::fuzz::refusalsAllowed([&] {
        gsn::SafetensorsFile f(path, "a fuzzed file");
        gsn::fuzz::refusalsAllowed([&] { (void)f.decodedMetadata(); });
        gsn::fuzz::refusalsAllowed([&] { (void)f.metaInteger<int>("format_version", 1, 1 << 20); });
        f.parseTensors();
        for (const std::string& name : f.tensorNames()) {
            if (!f.contains(name))
                std::abort();
            const std::vector<std::uint64_t> shape = f.shape(name);
            if (shape.size() != 2)
                continue;
            // parseTensors promised the tensor fits in the file, so this allocation is bounded by its size
            gsn::Matrix m;
            gsn::fuzz::refusalsAllowed([&] {
                f.read(name, m, static_cast<long long>(shape[0]), static_cast<long long>(shape[1]), "the fuzz harness");
                if (!m.allFinite())
                    std::abort();
            });
        }
    });
    return 0;
}
