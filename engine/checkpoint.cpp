#include "checkpoint.h"

#include "error.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

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

std::string shapeText(long long rows, long long cols)
{
    std::ostringstream out;
    out << '[' << rows << ", " << cols << ']';
    return out.str();
}

// A tensor to write: its name and the matrix holding its values.
struct OutTensor {
    std::string name;
    const Matrix* value;
};

void appendLittleEndian(std::string& out, const Matrix& m)
{
    const std::size_t bytes = static_cast<std::size_t>(m.size()) * sizeof(float);
    const std::size_t at = out.size();
    out.resize(at + bytes);
    std::memcpy(out.data() + at, m.data(), bytes);
    if constexpr (std::endian::native == std::endian::big) {
        for (std::size_t i = at; i < out.size(); i += 4)
            std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(i + 4));
    }
}

std::string errnoText()
{
    return std::strerror(errno);
}

// Writes `bytes` to `path` through a temp file in the same folder: write, fsync, rename. A crash or a full
// disk leaves the previous file untouched.
void writeAtomically(const std::string& path, const std::string& bytes)
{
    const std::string temp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        fail(path, "write", "expected a writable folder, could not create " + temp + " (" + errnoText() + ")");
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const std::string why = errnoText();
            ::close(fd);
            ::unlink(temp.c_str());
            fail(path, "write", "expected to write " + std::to_string(bytes.size()) + " bytes (" + why + ")");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string why = errnoText();
        ::unlink(temp.c_str());
        fail(path, "write", "expected fsync/close to succeed (" + why + ")");
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const std::string why = errnoText();
        ::unlink(temp.c_str());
        fail(path, "write", "expected to rename " + temp + " over it (" + why + ")");
    }
    // Make the rename itself durable; failure here does not lose data, so it is not an error.
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty())
        dir = ".";
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

// ---- reading -------------------------------------------------------------------------------------------

struct InTensor {
    std::string name;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

std::string metaString(const std::string& path, const json& meta, const std::string& key)
{
    auto it = meta.find(key);
    if (it == meta.end())
        fail(path, "__metadata__." + key, "expected the key to be present");
    return it->get<std::string>(); // every value was checked to be a string
}

json metaJson(const std::string& path, const json& meta, const std::string& key, json::value_t type)
{
    const std::string text = metaString(path, meta, key);
    json value = json::parse(text, nullptr, false);
    const char* what = type == json::value_t::object ? "a JSON-encoded object" : "a JSON-encoded array";
    if (value.is_discarded() || value.type() != type)
        fail(path, "__metadata__." + key, std::string("expected ") + what + ", got '" + text.substr(0, 60) + "'");
    return value;
}

template <typename T>
T metaInteger(const std::string& path, const json& meta, const std::string& key, T min)
{
    const std::string text = metaString(path, meta, key);
    T v{};
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || v < min)
        fail(path, "__metadata__." + key,
             "expected an integer >= " + std::to_string(min) + " as a string, got '" + text.substr(0, 40) + "'");
    return v;
}

double fieldNumber(const std::string& path, const json& obj, const std::string& objName, const std::string& key)
{
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number() || !std::isfinite(it->get<double>()))
        fail(path, "__metadata__." + objName + "." + key, "expected a finite number");
    return it->get<double>();
}

InTensor parseTensorEntry(const std::string& path, const std::string& name, const json& entry, std::uint64_t dataSize)
{
    if (!entry.is_object())
        fail(path, name, "expected an object with dtype, shape and data_offsets");
    auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string())
        fail(path, name + ".dtype", "expected \"F32\"");
    if (dtype->get<std::string>() != "F32")
        fail(path, name + ".dtype", "expected \"F32\", got \"" + dtype->get<std::string>() + "\"");
    InTensor t;
    t.name = name;
    auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array())
        fail(path, name + ".shape", "expected an array of non-negative integers");
    std::uint64_t elements = 1;
    for (const json& d : *shape) {
        if (!d.is_number_unsigned())
            fail(path, name + ".shape", "expected an array of non-negative integers, got " + shape->dump());
        const std::uint64_t v = d.get<std::uint64_t>();
        // Bound each factor so the product cannot overflow before the size check below.
        if (v > dataSize / sizeof(float) + 1)
            fail(path, name + ".shape", "expected a shape that fits in the file, got " + shape->dump());
        t.shape.push_back(v);
        elements *= v;
        if (elements > dataSize / sizeof(float) + 1)
            fail(path, name + ".shape", "expected a shape that fits in the file, got " + shape->dump());
    }
    auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
        fail(path, name + ".data_offsets", "expected [begin, end] as two non-negative integers");
    t.begin = (*offsets)[0].get<std::uint64_t>();
    t.end = (*offsets)[1].get<std::uint64_t>();
    if (t.begin > t.end || t.end > dataSize)
        fail(path, name + ".data_offsets",
             "expected 0 <= begin <= end <= " + std::to_string(dataSize) + " (the data section), got " + offsets->dump());
    if (t.end - t.begin != elements * sizeof(float))
        fail(path, name + ".data_offsets",
             "expected " + std::to_string(elements * sizeof(float)) + " bytes for shape " + shape->dump() + ", got " +
                 std::to_string(t.end - t.begin));
    return t;
}

void readTensor(const std::string& path, std::ifstream& in, std::uint64_t dataStart, const InTensor& t, Matrix& out)
{
    in.seekg(static_cast<std::streamoff>(dataStart + t.begin));
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(t.end - t.begin));
    if (!in)
        fail(path, t.name, "expected " + std::to_string(t.end - t.begin) + " bytes of data, the file ended early");
    if constexpr (std::endian::native == std::endian::big) {
        auto* bytes = reinterpret_cast<unsigned char*>(out.data());
        for (std::uint64_t i = 0; i < t.end - t.begin; i += 4)
            std::reverse(bytes + i, bytes + i + 4);
    }
    for (Eigen::Index i = 0; i < out.size(); ++i) {
        if (!std::isfinite(out.data()[i]))
            fail(path, t.name,
                 "expected finite values, got " + std::to_string(out.data()[i]) + " at element " + std::to_string(i));
    }
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

void saveCheckpoint(const std::string& path, const Model& model, const TrainState* state, const CheckpointInfo& info)
{
    // parameters() is non-const in the interface; a clone gives read access without a const_cast.
    std::unique_ptr<Model> copy = model.clone();
    const std::vector<ParamRef> params = copy->parameters();
    std::vector<OutTensor> tensors;
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
    for (const OutTensor& t : tensors) {
        if (!t.value->allFinite())
            fail(path, t.name, "expected finite values; refusing to write a checkpoint with NaN or Inf");
    }

    json header = json::object();
    std::string data;
    for (const OutTensor& t : tensors) {
        const std::uint64_t begin = data.size();
        appendLittleEndian(data, *t.value);
        header[t.name] = {{"dtype", "F32"},
                          {"shape", {t.value->rows(), t.value->cols()}},
                          {"data_offsets", {begin, static_cast<std::uint64_t>(data.size())}}};
    }

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
    header["__metadata__"] = meta;

    std::string headerText = header.dump();
    // Pad with spaces to a multiple of 8 so the data section is 8-byte aligned (as safetensors does).
    headerText.append((8 - headerText.size() % 8) % 8, ' ');
    std::string bytes;
    bytes.reserve(8 + headerText.size() + data.size());
    const std::uint64_t n = headerText.size();
    for (int i = 0; i < 8; ++i)
        bytes.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    bytes += headerText;
    bytes += data;
    writeAtomically(path, bytes);
}

Checkpoint loadCheckpoint(const std::string& path, const ModelFactory& factory)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, "open", "expected a readable file (" + errnoText() + ")");
    in.seekg(0, std::ios::end);
    const auto fileSize = static_cast<std::uint64_t>(in.tellg());
    in.seekg(0);
    if (fileSize < 8)
        fail(path, "header length", "expected at least 8 bytes, the file has " + std::to_string(fileSize));
    unsigned char lenBytes[8];
    in.read(reinterpret_cast<char*>(lenBytes), 8);
    std::uint64_t headerLen = 0;
    for (int i = 0; i < 8; ++i)
        headerLen |= std::uint64_t(lenBytes[i]) << (8 * i);
    if (headerLen > fileSize - 8)
        fail(path, "header length",
             "expected at most " + std::to_string(fileSize - 8) + " (the bytes after it), got " + std::to_string(headerLen));
    if (headerLen > kMaxCheckpointHeaderBytes)
        fail(path, "header length",
             "expected at most " + std::to_string(kMaxCheckpointHeaderBytes) + ", got " + std::to_string(headerLen));
    if (headerLen < 2)
        fail(path, "header length", "expected a JSON object, got " + std::to_string(headerLen) + " bytes");
    std::string headerText(headerLen, '\0');
    in.read(headerText.data(), static_cast<std::streamsize>(headerLen));
    if (!in)
        fail(path, "header", "expected " + std::to_string(headerLen) + " bytes, the file ended early");
    json header;
    try {
        header = json::parse(headerText);
    } catch (const json::parse_error& e) {
        fail(path, "header", std::string("expected valid JSON (") + e.what() + ")");
    }
    if (!header.is_object())
        fail(path, "header", "expected a JSON object");

    const std::uint64_t dataStart = 8 + headerLen;
    const std::uint64_t dataSize = fileSize - dataStart;

    // Metadata: every value a string (safetensors rule), then the fields this format requires.
    auto metaIt = header.find("__metadata__");
    if (metaIt == header.end() || !metaIt->is_object())
        fail(path, "__metadata__", "expected an object of strings (this is not a gsn-studio checkpoint)");
    const json& meta = *metaIt;
    Checkpoint ck;
    ck.metadata = json::object();
    for (auto it = meta.begin(); it != meta.end(); ++it) {
        if (!it.value().is_string())
            fail(path, "__metadata__." + it.key(), "expected a string, got " + it.value().dump());
        json decoded = json::parse(it.value().get<std::string>(), nullptr, false);
        ck.metadata[it.key()] = decoded.is_discarded() ? it.value() : decoded;
    }
    const std::string version = metaString(path, meta, "format_version");
    if (version != std::to_string(kCheckpointFormatVersion))
        fail(path, "__metadata__.format_version",
             "expected \"" + std::to_string(kCheckpointFormatVersion) + "\", got \"" + version + "\"");
    const std::string kind = metaString(path, meta, "kind");
    json config = metaJson(path, meta, "config", json::value_t::object);
    const json sizes = metaJson(path, meta, "sizes", json::value_t::array);
    if (!config.contains("kind"))
        config["kind"] = kind;
    try {
        ck.model = factory ? factory(config, 0) : createModel(config, 0);
    } catch (const Error& e) {
        fail(path, "__metadata__.config", e.what());
    }
    if (!ck.model)
        fail(path, "__metadata__.config", "expected a known model kind, got \"" + kind + "\"");
    if (ck.model->kind() != kind)
        fail(path, "__metadata__.kind", "expected \"" + ck.model->kind() + "\" (the config's kind), got \"" + kind + "\"");
    if (json(ck.model->layerSizes()) != sizes)
        fail(path, "__metadata__.sizes",
             "expected " + json(ck.model->layerSizes()).dump() + " (from the config), got " + sizes.dump());

    // Tensor table.
    std::vector<InTensor> tensors;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__")
            continue;
        tensors.push_back(parseTensorEntry(path, it.key(), it.value(), dataSize));
    }
    std::vector<const InTensor*> byOffset;
    for (const InTensor& t : tensors)
        byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(), [](const InTensor* a, const InTensor* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t expectedBegin = 0;
    for (const InTensor* t : byOffset) {
        if (t->begin != expectedBegin)
            fail(path, t->name + ".data_offsets",
                 "expected to begin at " + std::to_string(expectedBegin) + " (tensors contiguous, not overlapping), got " +
                     std::to_string(t->begin));
        expectedBegin = t->end;
    }
    if (expectedBegin != dataSize)
        fail(path, "data section",
             "expected " + std::to_string(expectedBegin) + " bytes (the end of the last tensor), got " +
                 std::to_string(dataSize));

    // Match the tensors against the model's parameters and, if present, their momentum buffers.
    std::vector<ParamRef> params = ck.model->parameters();
    std::string expectedNames;
    for (const ParamRef& p : params) {
        if (!expectedNames.empty())
            expectedNames += ", ";
        expectedNames += p.name;
    }
    const bool hasMomentum = std::any_of(tensors.begin(), tensors.end(),
                                         [](const InTensor& t) { return t.name.rfind("momentum.", 0) == 0; });
    ck.hasState = hasMomentum || meta.contains("training");
    for (const InTensor& t : tensors) {
        const std::string base = t.name.rfind("momentum.", 0) == 0 ? t.name.substr(9) : t.name;
        if (std::none_of(params.begin(), params.end(), [&](const ParamRef& p) { return p.name == base; }))
            fail(path, t.name,
                 "expected only the " + kind + " model's parameters (" + expectedNames + ") and momentum.<name>");
    }
    auto findTensor = [&](const std::string& name) -> const InTensor* {
        for (const InTensor& t : tensors)
            if (t.name == name)
                return &t;
        return nullptr;
    };
    auto load = [&](const std::string& name, Matrix& out, long long rows, long long cols) {
        const InTensor* t = findTensor(name);
        if (!t)
            fail(path, name, "expected the tensor to be present (shape " + shapeText(rows, cols) + ")");
        if (t->shape.size() != 2 || t->shape[0] != static_cast<std::uint64_t>(rows) ||
            t->shape[1] != static_cast<std::uint64_t>(cols)) {
            std::string got = json(t->shape).dump();
            fail(path, name + ".shape", "expected " + shapeText(rows, cols) + " for the " + kind + " model, got " + got);
        }
        out.resize(rows, cols);
        readTensor(path, in, dataStart, *t, out);
    };
    for (const ParamRef& p : params)
        load(p.name, *p.value, p.value->rows(), p.value->cols());

    if (ck.hasState) {
        TrainState& s = ck.state;
        for (const ParamRef& p : params) {
            s.velocity.emplace_back();
            load("momentum." + p.name, s.velocity.back(), p.value->rows(), p.value->cols());
        }
        const json training = metaJson(path, meta, "training", json::value_t::object);
        const double batchSize = fieldNumber(path, training, "training", "batch_size");
        if (batchSize < 1 || batchSize != std::floor(batchSize) || batchSize > 1e9)
            fail(path, "__metadata__.training.batch_size", "expected a positive integer");
        s.batchSize = static_cast<int>(batchSize);
        s.learningRate = fieldNumber(path, training, "training", "learning_rate");
        s.initialLearningRate = fieldNumber(path, training, "training", "initial_learning_rate");
        s.momentum = fieldNumber(path, training, "training", "momentum");
        s.decay = fieldNumber(path, training, "training", "lr_decay");
        s.epochLossSum = fieldNumber(path, training, "training", "epoch_loss_sum");
        s.epochExamples = static_cast<long long>(fieldNumber(path, training, "training", "epoch_examples"));
        if (s.learningRate < 0 || s.momentum < 0 || s.momentum >= 1 || s.decay <= 0)
            fail(path, "__metadata__.training",
                 "expected learning_rate >= 0, momentum in [0, 1), lr_decay > 0, got " + training.dump());
        s.epoch = metaInteger<int>(path, meta, "epoch", 0);
        s.batch = metaInteger<int>(path, meta, "batch", 0);
        s.step = metaInteger<std::uint64_t>(path, meta, "step", 0);
        s.seed = metaInteger<std::uint64_t>(path, meta, "seed", 0);
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
    if (!ck.hasState) {
        out << "training: none stored (model only)\n";
        if (m.contains("trained"))
            out << "trained: " << m["trained"].dump() << "\n";
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
