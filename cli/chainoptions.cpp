#include "chainoptions.h"

#include "error.h"
#include "maskio.h"
#include "sheetwriter.h"

#include <QDir>
#include <QFileInfo>

#include <limits>
#include <vector>

namespace gsn::commands {

ChainStart chainStartOption(const CliArgs& args, const std::string& name, const std::string& fallback,
                            ChainStartWords words)
{
    const std::string value = args.get(name, fallback);
    using Kind = ChainStart::Kind;
    if (value == "noise")
        return {Kind::Noise, "noise"};
    if (value == "zeros" || value == "zero")
        return {Kind::Zeros, "zeros"};
    if (words.source && (value == "source" || value == "image"))
        return {Kind::Source, "source"};
    if (words.testImage && value.rfind("test:", 0) == 0)
        return {Kind::TestImage, value};
    std::vector<std::string> accepted{"noise", "zeros"};
    if (words.source)
        accepted.push_back("source");
    if (words.testImage)
        accepted.push_back("test:INDEX");
    std::string expected;
    for (std::size_t i = 0; i < accepted.size(); ++i)
        expected += (i == 0 ? "" : i + 1 == accepted.size() ? " or " : ", ") + accepted[i];
    fail("command line", "--" + name, "expected " + expected + ", got '" + value + "'");
}

std::uint64_t seedOption(const CliArgs& args)
{
    return static_cast<std::uint64_t>(args.getInt("seed", 1, 0, std::numeric_limits<long long>::max()));
}

std::string sheetOutOption(const CliArgs& args, bool allowNpy, const std::string& expected)
{
    const std::string out = args.require("out", expected);
    const QString path = QString::fromStdString(out);
    // A bad suffix fails before any work, listing every suffix this command writes (.npy for gsn sample).
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (!(allowNpy && suffix == "npy") && suffix != "png" && suffix != "pdf" && suffix != "svg")
        fail(kCommandLine, "--out", std::string("expected a file name ending in ") +
                                        (allowNpy ? ".png, .pdf, .svg or .npy" : ".png, .pdf or .svg") + ", got '" + out + "'");
    if (suffix != "npy")
        sheetFormatFor(path); // the sheet writer's own check; a .npy is written by writeNpy, not as a sheet
    // Fail before sampling when the output folder is missing (the write itself stays atomic and checked).
    if (!QFileInfo(path).absoluteDir().exists())
        fail(out, "folder", "expected an existing folder, got '" + QFileInfo(path).absolutePath().toStdString() + "'");
    return out;
}

MaskOption maskOption(const std::string& spec, int width, int height, bool scale)
{
    MaskPreset preset;
    if (parseMaskPreset(spec, &preset) && preset != MaskPreset::Random)
        return {makeMask(preset, width, height), QString::fromStdString(spec)};
    const QString path = QString::fromStdString(spec);
    return {loadMask(path, width, height, scale), QFileInfo(path).fileName() + " (sha256 " + fileSha256(path).left(16) + ")"};
}

} // namespace gsn::commands
