#include "datasets.h"

#include "error.h"
#include "idx.h"
#include "matfile.h"
#include "npy.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>

namespace fs = std::filesystem;

namespace gsn {

namespace {

// uint8 -> [0, 1] by table: exact (255 -> 1.0f) and faster than dividing 47 million times. A std::array:
// trivially destructible, so a worker thread still loading a dataset while the process exits (a cancelled
// job the reaper joins last) never reads a table the exit handlers already freed (found by ASan).
const float* byteToUnit()
{
    static const std::array<float, 256> table = [] {
        std::array<float, 256> t{};
        for (int i = 0; i < 256; ++i)
            t[size_t(i)] = float(i) / 255.0f;
        return t;
    }();
    return table.data();
}

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A registry file that should have been fetched by ./setup.sh.
std::string requireDataFile(const std::string& relative, const std::string& what)
{
    const std::string path = dataDir() + "/" + relative;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        fail(path, what, "expected the file fetched by ./setup.sh, but it is missing: run ./setup.sh (or set "
                         "GSN_DATA_DIR to the folder that holds mnist/, fashion-mnist/ and lfw/)");
    return path;
}

// Images and labels from IDX arrays, rows [begin, end) only.
Dataset fromIdx(const IdxArray& images, const std::string& imagesPath, const IdxArray* labels,
                const std::string& labelsPath, const std::string& name, int64_t begin, int64_t end)
{
    if (images.shape.size() != 3)
        fail(imagesPath, "dimensions", "expected 3 (count x rows x columns) for images, got " +
                                           std::to_string(images.shape.size()) +
                                           (images.shape.size() == 1 ? " (this looks like a labels file)" : ""));
    const int64_t n = images.shape[0];
    const int64_t h = images.shape[1];
    const int64_t w = images.shape[2];
    if (h > 65536 || w > 65536 || n > int64_t(std::numeric_limits<int>::max()))
        fail(imagesPath, "dimensions", "expected at most 65536 x 65536 images and 2^31 of them");
    if (end < 0)
        end = n;
    if (begin > n || end > n)
        fail(imagesPath, "count", "expected at least " + std::to_string(end) + " images, got " + std::to_string(n));
    if (labels) {
        if (labels->shape.size() != 1)
            fail(labelsPath, "dimensions", "expected 1 (a labels file), got " + std::to_string(labels->shape.size()));
        if (labels->shape[0] != n)
            fail(labelsPath, "count", "expected " + std::to_string(n) + " labels (one per image in " + imagesPath +
                                          "), got " + std::to_string(labels->shape[0]));
    }
    Dataset out;
    out.name = name;
    out.source = imagesPath + (labels ? " + " + labelsPath : std::string());
    out.width = int(w);
    out.height = int(h);
    const int64_t dim = w * h;
    out.pixels.resize(end - begin, dim);
    adviseHugePages(out.pixels.data(), size_t(out.pixels.size()) * sizeof(float));
    const float* table = byteToUnit();
    const uint8_t* src = images.values.data() + begin * dim;
    float* dst = out.pixels.data();
    const int64_t total = (end - begin) * dim;
    for (int64_t i = 0; i < total; ++i)
        dst[i] = table[src[i]];
    if (labels) {
        out.labels.assign(labels->values.begin() + begin, labels->values.begin() + end);
        int maxLabel = -1;
        for (const uint8_t l : labels->values)
            maxLabel = std::max(maxLabel, int(l));
        out.labelCount = maxLabel + 1;
    }
    out.hash = contentHash(out);
    return out;
}

// MNIST-layout files under dataDir(): <dir>/<prefix>-images-idx3-ubyte<ext> + labels.
Dataset loadRegistryIdx(const std::string& dir, const std::string& prefix, const std::string& ext,
                        const std::string& name, int64_t begin, int64_t end)
{
    const std::string imagesPath = requireDataFile(dir + "/" + prefix + "-images-idx3-ubyte" + ext, "images");
    const std::string labelsPath = requireDataFile(dir + "/" + prefix + "-labels-idx1-ubyte" + ext, "labels");
    const IdxArray images = readIdx(imagesPath);
    const IdxArray labels = readIdx(labelsPath);
    return fromIdx(images, imagesPath, &labels, labelsPath, name, begin, end);
}

// "TFD_48x48.mat:train3" -> path and selection when the part after the last ':' is a TFD split.
bool splitMatSpec(const std::string& spec, std::string& path, std::string& selection)
{
    const size_t colon = spec.rfind(':');
    if (colon == std::string::npos || !endsWith(spec.substr(0, colon), ".mat"))
        return false;
    path = spec.substr(0, colon);
    selection = spec.substr(colon + 1);
    return true;
}

} // namespace

std::string dataDir()
{
    const char* env = std::getenv("GSN_DATA_DIR");
    if (env && *env)
        return env;
    return std::string(GSN_SOURCE_DIR) + "/data";
}

std::vector<std::string> datasetNames()
{
    return {"mnist-train", "mnist-valid", "mnist-test", "mnist-trainfull", "fashion-train", "fashion-test", "faces"};
}

bool isDatasetName(const std::string& spec)
{
    const auto names = datasetNames();
    return std::find(names.begin(), names.end(), spec) != names.end();
}

std::string idxLabelsFor(const std::string& imagesPath)
{
    const fs::path p(imagesPath);
    std::string file = p.filename().string();
    const size_t at = file.find("images-idx3");
    if (at == std::string::npos)
        return {};
    file.replace(at, std::strlen("images-idx3"), "labels-idx1");
    const fs::path labels = p.parent_path() / file;
    std::error_code ec;
    return fs::is_regular_file(labels, ec) ? labels.string() : std::string();
}

Dataset loadIdxDataset(const std::string& imagesPath, const std::string& labelsPath, const std::string& name)
{
    const IdxArray images = readIdx(imagesPath);
    if (labelsPath.empty())
        return fromIdx(images, imagesPath, nullptr, {}, name, 0, -1);
    const IdxArray labels = readIdx(labelsPath);
    return fromIdx(images, imagesPath, &labels, labelsPath, name, 0, -1);
}

Dataset loadNpyDataset(const std::string& path, const std::string& name, int firstRows)
{
    NpyArray array = readNpy(path);
    std::vector<int64_t> shape = array.shape;
    if (shape.size() == 2)
        shape.insert(shape.begin(), 1);
    if (shape.size() != 3)
        fail(path, "shape", "expected (count, height, width) or (height, width) images, got " +
                                std::to_string(array.shape.size()) + " dimensions");
    const int64_t n = shape[0];
    const int64_t h = shape[1];
    const int64_t w = shape[2];
    if (n < 1 || h < 1 || w < 1 || h > 65536 || w > 65536 || n > int64_t(std::numeric_limits<int>::max()))
        fail(path, "shape", "expected 1 or more images of 1..65536 pixels a side, got (" + std::to_string(n) + ", " +
                                std::to_string(h) + ", " + std::to_string(w) + ")");
    const int64_t rows = firstRows > 0 ? std::min<int64_t>(firstRows, n) : n;
    if (firstRows > n)
        fail(path, "shape", "expected at least " + std::to_string(firstRows) + " images, got " + std::to_string(n));
    const size_t used = size_t(rows * h * w);
    const float divisor = pixelScaleDivisor(path, "data", array.values.data(), used,
                                            array.dtype.find("u1") != std::string::npos ? PixelScale::Bytes
                                                                                        : PixelScale::Detect);
    Dataset out;
    out.name = name;
    out.source = path;
    out.width = int(w);
    out.height = int(h);
    out.pixels.resize(rows, h * w);
    adviseHugePages(out.pixels.data(), size_t(out.pixels.size()) * sizeof(float));
    float* dst = out.pixels.data();
    for (size_t i = 0; i < used; ++i)
        dst[i] = array.values[i] / divisor;
    out.hash = contentHash(out);
    return out;
}

Dataset loadDataset(const std::string& spec)
{
    if (spec == "mnist-train")
        return loadRegistryIdx("mnist", "train", "", spec, 0, 50000);
    if (spec == "mnist-valid")
        return loadRegistryIdx("mnist", "train", "", spec, 50000, 60000);
    if (spec == "mnist-trainfull")
        return loadRegistryIdx("mnist", "train", "", spec, 0, -1);
    if (spec == "mnist-test")
        return loadRegistryIdx("mnist", "t10k", "", spec, 0, -1);
    if (spec == "fashion-train")
        return loadRegistryIdx("fashion-mnist", "train", ".gz", spec, 0, -1);
    if (spec == "fashion-test")
        return loadRegistryIdx("fashion-mnist", "t10k", ".gz", spec, 0, -1);
    if (spec == "faces")
        return loadNpyDataset(requireDataFile("lfw/lfw_subset.npy", "faces"), spec, 100);

    std::string matPath, selection;
    if (splitMatSpec(spec, matPath, selection))
        return loadMatDataset(matPath, selection);

    std::error_code ec;
    if (!fs::exists(spec, ec))
        fail(spec, "dataset", "expected one of " + [] {
            std::string names;
            for (const auto& n : datasetNames())
                names += (names.empty() ? "" : ", ") + n;
            return names;
        }() + ", or an existing .npy, IDX or .mat file");
    if (!fs::is_regular_file(spec, ec))
        fail(spec, "file", "expected a regular file, got a directory or special file");

    const std::string name = fs::path(spec).filename().string();
    if (endsWith(spec, ".npy"))
        return loadNpyDataset(spec, name);
    if (endsWith(spec, ".mat"))
        return loadMatDataset(spec, {});
    // Anything else is taken as IDX (raw or gzip): readIdx reports a wrong magic clearly.
    return loadIdxDataset(spec, idxLabelsFor(spec), name);
}

} // namespace gsn
