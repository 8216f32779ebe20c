#include "checkpoint.h"

#include "error.h"
#include "jsonfields.h"
#include "jsonlimits.h"
#include "sizecheck.h"
#include "safetensors.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

namespace gsn {
namespace {

using nlohmann::json;

std::string sizesText(const std::vector<int>& sizes)
{
    std::string out;
    for (int s : sizes) {
        if (!out.empty())
            out += '-';
        out += std::to_string(s);
    }
    return out;
}


// ---- reading -------------------------------------------------------------------------------------------

json metaJson(const SafetensorsFile& file, const std::string& key, json::value_t type)
{
    const std::string& path = file.path();
    const std::string text = file.metaString(key);
    const std::optional<json> value = tryParseJsonLimited(text, path, "__metadata__." + key);
    const char* what = type == json::value_t::object ? "a JSON-encoded object" : "a JSON-encoded array";
    if (!value || value->type() != type)
        fail(path, "__metadata__." + key, std::string("expected ") + what + ", got " + describeJson(json(text)));
    return *value;
}

// The JSON-encoded object under `key` when present (nothing when absent), refused when it is not one.
std::optional<json> optionalMetaObject(const SafetensorsFile& file, const std::string& key)
{
    if (!file.metadata().contains(key))
        return std::nullopt;
    return metaJson(file, key, json::value_t::object);
}

// The weights a model of these layer sizes has at least: every kind in the registry (dae, gsn2/3, rbm,
// dae-gauss) has a weight matrix between each pair of adjacent layers. Checked against kMaxModelWeights and
// the floats the file stores before any model is built, so a small file claiming a huge model is refused
// without allocating it (issue 12, found item 4).
void checkLayerSizesFit(const std::string& path, const std::string& field, const std::vector<long long>& sizes,
                        std::uint64_t storedFloats)
{
    std::uint64_t weights = 0;
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
        weights += checkedProduct({std::uint64_t(sizes[i]), std::uint64_t(sizes[i + 1])},
                                  std::uint64_t(kMaxModelWeights), path, field, "weights per layer");
        if (weights > std::uint64_t(kMaxModelWeights))
            fail(path, field, "expected at most " + std::to_string(kMaxModelWeights) + " weights, the sizes " +
                                  json(sizes).dump() + " need " + std::to_string(weights) + " or more");
    }
    if (weights > storedFloats)
        fail(path, field,
             "expected layer sizes whose weights fit the stored tensors: " + json(sizes).dump() + " needs at least " +
                 std::to_string(weights) + " weights, the file stores " + std::to_string(storedFloats) + " floats");
}

// A decoded metadata value as display text (strings without quotes).
std::string metaText(const json& meta, const std::string& key)
{
    if (!meta.contains(key))
        return "?";
    const json& v = meta[key];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

} // namespace

ImageShape assumedImageShape(long long visible)
{
    // The one place a square is assumed: checkpoints written before width/height were stored.
    const auto side = static_cast<long long>(std::llround(std::sqrt(double(std::max(0LL, visible)))));
    if (side < 1 || side > kMaxImageSide || side * side != visible)
        return {};
    return {int(side), int(side), false};
}

ImageShape imageShapeFor(const CheckpointInfo& info, long long visible)
{
    if (info.imageWidth > 0 && info.imageHeight > 0)
        return {info.imageWidth, info.imageHeight, true};
    return assumedImageShape(visible);
}

std::string imageShapeText(const ImageShape& shape, long long visible)
{
    if (!shape.known())
        return "unknown (not stored in the file, and " + std::to_string(visible) +
               " visible units are not a square image)";
    const std::string text = std::to_string(shape.width) + "x" + std::to_string(shape.height);
    return shape.stored ? text : text + " (not stored in the file; assumed square)";
}

void saveCheckpoint(const std::string& path, const Model& model, const TrainState* state, const CheckpointInfo& info)
{
    // parameters() is non-const in the interface; a clone gives read access without a const_cast.
    std::unique_ptr<Model> copy = model.clone();
    const std::vector<ParamRef> params = copy->parameters();
    std::vector<NamedTensor> tensors;
    for (const ParamRef& p : params)
        tensors.push_back({p.name, p.value});
    if (state) {
        if (state->velocity.size() != params.size())
            fail(path, "momentum buffers", "expected one per parameter (" + std::to_string(params.size()) + ")");
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (state->velocity[i].rows() != params[i].value->rows() ||
                state->velocity[i].cols() != params[i].value->cols())
                fail(path, "momentum." + params[i].name, "expected the parameter's shape");
            tensors.push_back({"momentum." + params[i].name, &state->velocity[i]});
        }
    }
    for (const NamedTensor& t : tensors) {
        if (!t.value->allFinite())
            fail(path, t.name, "expected finite values; refusing to write a checkpoint with NaN or Inf");
    }

    const long long visible = copy->visibleSize();
    const bool hasShape = info.imageWidth != 0 || info.imageHeight != 0;
    if (hasShape && (info.imageWidth < 1 || info.imageHeight < 1 || info.imageWidth > kMaxImageSide ||
                     info.imageHeight > kMaxImageSide ||
                     static_cast<long long>(info.imageWidth) * info.imageHeight != visible))
        fail(path, "image shape",
             "expected width x height = n_visible (" + std::to_string(visible) + "), got " +
                 std::to_string(info.imageWidth) + "x" + std::to_string(info.imageHeight));

    json meta = json::object();
    meta["format_version"] = std::to_string(kCheckpointFormatVersion);
    meta["format"] = "gsn-studio checkpoint";
    meta["kind"] = copy->kind();
    meta["sizes"] = json(copy->layerSizes()).dump();
    meta["config"] = copy->config().dump();
    meta["dataset"] = json{{"name", info.datasetName},
                           {"hash", info.datasetHash},
                           {"spec", info.datasetSpec},
                           {"trainset", info.trainSet},
                           {"examples", info.examples}}
                          .dump();
    if (state) {
        meta["training"] = json{{"batch_size", state->batchSize},
                                {"learning_rate", state->learningRate},
                                {"initial_learning_rate", state->initialLearningRate},
                                {"momentum", state->momentum},
                                {"lr_decay", state->decay},
                                {"target_epochs", info.targetEpochs},
                                {"epoch_loss_sum", state->epochLossSum},
                                {"epoch_examples", state->epochExamples}}
                               .dump();
        meta["epoch"] = std::to_string(state->epoch);
        meta["batch"] = std::to_string(state->batch);
        meta["step"] = std::to_string(state->step);
        meta["seed"] = std::to_string(state->seed);
        meta["rng"] = json{{"generator", "philox4x32-10"},
                           {"shuffle", "Philox(seed, 2^63, epoch): Fisher-Yates order of each epoch"},
                           {"noise", "Philox(seed, example index, step) per batch row"},
                           {"step", state->step}}
                          .dump();
    }
    if (!info.trained.is_null())
        meta["trained"] = info.trained.dump();
    if (hasShape) {
        // The same keys as classifier files (engine/models/classifier.cpp).
        meta["width"] = std::to_string(info.imageWidth);
        meta["height"] = std::to_string(info.imageHeight);
    }
    writeSafetensors(path, tensors, meta);
}

Checkpoint loadCheckpoint(const std::string& path, const ModelFactory& factory)
{
    SafetensorsFile file(path, "a gsn-studio checkpoint");
    const json& meta = file.metadata();
    Checkpoint ck;
    ck.metadata = file.decodedMetadata();
    const std::string version = file.metaString("format_version");
    if (version != std::to_string(kCheckpointFormatVersion))
        fail(path, "__metadata__.format_version",
             "expected \"" + std::to_string(kCheckpointFormatVersion) + "\", got " + quoteValue(version));
    const std::string kind = file.metaString("kind");
    json config = metaJson(file, "config", json::value_t::object);
    const json sizes = metaJson(file, "sizes", json::value_t::array);
    if (!config.contains("kind"))
        config["kind"] = kind;

    // Every metadata field is checked for its type and range here, before anything is built, so that the
    // readers of ck.metadata (gsn info/sample/export, --resume, the studio) meet only well-typed values.
    const std::vector<long long> storedSizes =
        JsonFields(json{{"sizes", sizes}}, path, "__metadata__").requiredIntegers("sizes", 2, 8, 1, kMaxLayerUnits);
    if (const std::optional<json> dataset = optionalMetaObject(file, "dataset")) {
        const JsonFields d(*dataset, path, "__metadata__.dataset");
        for (const char* key : {"name", "hash", "spec", "trainset"})
            d.optionalString(key);
        d.optionalInteger("examples", 0, kMaxDatasetExamples);
    }
    const std::optional<json> training = optionalMetaObject(file, "training");

    // The tensor table first (it only reads the header): the model the config describes must fit in it.
    file.parseTensors();
    const std::uint64_t storedFloats = file.dataBytes() / sizeof(float);
    checkLayerSizesFit(path, "__metadata__.sizes", storedSizes, storedFloats);
    if (config.contains("sizes"))
        checkLayerSizesFit(path, "__metadata__.config.sizes",
                           JsonFields(config, path, "__metadata__.config").requiredIntegers("sizes", 2, 8, 1, kMaxLayerUnits),
                           storedFloats);

    try {
        ck.model = factory ? factory(config, 0) : createModel(config, 0);
    } catch (const Error& e) {
        fail(path, "__metadata__.config", e.what());
    } catch (const nlohmann::json::exception& e) {
        // A backstop: model constructors read their fields with checked accessors, so this means a
        // field read without one (nlohmann's message names the type, never the value).
        fail(path, "__metadata__.config", std::string("expected well-typed fields (") + e.what() + ")");
    } catch (const std::bad_alloc&) {
        fail(path, "__metadata__.config", "expected a model that fits in memory, got " + describeJson(config));
    }
    if (!ck.model)
        fail(path, "__metadata__.config", "expected a known model kind, got " + quoteValue(kind));
    if (ck.model->kind() != kind)
        fail(path, "__metadata__.kind", "expected \"" + ck.model->kind() + "\" (the config's kind), got " + quoteValue(kind));
    if (json(ck.model->layerSizes()) != sizes)
        fail(path, "__metadata__.sizes",
             "expected " + json(ck.model->layerSizes()).dump() + " (from the config), got " + describeJson(sizes));

    // The image shape: stored since width/height were added; older files (and the embedded default
    // model) have none and are assumed square.
    const long long visible = ck.model->visibleSize();
    const bool hasWidth = meta.contains("width");
    const bool hasHeight = meta.contains("height");
    if (hasWidth != hasHeight)
        fail(path, hasWidth ? "__metadata__.height" : "__metadata__.width",
             std::string("expected the key to be present (width and height are stored together; ") +
                 (hasWidth ? "width" : "height") + " is)");
    if (hasWidth) {
        const int width = file.metaInteger<int>("width", 1, kMaxImageSide);
        const int height = file.metaInteger<int>("height", 1, kMaxImageSide);
        if (static_cast<long long>(width) * height != visible)
            fail(path, "__metadata__.width",
                 "expected width x height = n_visible (" + std::to_string(visible) + ", from sizes), got " +
                     std::to_string(width) + "x" + std::to_string(height) + " = " +
                     std::to_string(static_cast<long long>(width) * height));
        ck.image = {width, height, true};
    } else {
        ck.image = assumedImageShape(visible);
    }

    const std::vector<std::string> tensors = file.tensorNames();

    // Match the tensors against the model's parameters and, if present, their momentum buffers.
    std::vector<ParamRef> params = ck.model->parameters();
    std::string expectedNames;
    for (const ParamRef& p : params) {
        if (!expectedNames.empty())
            expectedNames += ", ";
        expectedNames += p.name;
    }
    const bool hasMomentum = std::any_of(tensors.begin(), tensors.end(),
                                         [](const std::string& t) { return t.rfind("momentum.", 0) == 0; });
    ck.hasState = hasMomentum || training.has_value();
    for (const std::string& t : tensors) {
        const std::string base = t.rfind("momentum.", 0) == 0 ? t.substr(9) : t;
        if (std::none_of(params.begin(), params.end(), [&](const ParamRef& p) { return p.name == base; }))
            fail(path, fieldName(t),
                 "expected only the " + kind + " model's parameters (" + expectedNames + ") and momentum.<name>");
    }
    const std::string owner = "the " + kind + " model";
    auto load = [&](const std::string& name, Matrix& out, long long rows, long long cols) {
        file.read(name, out, rows, cols, owner);
    };
    for (const ParamRef& p : params)
        load(p.name, *p.value, p.value->rows(), p.value->cols());

    if (ck.hasState) {
        TrainState& s = ck.state;
        for (const ParamRef& p : params) {
            s.velocity.emplace_back();
            load("momentum." + p.name, s.velocity.back(), p.value->rows(), p.value->cols());
        }
        if (!training)
            fail(path, "__metadata__.training", "expected the key to be present (the file has momentum tensors)");
        const JsonFields t(*training, path, "__metadata__.training");
        constexpr double kHuge = std::numeric_limits<double>::max();
        s.batchSize = static_cast<int>(t.requiredInteger("batch_size", 1, 1'000'000'000));
        s.learningRate = t.requiredNumber("learning_rate", 0, kHuge);
        s.initialLearningRate = t.requiredNumber("initial_learning_rate", -kHuge, kHuge);
        s.momentum = t.requiredNumber("momentum", 0, std::nextafter(1.0, 0.0));
        s.decay = t.requiredNumber("lr_decay", std::numeric_limits<double>::min(), kHuge);
        s.epochLossSum = t.requiredNumber("epoch_loss_sum", -kHuge, kHuge);
        s.epochExamples = t.requiredInteger("epoch_examples", 0, kMaxDatasetExamples);
        t.optionalInteger("target_epochs", 0, kMaxTargetEpochs);
        s.epoch = file.metaInteger<int>("epoch", 0);
        s.batch = file.metaInteger<int>("batch", 0);
        s.step = file.metaInteger<std::uint64_t>("step", 0);
        s.seed = file.metaInteger<std::uint64_t>("seed", 0);
    } else {
        if (training)
            JsonFields(*training, path, "__metadata__.training").optionalInteger("target_epochs", 0, kMaxTargetEpochs);
        // A model-only file may still say which epoch it came from (the studio's evaluation reads it).
        if (meta.contains("epoch"))
            file.metaInteger<int>("epoch", 0);
    }
    return ck;
}

std::string checkpointInfo(const std::string& path)
{
    const Checkpoint ck = loadCheckpoint(path);
    const json& m = ck.metadata;
    std::ostringstream out;
    out << "file: " << path << "\n";
    out << "kind: checkpoint (safetensors, format " << metaText(m, "format_version") << ")\n";
    out << "model: " << ck.model->kind() << "\n";
    out << "layers: " << sizesText(ck.model->layerSizes()) << "\n";
    out << "image shape: " << imageShapeText(ck.image, ck.model->visibleSize()) << "\n";
    out << "config: " << ck.model->config().dump() << "\n";
    long long floats = 0;
    std::string names;
    for (const ParamRef& p : ck.model->parameters()) {
        floats += p.value->size();
        if (!names.empty())
            names += ", ";
        names += p.name + " " + shapeText(p.value->rows(), p.value->cols());
    }
    out << "parameters: " << floats << " floats (" << names << ")\n";
    const json dataset = m.contains("dataset") && m["dataset"].is_object() ? m["dataset"] : json::object();
    if (!dataset.empty()) {
        out << "dataset: " << dataset.value("name", std::string("?")) << ", " << dataset.value("examples", 0LL)
            << " examples, hash " << dataset.value("hash", std::string("?"));
        if (!dataset.value("trainset", std::string()).empty())
            out << ", trainset " << dataset.value("trainset", std::string());
        out << "\n";
    }
    // Files from other trainers (the PyTorch bridge, python/gsn_torch) say who wrote them.
    if (m.contains("writer") && m["writer"].is_string())
        out << "written by: " << describeJson(m["writer"], 200) << "\n";
    if (!ck.hasState) {
        out << "training: none stored (model only)\n";
        if (m.contains("trained"))
            out << "trained: " << describeJson(m["trained"], 400) << "\n";
        return out.str();
    }
    const TrainState& s = ck.state;
    const long long examples = dataset.value("examples", 0LL);
    const json training = m.contains("training") && m["training"].is_object() ? m["training"] : json::object();
    const int target = training.value("target_epochs", 0);
    out << "epoch: " << s.epoch << " completed";
    if (target > 0)
        out << " of " << target;
    if (s.batch > 0) {
        out << ", plus " << s.batch << " batches";
        if (examples > 0)
            out << " of " << (examples + s.batchSize - 1) / s.batchSize;
    }
    out << " (global step " << s.step << ")\n";
    out << "hyper-parameters: batch " << s.batchSize << ", learning rate " << s.learningRate << " (initial "
        << s.initialLearningRate << ", x" << s.decay << " per epoch), momentum " << s.momentum << "\n";
    out << "seed: " << s.seed << "\n";
    return out.str();
}

} // namespace gsn
