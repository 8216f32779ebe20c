// gsn_fuzz_seeds OUTDIR: writes the seed corpora of the harnesses (OUTDIR/<parser>/...) with the project's
// own writers where it has them (checkpoints, classifiers, .npy, masks) and small hand-made files for the
// formats it only reads (IDX raw and gzip, .mat through libmatio). The committed tests/fuzz/corpus was
// made by this program (regenerate: build-fuzz/tests/fuzz/gsn_fuzz_seeds tests/fuzz/corpus); every file
// is a few KB at most (MNIST and the shipped models are far too large to commit as seeds).
#include "checkpoint.h"
#include "classifier.h"
#include "maskio.h"
#include "model.h"
#include "npy.h"
#include "samplerregistry.h"

#include <matio.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path g_out;

std::string dir(const std::string& parser)
{
    fs::create_directories(g_out / parser);
    return (g_out / parser).string() + "/";
}

void writeBytes(const std::string& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    if (!out.flush())
        throw std::runtime_error("cannot write " + path);
}

std::string readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string gzip(const std::string& raw)
{
    z_stream z{};
    deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, raw.size()) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// An IDX file of unsigned bytes: magic 00 00 08 rank, big-endian sizes, values.
std::string idx(const std::vector<std::uint32_t>& shape)
{
    std::string b = {0, 0, 8, static_cast<char>(shape.size())};
    std::size_t n = 1;
    for (const std::uint32_t s : shape) {
        for (int i = 3; i >= 0; --i)
            b += static_cast<char>(s >> (8 * i) & 0xff);
        n *= s;
    }
    for (std::size_t i = 0; i < n; ++i)
        b += static_cast<char>(i * 37 % 256);
    return b;
}

void idxSeeds()
{
    const std::string images = idx({3, 4, 4}), labels = idx({5}), empty = idx({0, 28, 28});
    const std::string d = dir("idx"), g = dir("idx_gzip");
    writeBytes(d + "images-idx3-ubyte", images);
    writeBytes(d + "labels-idx1-ubyte", labels);
    writeBytes(d + "empty-idx3-ubyte", empty);
    writeBytes(d + "images-idx3-ubyte.gz", gzip(images));
    writeBytes(d + "labels-idx1-ubyte.gz", gzip(labels));
    // fuzz_idx_gzip: the uncompressed content and the mode byte (0: a well-formed stream)
    writeBytes(g + "images", images + std::string(1, '\0'));
    writeBytes(g + "labels", labels + std::string(1, '\0'));
    writeBytes(g + "images-badcrc", images + std::string(1, '\2'));
}

void npySeeds()
{
    const std::string d = dir("npy");
    const std::vector<float> v = {0.0f, 0.25f, 0.5f, 1.0f, 0.75f, 0.125f};
    gsn::writeNpy(d + "f4-2x3.npy", v.data(), {2, 3});
    gsn::writeNpy(d + "f4-1x2x3.npy", v.data(), {1, 2, 3});
    gsn::writeNpy(d + "f4-scalar.npy", v.data(), {});
    // The other dtypes the reader takes, by hand (numpy's layout: header padded to 64 bytes with '\n').
    const auto npy = [](const std::string& header, const std::string& payload, char major) {
        std::string h = header;
        const std::size_t pre = major == 1 ? 10 : 12;
        while ((pre + h.size() + 1) % 64 != 0)
            h += ' ';
        h += '\n';
        std::string b = "\x93NUMPY";
        b += major;
        b += '\0';
        b += static_cast<char>(h.size() & 0xff);
        b += static_cast<char>(h.size() >> 8 & 0xff);
        if (major != 1)
            b += std::string(2, '\0');
        return b + h + payload;
    };
    double dv[4] = {0.0, 0.5, 1.0, 0.25};
    writeBytes(d + "f8-2x2.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                                     std::string(reinterpret_cast<const char*>(dv), sizeof dv), 1));
    writeBytes(d + "u1-3.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", "\x01\x80\xff", 1));
    writeBytes(d + "u1-v2-0x3.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 3), }", "", 2));
}

// A .mat variable of class/type with dims (column-major data).
void matVar(mat_t* mat, const char* name, matio_classes cls, matio_types type, std::vector<size_t> dims,
            void* data, matio_compression compression)
{
    matvar_t* v = Mat_VarCreate(name, cls, type, static_cast<int>(dims.size()), dims.data(), data, 0);
    if (!v || Mat_VarWrite(mat, v, compression) != 0)
        throw std::runtime_error(std::string("matio: cannot write ") + name);
    Mat_VarFree(v);
}

void matSeeds()
{
    const std::string d = dir("mat");
    for (const bool compressed : {false, true}) {
        const matio_compression c = compressed ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE;
        const std::string suffix = compressed ? "-z.mat" : ".mat";
        { // TFD: images N x H x W uint8, folds N x 5, labs_ex N x 1
            mat_t* m = Mat_CreateVer((d + "tfd" + suffix).c_str(), nullptr, MAT_FT_MAT5);
            std::vector<std::uint8_t> images(3 * 4 * 4);
            for (std::size_t i = 0; i < images.size(); ++i)
                images[i] = static_cast<std::uint8_t>(i * 17);
            std::vector<double> folds = {1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
            std::vector<double> labs = {1, 7, -1};
            matVar(m, "images", MAT_C_UINT8, MAT_T_UINT8, {3, 4, 4}, images.data(), c);
            matVar(m, "folds", MAT_C_DOUBLE, MAT_T_DOUBLE, {3, 5}, folds.data(), c);
            matVar(m, "labs_ex", MAT_C_DOUBLE, MAT_T_DOUBLE, {3, 1}, labs.data(), c);
            Mat_Close(m);
        }
        { // Olivetti: faces D x N doubles in 0..255, D = 4x4
            mat_t* m = Mat_CreateVer((d + "olivetti" + suffix).c_str(), nullptr, MAT_FT_MAT5);
            std::vector<double> faces(16 * 2);
            for (std::size_t i = 0; i < faces.size(); ++i)
                faces[i] = static_cast<double>(i * 8);
            matVar(m, "faces", MAT_C_DOUBLE, MAT_T_DOUBLE, {16, 2}, faces.data(), c);
            Mat_Close(m);
        }
        { // Frey: ff 560 x N uint8
            mat_t* m = Mat_CreateVer((d + "frey" + suffix).c_str(), nullptr, MAT_FT_MAT5);
            std::vector<std::uint8_t> ff(560 * 1);
            for (std::size_t i = 0; i < ff.size(); ++i)
                ff[i] = static_cast<std::uint8_t>(i);
            matVar(m, "ff", MAT_C_UINT8, MAT_T_UINT8, {560, 1}, ff.data(), c);
            Mat_Close(m);
        }
    }
}

gsn::CheckpointInfo info(int side)
{
    gsn::CheckpointInfo i;
    i.datasetName = "seed";
    i.datasetHash = "0123456789abcdef";
    i.datasetSpec = "seed.npy";
    i.trainSet = "train";
    i.examples = 40;
    i.targetEpochs = 3;
    i.imageWidth = side;
    i.imageHeight = side;
    return i;
}

void checkpointSeeds()
{
    const std::string c = dir("checkpoint"), s = dir("safetensors"), m = dir("checkpoint_meta");
    const std::vector<json> configs = {
        {{"kind", "dae"}, {"sizes", {16, 5}}},
        {{"kind", "gsn2"}, {"sizes", {16, 6, 5}}},
        {{"kind", "gsn3"}, {"sizes", {9, 4, 3, 2}}},
        {{"kind", "rbm"}, {"sizes", {9, 4}}},
        {{"kind", "dae-gauss"}, {"sizes", {4, 3}}},
    };
    for (const json& config : configs) {
        const auto model = gsn::createModel(config, 5);
        const int visible = static_cast<int>(model->layerSizes().front());
        const int side = visible == 16 ? 4 : visible == 9 ? 3 : 2;
        const std::string name = config["kind"].get<std::string>();
        gsn::TrainState state = gsn::TrainState::start(*model, {7, 10, 0.25, 0.5, 0.995});
        gsn::saveCheckpoint(c + name + "-state.safetensors", *model, &state, info(side));
        gsn::CheckpointInfo exported = info(side);
        exported.trained = json{{"epochs", 3}, {"loss", 0.5}, {"source", name + "-state.safetensors"}};
        gsn::saveCheckpoint(c + name + "-model.safetensors", *model, nullptr, exported);
    }
    fs::copy_file(c + "dae-state.safetensors", s + "dae-state.safetensors", fs::copy_options::overwrite_existing);
    fs::copy_file(c + "gsn2-model.safetensors", s + "gsn2-model.safetensors", fs::copy_options::overwrite_existing);
    // A container with a non-matrix tensor and no metadata keys (what another program might write).
    writeBytes(s + "plain.safetensors", [] {
        const std::string header =
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]},"__metadata__":{}})";
        std::string b(8, '\0');
        b[0] = static_cast<char>(header.size());
        const float v[3] = {1.0f, -2.0f, 0.5f};
        return b + header + std::string(reinterpret_cast<const char*>(v), sizeof v);
    }());
    // fuzz_checkpoint_meta: key byte then the value its base checkpoint holds (0-15: the DAE with state,
    // 128-143: the GSN-2 export; the key order is kKeys in fuzz_checkpoint_meta.cpp).
    const std::vector<std::string> keys = {"config", "sizes", "dataset", "training", "rng", "trained",
                                           "width", "height", "kind", "format", "epoch", "batch",
                                           "step", "seed", "format_version"};
    for (int base = 0; base < 2; ++base) {
        const std::string bytes = readBytes(c + (base == 0 ? "dae-state.safetensors" : "gsn2-model.safetensors"));
        std::uint64_t n = 0;
        for (int i = 7; i >= 0; --i)
            n = n << 8 | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
        const json meta = json::parse(bytes.substr(8, n))["__metadata__"];
        for (std::size_t k = 0; k < keys.size(); ++k)
            if (meta.contains(keys[k]))
                writeBytes(m + (base == 0 ? "state-" : "model-") + keys[k],
                           std::string(1, static_cast<char>(k + 128 * base)) + meta[keys[k]].get<std::string>());
    }
    const std::string k = dir("classifier");
    gsn::Classifier small(4, 4, 3, 2, 9);
    small.info = json{{"dataset", {{"name", "seed"}, {"hash", "0123456789abcdef"}}},
                      {"test_accuracy", 0.5},
                      {"training", {{"epochs", 1}, {"loss", 0.7}}}};
    gsn::saveClassifier(k + "classifier-4x4.safetensors", small);
}

void jsonSeeds()
{
    const std::string d = dir("json");
    writeBytes(d + "ring.json", R"({"kind":"ring","modes":8,"radius":4.0,"sd":0.25})");
    writeBytes(d + "mixture.json",
               R"({"kind":"gaussian-mixture","means":[[0,0],[3,1]],"weights":[0.3,0.7],"sds":[1,0.5]})");
    writeBytes(d + "mixture-3d.json", R"({"kind":"gaussian-mixture","means":[[0,0,1]],"weights":[1],"sds":[2]})");
    writeBytes(d + "nested.json", R"({"a":[[[1,2],{"b":null}]],"c":"\u00e9","d":-1.5e300,"e":true})");
    int i = 0;
    for (const gsn::SamplerKind& kind : gsn::samplerKinds())
        writeBytes(d + "sampler-" + std::to_string(i++) + ".json", kind.defaultConfig().dump());
}

void maskSeeds()
{
    const std::string d = dir("mask");
    gsn::ClampMask mask(28, 28);
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 14; ++x)
            mask.clamped[static_cast<std::size_t>(y * 28 + x)] = 1;
    gsn::saveMask(mask, QString::fromStdString(d + "left-8bit.png"), gsn::MaskBits::Eight);
    gsn::saveMask(mask, QString::fromStdString(d + "left-1bit.png"), gsn::MaskBits::One);
    gsn::ClampMask small(7, 5);
    small.clamped[3] = small.clamped[20] = 1;
    gsn::saveMask(small, QString::fromStdString(d + "small-7x5.png"), gsn::MaskBits::Eight);
}

void cliSeeds()
{
    const std::string d = dir("cliargs");
    writeBytes(d + "sample", "--steps\n200\n--seed\n17\n--init\ntest:3\n--out\n/tmp/sheet.png\n--clamp\nleft\n--quiet");
    writeBytes(d + "train", "--data\nmnist\n--sizes\n1500,1500\n--lr\n0.25\n--chains\n-2\nmodel.safetensors");
    writeBytes(d + "inpaint", "--free\nsource\n--mask\ncentre\n--scale\n--out\nx.npy\n--seed\n9223372036854775807");
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::cerr << "usage: gsn_fuzz_seeds OUTDIR\n";
        return 2;
    }
    g_out = argv[1];
    try {
        idxSeeds();
        npySeeds();
        matSeeds();
        checkpointSeeds();
        jsonSeeds();
        maskSeeds();
        cliSeeds();
    } catch (const std::exception& e) {
        std::cerr << "gsn_fuzz_seeds: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
