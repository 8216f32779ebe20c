// gsn info FILE|NAME: what a file the project reads or writes holds: a dataset (registry name, .npy, IDX,
// .mat), a checkpoint or classifier (.safetensors), a chain recording or values (.npy), a sample sheet, mask
// or image (.png, .pdf, .svg).

#include "checkpoint.h"
#include "classifier.h"
#include "cliargs.h"
#include "commands.h"
#include "datasets.h"
#include "error.h"
#include "idx.h"
#include "imagedecode.h"
#include "npy.h"

#include <QImage>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace gsn::commands {

namespace {

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string kindOf(const std::string& spec)
{
    if (isDatasetName(spec))
        return "dataset (registry name)";
    if (endsWith(spec, ".npy"))
        return "dataset (.npy)";
    if (endsWith(spec, ".mat") || spec.find(".mat:") != std::string::npos)
        return "dataset (.mat)";
    return "dataset (IDX)";
}

// A 1-D IDX file holds labels only: report those rather than refusing it.
int labelsInfo(const std::string& path, const IdxArray& labels)
{
    int maxLabel = -1;
    int minLabel = 256;
    for (const uint8_t l : labels.values) {
        maxLabel = std::max(maxLabel, int(l));
        minLabel = std::min(minLabel, int(l));
    }
    std::printf("file: %s\n", path.c_str());
    std::printf("kind: labels (IDX)\n");
    std::printf("count: %lld\n", static_cast<long long>(labels.shape[0]));
    std::printf("labels: %d classes\n", maxLabel + 1);
    std::printf("range: [%d, %d]\n", minLabel, maxLabel);
    return 0;
}

// A text value as it is when short printable ASCII, else quoted (cut, escaped).
std::string plainValue(const std::string& value)
{
    const bool plain = value.size() <= 200 && std::all_of(value.begin(), value.end(), [](char c) {
                           return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
                       });
    return plain ? value : quoteValue(value, 200);
}

// A .npy file that is not a dataset (not 2-D or 3-D): the arrays the project writes besides datasets are
// chain recordings (`gsn sample --out FILE.npy`, [chains, steps, height, width]) and per-row values
// (`gsn eval --save-ll`, one dimension). Describes any such array.
int arrayInfo(const std::string& path, const NpyArray& a)
{
    std::string shape;
    for (std::size_t i = 0; i < a.shape.size() && i < 8; ++i)
        shape += (i ? " x " : "") + std::to_string(a.shape[i]);
    if (a.shape.size() > 8)
        shape += " x ... (" + std::to_string(a.shape.size()) + " dimensions)";
    std::printf("file: %s\n", path.c_str());
    if (a.shape.size() == 4)
        std::printf("kind: chain recording (.npy, [chains, steps, height, width], as gsn sample --out FILE.npy writes)\n");
    else if (a.shape.size() == 1)
        std::printf("kind: values (.npy, one dimension, as gsn eval --save-ll writes)\n");
    else
        std::printf("kind: array (.npy)\n");
    std::printf("dtype: %s\n", plainValue(a.dtype).c_str());
    std::printf("shape: %s\n", shape.empty() ? "() (a scalar)" : shape.c_str());
    if (a.shape.size() == 4) {
        std::printf("chains: %lld\n", static_cast<long long>(a.shape[0]));
        std::printf("steps: %lld\n", static_cast<long long>(a.shape[1]));
        std::printf("size: %lld x %lld (width x height)\n", static_cast<long long>(a.shape[3]),
                    static_cast<long long>(a.shape[2]));
    }
    if (!a.values.empty()) {
        const auto [lo, hi] = std::minmax_element(a.values.begin(), a.values.end());
        std::printf("range: [%g, %g]\n", double(*lo), double(*hi));
    }
    return 0;
}

// Whether a PDF or SVG says it is a GSN sample sheet (PDF info strings are UTF-16BE with a byte-order mark).
bool isSheet(const std::string& head)
{
    static const std::string utf16 = [] {
        std::string s;
        for (const char c : std::string("GSN Studio"))
            s += std::string(1, '\0') + c;
        return s;
    }();
    return head.find("GSN sample sheet") != std::string::npos || head.find("GSN Studio") != std::string::npos ||
           head.find(utf16) != std::string::npos;
}

// Images the project writes: sample sheets (PNG with provenance text chunks, PDF, SVG), clamp masks and
// inpainting images (PNG).
int imageInfo(const std::string& path)
{
    const std::string lower = [&] {
        std::string s = path;
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        return s;
    }();
    if (endsWith(lower, ".pdf") || endsWith(lower, ".svg")) {
        const std::string head = [&] {
            std::ifstream in(path, std::ios::binary);
            if (!in)
                fail(path, "file", "expected a readable file");
            std::string bytes(1 << 16, '\0');
            in.read(bytes.data(), std::streamsize(bytes.size()));
            bytes.resize(std::size_t(in.gcount()));
            return bytes;
        }();
        const bool pdf = endsWith(lower, ".pdf");
        if (pdf ? head.rfind("%PDF-", 0) != 0 : head.find("<svg") == std::string::npos)
            fail(path, "header", pdf ? "expected a PDF file (starting with %PDF-)" : "expected an SVG file (an <svg> element)");
        std::error_code ec;
        std::printf("file: %s\n", path.c_str());
        std::printf("kind: %s (%s)\n", isSheet(head)
                                           ? "sample sheet" : "document",
                    pdf ? "PDF" : "SVG");
        std::printf("bytes: %lld\n", static_cast<long long>(std::filesystem::file_size(path, ec)));
        return 0;
    }
    const QImage image = decodeImageFile(QString::fromStdString(path), "image", "a PNG image");
    const bool sheet = image.text(QStringLiteral("Software")) == QStringLiteral("GSN Studio");
    const bool grey = image.isGrayscale();
    std::printf("file: %s\n", path.c_str());
    std::printf("kind: %s\n", sheet ? "sample sheet (PNG)"
                              : image.depth() == 1 || grey ? "image (PNG, black and white or grey: a clamp mask when it is a model's size)"
                                                           : "image (PNG)");
    std::printf("size: %d x %d (width x height)\n", image.width(), image.height());
    std::printf("colours: %s\n", image.depth() == 1 ? "1-bit" : grey ? "grey" : "colour");
    for (const QString& key : image.textKeys()) {
        const QString value = image.text(key);
        // Provenance entries holding an embedded PNG (the mask, the source image) are named, not printed.
        const std::string shown = key == QStringLiteral("Mask") || key == QStringLiteral("Source-Image")
                                      ? "(embedded PNG, " + std::to_string(value.size()) + " characters of base64)"
                                      : plainValue(value.toStdString());
        std::printf("%s: %s\n", fieldName(key.toStdString()).c_str(), shown.c_str());
    }
    return 0;
}

} // namespace

int info(const Args& args)
{
    const CliArgs cli(args, {}, {});
    if (cli.positionals().size() != 1)
        fail("gsn info", "arguments", "expected one FILE or dataset name (" + [] {
            std::string names;
            for (const auto& n : datasetNames())
                names += (names.empty() ? "" : ", ") + n;
            return names;
        }() + ")");
    const std::string spec = cli.positionals().front();

    if (endsWith(spec, ".safetensors")) {
        // The project writes two kinds of safetensors file; __metadata__.format says which.
        std::fputs((isClassifierFile(spec) ? classifierInfo(spec) : checkpointInfo(spec)).c_str(), stdout);
        return 0;
    }

    if (endsWith(spec, ".png") || endsWith(spec, ".PNG") || endsWith(spec, ".pdf") || endsWith(spec, ".svg"))
        return imageInfo(spec);
    std::error_code ec;
    if (endsWith(spec, ".npy") && std::filesystem::is_regular_file(spec, ec)) {
        // Datasets are 2-D or 3-D; any other array the project writes is described as an array.
        const NpyArray array = readNpy(spec, true);
        if (array.shape.size() != 2 && array.shape.size() != 3)
            return arrayInfo(spec, array);
    }

    // Labels-only IDX files are real dataset files too (MNIST's *-labels-idx1-ubyte): a 1-D IDX
    // file is reported as labels. (Images are then read twice; a few tens of ms for MNIST.)
    if (kindOf(spec) == "dataset (IDX)" && std::filesystem::is_regular_file(spec, ec)) {
        IdxArray array = readIdx(spec);
        if (array.shape.size() == 1)
            return labelsInfo(spec, array);
    }

    const Dataset data = loadDataset(spec);
    const auto [lo, hi] = pixelRange(data);
    std::printf("file: %s\n", data.source.c_str());
    std::printf("kind: %s\n", kindOf(spec).c_str());
    std::printf("name: %s\n", data.name.c_str());
    std::printf("count: %d\n", data.count());
    std::printf("size: %d x %d (width x height)\n", data.width, data.height);
    if (data.labelCount > 0)
        std::printf("labels: %d classes\n", data.labelCount);
    else
        std::printf("labels: none\n");
    std::printf("range: [%g, %g]\n", double(lo), double(hi));
    std::printf("hash: %s\n", data.hash.c_str());
    return 0;
}

} // namespace gsn::commands
