#pragma once
// The option words `gsn sample` and `gsn inpaint` share, parsed in one place so both commands accept
// the same words for the same things:
//   --init / --free   where the free pixels start: noise | zeros | source (| test:INDEX for gsn sample)
//   --seed S          the Philox seed of the chains (default 1)
//   --clamp / --mask  left|right|top|bottom|centre|border or MASK.png
//   --out FILE        the sheet (PNG, PDF, SVG; gsn sample also NPY)
// Old spellings keep working: "zero" means zeros (gsn inpaint's word before), "image" means source
// (gsn sample --free's word before).

#include "clampmask.h"
#include "cliargs.h"

#include <QString>

#include <cstdint>
#include <string>

namespace gsn::commands {

// Where a chain's free pixels start.
struct ChainStart {
    enum class Kind { Noise, Zeros, Source, TestImage };
    Kind kind = Kind::Noise;
    std::string word; // the canonical word ("noise", "zeros", "source") or the value as given ("test:17")
};

// Which chain-start words an option takes besides noise and zeros.
struct ChainStartWords {
    bool source = false;    // "source": the clamped source image itself
    bool testImage = false; // "test:INDEX": a test image (its index is checked later, testImageIndex)
};

// Parses option `name` ("init", "free"), `fallback` when absent. Throws gsn::Error naming the option and
// listing the accepted words.
ChainStart chainStartOption(const CliArgs& args, const std::string& name, const std::string& fallback,
                            ChainStartWords words);

// --seed S: an integer in [0, 2^63 - 1], default 1.
std::uint64_t seedOption(const CliArgs& args);

// --out FILE (required): a sheet (.png, .pdf, .svg) or, when `allowNpy`, a .npy file, in an existing
// folder. Checked before any work; `expected` names the accepted files in the missing-option message.
std::string sheetOutOption(const CliArgs& args, bool allowNpy, const std::string& expected);

// A clamp mask option (--clamp, --mask) at width x height: a preset (left, right, top, bottom, centre,
// border) or a mask PNG (any non-zero pixel = clamped; another size is refused unless `scale`).
struct MaskOption {
    ClampMask mask;
    QString text; // for provenance: the preset's name or "FILE.png (sha256 0123456789abcdef)"
};
MaskOption maskOption(const std::string& spec, int width, int height, bool scale);

} // namespace gsn::commands
