// libFuzzer harness: checkpoints (checkpoint.h) on the input as a file: loadCheckpoint (what the studio and
// every `gsn` command do) and checkpointInfo (`gsn info`).
#include "checkpoint.h"
#include "fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const gsn::fuzz::InputFile file(".safetensors");
    const std::string& path = file.write(data, size);
    gsn::fuzz::refusalsAllowed([&] {
        const gsn::Checkpoint c = gsn::loadCheckpoint(path);
        if (!c.model)
            std::abort();
    });
    gsn::fuzz::refusalsAllowed([&] { (void)gsn::checkpointInfo(path); });
    return 0;
}
