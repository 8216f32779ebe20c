// libFuzzer harness: mask PNGs (maskio.h, Qt Gui's image readers; no QGuiApplication is needed to decode)
// on the input as a .png file, at the model's size (28x28) and scaled to it. The decoders themselves
// (libpng and Qt's other image formats) are not instrumented for coverage: this checks what our code
// does with whatever they return.
#include "fuzzsupport.h"
#include "maskio.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const gsn::fuzz::InputFile file("-mask.png");
    const std::string& path = file.write(data, size);
    const QString qpath = QString::fromStdString(path);
    for (const bool scale : {false, true}) {
        gsn::fuzz::refusalsAllowed([&] {
            const gsn::ClampMask mask = gsn::loadMask(qpath, 28, 28, scale);
            if (mask.width != 28 || mask.height != 28 || mask.clamped.size() != 28u * 28u)
                std::abort();
            (void)gsn::maskProblem(mask);
        });
    }
    return 0;
}
