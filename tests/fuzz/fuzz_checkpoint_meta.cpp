// libFuzzer harness: the JSON (and number) strings of a checkpoint's __metadata__ (checkpoint.h). A real
// checkpoint is written at start-up (a 16-5 DAE with its training state, or a 16-6-5 GSN-2 without); each
// input replaces one metadata value in it, so every input gets past the container's checks and reaches
// the code that decodes config, sizes, dataset, training, rng, trained, width, height, ...
//   input[0] % kKeys.size()   which key to replace (or, past the end of the list, to delete)
//   input[0] / 128            which of the two checkpoints
//   input[1...]               the new string value
#include "checkpoint.h"
#include "fuzzsupport.h"
#include "model.h"

#include <array>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

constexpr std::array<const char*, 16> kKeys = {"config",  "sizes", "dataset", "training", "rng",   "trained",
                                               "width",   "height", "kind",   "format",   "epoch", "batch",
                                               "step",    "seed",   "format_version", "unused"};

struct Base {
    json header;      // the JSON header, parsed
    std::string data; // the data section, as written
};

Base writeBase(bool withState)
{
    const gsn::fuzz::InputFile tmp(withState ? "-base-state.safetensors" : "-base.safetensors");
    const json config = withState ? json{{"kind", "dae"}, {"sizes", {16, 5}}} : json{{"kind", "gsn2"}, {"sizes", {16, 6, 5}}};
    std::unique_ptr<gsn::Model> model = gsn::createModel(config, 3);
    gsn::TrainState state = gsn::TrainState::start(*model, {11, 10, 0.25, 0.5, 0.995});
    gsn::CheckpointInfo info;
    info.datasetName = "fuzz";
    info.datasetHash = "0123456789abcdef";
    info.datasetSpec = "fuzz.npy";
    info.trainSet = "train";
    info.examples = 40;
    info.targetEpochs = 3;
    info.imageWidth = 4;
    info.imageHeight = 4;
    if (!withState)
        info.trained = json{{"epochs", 3}, {"loss", 0.5}, {"source", "fuzz.safetensors"}};
    gsn::saveCheckpoint(tmp.path(), *model, withState ? &state : nullptr, info);
    std::ifstream in(tmp.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = n << 8 | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    Base b{json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
    (void)gsn::loadCheckpoint(tmp.path()); // the base itself must load
    return b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const std::array<Base, 2> bases = {writeBase(true), writeBase(false)};
    static const gsn::fuzz::InputFile file(".safetensors");
    if (size == 0)
        return 0;
    const std::size_t key = data[0] % 128;
    json header = bases[data[0] / 128].header;
    if (key < kKeys.size())
        header["__metadata__"][kKeys[key]] = std::string(reinterpret_cast<const char*>(data + 1), size - 1);
    else
        header["__metadata__"].erase(kKeys[key % kKeys.size()]);
    // dump escapes the string (bytes that are not UTF-8 become U+FFFD): the header is always valid JSON
    const std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[static_cast<std::size_t>(i)] = static_cast<char>(text.size() >> (8 * i) & 0xff);
    bytes += text;
    bytes += bases[data[0] / 128].data;
    const std::string& path = file.write(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    gsn::fuzz::refusalsAllowed([&] { (void)gsn::loadCheckpoint(path); });
    gsn::fuzz::refusalsAllowed([&] { (void)gsn::checkpointInfo(path); });
    return 0;
}
