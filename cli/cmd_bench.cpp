// gsn bench: throughput of the SPEC's reference GSN-2 (784-1500-1500, walkback 4, batch 100) in
// training and in 1 and 100 parallel chains, next to this machine's own sgemm rate measured in the
// same run (so the ratio stays meaningful on a noisy machine). Prints JSON lines on stdout.
// --out FILE.json saves the run's figures; --compare FILE.json prints every figure's ratio to such a
// saved run (issue 16 item 6: a change's effect measured on the same machine, in one session).

#include "checkpoint.h"
#include "cliargs.h"
#include "commands.h"
#include "commandsupport.h"
#include "datasets.h"
#include "error.h"
#include "gemmkernel.h"
#include "gsnk.h"
#include "jsonlimits.h"
#include "modelmath.h"
#include "modelregistry.h"
#include "parallel.h"
#include "randomstreams.h"
#include "sampler.h"
#include "samplerregistry.h"
#include "target.h"

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

namespace gsn::commands {
namespace {

using Clock = std::chrono::steady_clock;

double cpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
         + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct Rate {
    double perSecond = 0.0;    // units per wall-clock second
    double perCpuSecond = 0.0; // units per CPU second of this process (all its threads)
};

// Runs `work` (returning the units it did) until `seconds` have passed. On a busy machine the wall
// rate drops with the share of the cores this process gets; the CPU-second rate much less.
Rate rate(double seconds, const std::function<double()>& work)
{
    const auto start = Clock::now();
    const double cpu0 = cpuSeconds();
    double units = 0.0;
    double elapsed = 0.0;
    do {
        units += work();
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds);
    return {units / elapsed, units / std::max(1e-9, cpuSeconds() - cpu0)};
}

// Every figure of the run (a rate: larger is better), in the order measured; what --out saves and
// --compare divides by the saved run's.
std::vector<std::pair<std::string, double>>& figures()
{
    static std::vector<std::pair<std::string, double>> all;
    return all;
}

void printLine(const nlohmann::json& j)
{
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
}

// printLine() for a measurement line: its keys in `keys` are also recorded as figures (under `prefix` + key).
void emitFigures(const nlohmann::json& j, std::initializer_list<const char*> keys, const std::string& prefix = {})
{
    for (const char* k : keys)
        figures().emplace_back(prefix + k, j.at(k).get<double>());
    printLine(j);
}

// The figures of a run saved with --out: {"gsn_bench": 1, "figures": {name: value > 0, ...}, ...}.
// Throws gsn::Error naming the file and the field.
std::map<std::string, double> loadSavedRun(const std::string& path, nlohmann::json& saved)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(path, "", "cannot read the saved bench run (--compare)");
    std::stringstream text;
    text << in.rdbuf();
    saved = parseJsonLimited(text.str(), path, "");
    if (!saved.is_object() || !saved.contains("gsn_bench"))
        fail(path, "gsn_bench", "expected a run saved by gsn bench --out (a JSON object with \"gsn_bench\": 1), got " +
                                    describeJson(saved));
    if (saved["gsn_bench"] != 1)
        fail(path, "gsn_bench", "expected format version 1, got " + describeJson(saved["gsn_bench"]));
    if (!saved.contains("figures") || !saved["figures"].is_object())
        fail(path, "figures", "expected an object of figures {name: value}, got " +
                                  (saved.contains("figures") ? describeJson(saved["figures"]) : std::string("nothing")));
    std::map<std::string, double> out;
    for (const auto& [name, value] : saved["figures"].items()) {
        if (!value.is_number() || !std::isfinite(value.get<double>()) || !(value.get<double>() > 0.0))
            fail(path, "figures." + fieldName(name), "expected a finite number > 0, got " + describeJson(value));
        out[name] = value.get<double>();
    }
    if (out.empty())
        fail(path, "figures", "expected at least one figure, got none");
    return out;
}

std::string utcNow()
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// After the run: --out saves it, --compare prints {"bench": "compare", "ratios": {name: now / saved}, ...}.
void finish(const std::string& outPath, const std::string& comparePath, const std::map<std::string, double>& saved,
            const nlohmann::json& savedRun, const nlohmann::json& context)
{
    if (!comparePath.empty()) {
        nlohmann::json ratios = nlohmann::json::object(), now = nlohmann::json::object(), before = nlohmann::json::object();
        std::vector<std::string> missing;
        for (const auto& [name, value] : figures()) {
            const auto it = saved.find(name);
            if (it == saved.end()) {
                missing.push_back(name);
                continue;
            }
            ratios[name] = number(value / it->second);
            now[name] = number(value);
            before[name] = it->second;
        }
        nlohmann::json line = {{"bench", "compare"}, {"saved_run", comparePath}, {"ratios", ratios}, {"now", now},
                               {"saved", before}, {"not_in_saved_run", missing}};
        for (const char* key : {"blas_kernel", "threads", "seconds_per_measurement", "date"})
            if (savedRun.contains(key))
                line[std::string("saved_") + key] = savedRun[key];
        line["blas_kernel"] = context.at("blas_kernel");
        printLine(line);
        // The same, readable: one line per figure on stderr.
        std::fprintf(stderr, "gsn bench: ratio to %s (saved %s):\n", comparePath.c_str(),
                     savedRun.value("date", std::string("?")).c_str());
        for (const auto& [name, value] : figures())
            if (const auto it = saved.find(name); it != saved.end())
                std::fprintf(stderr, "  %-40s %12.4g / %12.4g = %6.3f\n", name.c_str(), value, it->second, value / it->second);
    }
    if (!outPath.empty()) {
        nlohmann::json run = context;
        run["gsn_bench"] = 1;
        run["date"] = utcNow();
        nlohmann::json f = nlohmann::json::object();
        for (const auto& [name, value] : figures())
            f[name] = number(value);
        run["figures"] = f;
        writeTextAtomically(outPath, run.dump(2) + "\n", "--out");
    }
}

// The mode-mixing lab's samplers (issue 13): chain-steps/s of rwmh, mala, ula and pt (4 replicas of
// rwmh; a chain-step moves every replica) over 10000 chains on the ring of 8 (the peer
// bench-peers/numpy_rwmh.py's target and step size), and steps/s of the non-parametric DAE (Parzen)
// over 1000 chains and 5000 training pairs drawn from the same ring. Not run by `gsn bench` without
// --only mix (it is not part of the issue-3 summary).
int benchMix(double seconds, int threads)
{
    const nlohmann::json ring = {{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.25}};
    const auto target = createTarget(ring);
    const auto run = [&](const nlohmann::json& config, int chains, const Matrix* data, const char* unit) {
        const auto sampler = std::shared_ptr<const Sampler>(createSampler(config, {data, 3}));
        auto state = sampler->start(nullptr, target->sample(chains, 1));
        std::uint64_t seed = 2;
        sampler->step(nullptr, *state, seed, nullptr); // warm-up: buffers, caches
        const Rate r = rate(seconds, [&] {
            for (int t = 0; t < 10; ++t)
                sampler->step(nullptr, *state, seed, nullptr);
            return 10.0 * (std::string(unit) == "steps" ? 1.0 : chains);
        });
        const SamplerDiagnostics d = sampler->diagnostics(*state);
        const std::string name = "mix_" + config.at("kind").get<std::string>() + "_";
        figures().emplace_back(name + unit + "_per_s", r.perSecond);
        figures().emplace_back(name + unit + "_per_cpu_s", r.perCpuSecond);
        printLine({{"bench", "mix"}, {"sampler", config.at("kind")}, {"chains", chains}, {"threads", threads},
              {std::string(unit) + "_per_s", r.perSecond}, {std::string(unit) + "_per_cpu_s", r.perCpuSecond},
              {"acceptance", d.acceptanceRate()}});
        return r.perSecond;
    };
    const double rw = run({{"kind", "rwmh"}, {"step_size", 0.5}, {"target", ring}}, 10000, nullptr, "chain_steps");
    const double mala = run({{"kind", "mala"}, {"step_size", 0.25}, {"target", ring}}, 10000, nullptr, "chain_steps");
    run({{"kind", "ula"}, {"step_size", 0.1}, {"target", ring}}, 10000, nullptr, "chain_steps");
    run({{"kind", "pt"}, {"target", ring}, {"base", {{"kind", "rwmh"}, {"step_size", 0.5}}}, {"betas", {1.0, 0.5, 0.25, 0.125}}},
        10000, nullptr, "chain_steps");
    const Matrix pairs = target->sample(5000, 7);
    nlohmann::json npdae = samplerKind("npdae-parzen").defaultConfig();
    const double np = run(npdae, 1000, &pairs, "steps");
    printLine({{"bench", "mix-summary"},
          {"rwmh_chain_steps_per_s", rw},
          {"mala_chain_steps_per_s", mala},
          {"npdae_parzen_steps_per_s_c1000_n5000", np},
          {"targets", {{"rwmh_chain_steps_per_s", 1e7}, {"mala_chain_steps_per_s", 1e7}, {"npdae_parzen_steps_per_s_c1000_n5000", 100}}},
          {"meets_targets", rw >= 1e7 && mala >= 1e7 && np >= 100},
          {"threads", threads},
          {"seconds_per_measurement", seconds}});
    return 0;
}

} // namespace

int bench(const Args& args)
{
    const CliArgs cli(args, {"seconds", "threads", "data", "only", "out", "compare", "model", "chain-input", "chains",
                                  "chain-products"},
                      {"half-weights"});
    const std::string only = cli.get("only", "all"); // sgemm | train | chains | all (for profiling) | mix
    if (only != "all" && only != "sgemm" && only != "train" && only != "chains" && only != "mix")
        fail("command line", "--only", "expected sgemm, train, chains, mix or all");
    const double seconds = cli.getDouble("seconds", 5.0);
    if (!(seconds > 0.0) || seconds > 3600.0)
        fail("command line", "--seconds", "expected a duration in (0, 3600]");
    if (cli.has("threads"))
        setEngineThreads(static_cast<int>(cli.getInt("threads", 0, 1, 256)));
    const std::string outPath = cli.get("out");
    const std::string comparePath = cli.get("compare");
    for (const auto& [option, path] : {std::pair{"--out", outPath}, std::pair{"--compare", comparePath}})
        if (cli.has(option + 2) && (path.size() < 6 || path.compare(path.size() - 5, 5, ".json") != 0))
            fail(kCommandLine, option, "expected a file name ending in .json, got " + quoteValue(path));
    // The saved run is read before measuring anything: a bad file fails at once, not after a minute.
    nlohmann::json savedRun;
    std::map<std::string, double> saved;
    if (!comparePath.empty())
        saved = loadSavedRun(comparePath, savedRun);
    const int threads = engineThreads();
    if (only == "mix") {
        benchMix(seconds, threads);
        finish(outPath, comparePath, saved, savedRun,
               {{"only", only}, {"threads", threads}, {"seconds_per_measurement", seconds}, {"blas_kernel", modelmath::blasKernelName()}});
        return 0;
    }
    modelmath::ensureFastBlas();
    const nlohmann::json context = {{"only", only}, {"threads", threads}, {"seconds_per_measurement", seconds},
                                    {"blas_kernel", modelmath::blasKernelName()}, {"model", cli.get("model", "gsn2 (initialised, seed 1234)")},
                                    {"chain_input", cli.get("chain-input", "auto")}, {"half_weights", cli.has("half-weights")},
                                    {"chain_products", cli.get("chain-products", "auto")}};
    double sgemmOne = 0.0, sgemmAll = 0.0, sgemmCpu = 0.0, trainGflops = 0.0;

    // The machine's sgemm: a plain Eigen 1500 x 1500 product (OpenBLAS, one thread), alone and
    // one per engine thread at once (what the engine's parallel blocks can reach together).
    if (only == "all" || only == "sgemm") {
        const Eigen::Index n = 1500;
        const Matrix a = Matrix::Random(n, n);
        const Matrix b = Matrix::Random(n, n);
        Matrix c(n, n);
        c.noalias() = a * b; // warm-up
        const double flop = 2.0 * n * n * n;
        const Rate oneRate = rate(seconds / 5.0, [&] {
            c.noalias() = a * b;
            return flop;
        });
        const double one = oneRate.perSecond / 1e9;
        std::vector<Matrix> outs(static_cast<std::size_t>(threads), Matrix(n, n));
        const double all = rate(seconds / 5.0, [&] {
                               parallelFor(outs.size(), 1, [&](std::size_t begin, std::size_t end) {
                                   for (std::size_t i = begin; i < end; ++i)
                                       outs[i].noalias() = a * b;
                               });
                               return flop * static_cast<double>(outs.size());
                           }).perSecond / 1e9;
        sgemmCpu = oneRate.perCpuSecond / 1e9;
        sgemmOne = one;
        sgemmAll = all;
        emitFigures({{"bench", "sgemm"}, {"n", n}, {"blas_kernel", modelmath::blasKernelName()}, {"threads", threads},
                     {"sgemm_gflops", one}, {"sgemm_gflops_all_threads", all}, {"sgemm_gflops_per_cpu_s", sgemmCpu}},
                    {"sgemm_gflops", "sgemm_gflops_all_threads", "sgemm_gflops_per_cpu_s"});
    }
    if (only == "sgemm") {
        finish(outPath, comparePath, saved, savedRun, context);
        return 0;
    }

    const Dataset data = loadDataset(cli.get("data", "mnist-train"));
    // The studio's default model: GSN-2 with its registry defaults (1500-1500 hidden units, walkback 4),
    // freshly initialised, or --model's trained GSN (its chains' x is as sparse as in use: about a
    // third of the pixels on, against about half for untrained weights).
    GsnK model(modelKind("gsn2").defaultConfig(data.dimension()), 1234);
    if (cli.has("model")) {
        const std::string path = cli.get("model");
        const Checkpoint ck = loadCheckpoint(path);
        const auto* gsn = dynamic_cast<const GsnK*>(ck.model.get());
        if (!gsn)
            fail(path, "kind", "expected a gsn2 or gsn3 checkpoint, got " + ck.model->kind());
        if (gsn->visibleSize() != data.dimension())
            fail(path, "sizes", "expected " + std::to_string(data.dimension()) + " visible units like " + data.source);
        model = *gsn;
    }
    // --chains 1,16,100: the chain counts measured (the summary's are 1 and 100).
    std::vector<int> chainCounts;
    {
        std::stringstream list(cli.get("chains", "1,100"));
        std::string item;
        while (std::getline(list, item, ',')) {
            char* end = nullptr;
            const long v = std::strtol(item.c_str(), &end, 10);
            if (item.empty() || *end != '\0' || v < 1 || v > std::min(data.count(), 10000))
                fail(kCommandLine, "--chains", "expected a comma-separated list of chain counts in [1, " +
                                                   std::to_string(std::min(data.count(), 10000)) + "], got " +
                                                   quoteValue(cli.get("chains")));
            chainCounts.push_back(static_cast<int>(v));
        }
    }
    const std::string chainInput = cli.get("chain-input", "auto");
    if (chainInput != "auto" && chainInput != "sparse" && chainInput != "dense")
        fail(kCommandLine, "--chain-input",
             "expected auto, sparse (x W0 as a sum of active rows when x is binary) or dense, got " + quoteValue(chainInput));
    model.setChainInput(chainInput == "auto" ? GsnK::ChainInput::Auto
                        : chainInput == "sparse" ? GsnK::ChainInput::Sparse
                                                 : GsnK::ChainInput::Dense);
    const std::string chainProducts = cli.get("chain-products", "auto");
    if (chainProducts != "auto" && chainProducts != "blas")
        fail(kCommandLine, "--chain-products",
             "expected auto (packed weights from " + std::to_string(GsnK::kPackedChains) +
                 " chains up, with AVX-512 or AVX2 + FMA) or blas, got " + quoteValue(chainProducts));
    model.setPackedProducts(chainProducts == "auto");
    const int batch = 100;
    const int usable = std::min(data.count(), 6000) / batch * batch;
    if (usable < batch)
        fail(data.source, "images", "expected at least 100 images for the benchmark");

    // Training: loss and gradient of a batch plus the SPEC's momentum update, as the trainer does it.
    Rate trainRate;
    if (only == "all" || only == "train") {
        auto params = model.parameters();
        std::vector<Matrix> grads, momentum;
        for (const auto& p : params)
            momentum.push_back(Matrix::Zero(p.value->rows(), p.value->cols()));
        const float lr = 0.25f, mu = 0.5f;
        std::uint64_t step = 0;
        NoiseKey key;
        key.seed = 1;
        auto oneBatch = [&] {
            const int start = static_cast<int>((step * batch) % static_cast<std::uint64_t>(usable));
            key.step = step++;
            key.rowStream.resize(batch);
            for (int r = 0; r < batch; ++r)
                key.rowStream[static_cast<std::size_t>(r)]
                    = streams::trainingRowStream(static_cast<std::uint64_t>(start + r));
            model.lossAndGradient(data.pixels.middleRows(start, batch), key, grads);
            for (std::size_t k = 0; k < params.size(); ++k) {
                momentum[k] = mu * momentum[k] + (1.0f - mu) * grads[k];
                *params[k].value -= lr * momentum[k];
            }
            return static_cast<double>(batch);
        };
        oneBatch(); // warm-up: allocations, BLAS buffers
        trainRate = rate(seconds, oneBatch);
        const double gflops = trainRate.perSecond * model.trainMacsPerExample() * 2.0 / 1e9;
        emitFigures({{"bench", "train"}, {"model", model.kind()}, {"sizes", model.layerSizes()}, {"walkback", model.walkback()},
                     {"batch", batch}, {"threads", threads}, {"train_examples_per_s", trainRate.perSecond},
                     {"train_examples_per_cpu_s", trainRate.perCpuSecond}, {"gflops", gflops},
                     {"flop_per_example", model.trainMacsPerExample() * 2.0}},
                    {"train_examples_per_s", "train_examples_per_cpu_s"});
        trainGflops = gflops;
    }

    // Chains: one update per step, chain c from training image c.
    double activeFraction = 0.0; // of the last measurement's x: what the sparse x W0 reads of W0
    auto chainRate = [&](int chains) {
        ChainState state = model.startChains(data.pixels.topRows(chains));
        model.stepChains(state, 7); // warm-up
        long long entries = 0, active = 0;
        const Rate r = rate(seconds, [&] {
            model.stepChains(state, 7);
            active += (state.x.array() != 0.0f).count();
            entries += state.x.size();
            return static_cast<double>(chains);
        });
        activeFraction = static_cast<double>(active) / static_cast<double>(std::max(1LL, entries));
        return r;
    };
    Rate c1, c100;
    // After training (which drops the half copies: it changes the weights).
    if (cli.has("half-weights") && !model.setHalfPrecisionSampling(true))
        fail(kCommandLine, "--half-weights", "expected a CPU and build with F16C and FMA");
    if (only == "all" || only == "chains") {
        for (const int chains : chainCounts) {
            const Rate r = chainRate(chains);
            const std::string c = "_c" + std::to_string(chains);
            emitFigures({{"bench", "chains"}, {"chains", chains}, {"threads", threads}, {"chain_steps_per_s" + c, r.perSecond},
                         {"chain_steps_per_cpu_s" + c, r.perCpuSecond},
                         {"gflops", r.perSecond * model.chainMacsPerStep() * 2.0 / 1e9}, {"chain_input", chainInput},
                         {"chain_products", chainProducts == "auto" && gemm::kAvailable && chains >= GsnK::kPackedChains
                                                ? "packed" : "blas"},
                         {"x_active_fraction", activeFraction},
                         {"weights", model.halfPrecisionSampling() && chains <= GsnK::kHalfChains ? "half" : "float32"}},
                        {("chain_steps_per_s" + c).c_str(), ("chain_steps_per_cpu_s" + c).c_str()});
            if (chains == 1)
                c1 = r;
            if (chains == 100)
                c100 = r;
        }
    }
    if (only != "all") {
        finish(outPath, comparePath, saved, savedRun, context);
        return 0;
    }

    // Summary: every key issue 3 asks for, with its target.
    printLine({{"bench", "summary"},
          {"train_examples_per_s", trainRate.perSecond},
          {"chain_steps_per_s_c1", c1.perSecond},
          {"chain_steps_per_s_c100", c100.perSecond},
          {"gflops", trainGflops},
          {"sgemm_gflops", sgemmOne},
          {"sgemm_gflops_all_threads", sgemmAll},
          {"train_fraction_of_sgemm_all_threads", trainGflops / sgemmAll},
          {"targets", {{"train_examples_per_s", 565}, {"chain_steps_per_s_c1", 2000}, {"chain_steps_per_s_c100", 7000}}},
          {"meets_targets", trainRate.perSecond >= 565 && c1.perSecond >= 2000 && c100.perSecond >= 7000},
          // Per CPU second of this process: what the run got out of the cores it was given.
          {"train_examples_per_cpu_s", trainRate.perCpuSecond},
          {"chain_steps_per_cpu_s_c1", c1.perCpuSecond},
          {"chain_steps_per_cpu_s_c100", c100.perCpuSecond},
          {"sgemm_gflops_per_cpu_s", sgemmCpu},
          {"blas_kernel", modelmath::blasKernelName()},
          {"threads", threads},
          {"seconds_per_measurement", seconds}});
    finish(outPath, comparePath, saved, savedRun, context);
    return 0;
}

} // namespace gsn::commands
