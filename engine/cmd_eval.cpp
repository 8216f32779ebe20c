// gsn eval: Parzen-window log-likelihood of a model's samples, of a .npy file of samples, or of real
// training images (the "MNIST samples" baseline), by the SPEC 4 protocol.
//
// Prints one JSON line on stdout (sigma, mean, stderr, curve, seconds and what produced them) and a
// human summary and progress on stderr.

#include "chains.h"
#include "checkpoint.h"
#include "cliargs.h"
#include "commands.h"
#include "datasets.h"
#include "error.h"
#include "npy.h"
#include "parzen.h"
#include "random.h"
#include "randomstreams.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

namespace gsn::commands {
namespace {

constexpr const char* kUsage =
    "gsn eval (--model FILE | --samples FILE.npy | --baseline mnist-train) [--n 10000] [--burnin B] [--thin T]\n"
    "         [--seed S] [--binarize | --binarize-test] [--sigma S | --grid LO,HI,COUNT] [--test-curve] [--valid DATA]\n"
    "         [--test DATA] [--save-ll FILE.npy] [--init noise|zeros|test:INDEX]\n"
    "  --init            where the --model chain starts: uniform noise (default), zeros, or test image INDEX\n"
    "  --binarize        threshold samples, validation and test at 0.5;  --binarize-test: validation and test only\n"
    "  --binarize-stochastic  pixel = 1 with probability = grey level (samples, validation and test; Philox, --seed)\n"
    "  --grid LO,HI,N    sigmas logspace(LO, HI, N) (default -1,0,10);   --sigma S: one fixed sigma, no search\n"
    "  --test-curve      also every sigma of the grid on the test set (sigma chosen on test: not the protocol)\n"
    "  --save-ll FILE    the per-digit test log-likelihoods at the chosen sigma (float32 .npy)";

// Rows of a .npy file as samples: [M, d] as is; [..., h, w] (e.g. [chains, steps, h, w]) flattened to
// rows of h * w. uint8 files are divided by 255; float values must lie in [0, 1].
Matrix samplesFromNpy(const std::string& path)
{
    const NpyArray a = readNpy(path);
    if (a.shape.size() < 2)
        fail(path, "shape", "expected [M, d] or [..., h, w], got " + std::to_string(a.shape.size()) + " dimension(s)");
    const std::int64_t d = a.shape.size() == 2 ? a.shape[1] : a.shape[a.shape.size() - 1] * a.shape[a.shape.size() - 2];
    if (d <= 0 || a.values.empty())
        fail(path, "shape", "expected a non-empty array");
    const std::int64_t rows = static_cast<std::int64_t>(a.values.size()) / d;
    Matrix m = Eigen::Map<const Matrix>(a.values.data(), rows, d);
    if (a.dtype == "|u1")
        m /= 255.0f;
    if (m.minCoeff() < 0.0f || m.maxCoeff() > 1.0f)
        fail(path, "values", "expected pixel values in [0, 1] (or uint8), got [" + std::to_string(m.minCoeff()) + ", " +
                                 std::to_string(m.maxCoeff()) + "]");
    return m;
}

std::vector<double> parseGrid(const std::string& text)
{
    std::stringstream in(text);
    std::string item;
    std::vector<double> v;
    while (std::getline(in, item, ',')) {
        try {
            std::size_t used = 0;
            v.push_back(std::stod(item, &used));
            if (used != item.size())
                throw std::invalid_argument(item);
        } catch (const std::exception&) {
            fail("command line", "--grid", "expected LO,HI,COUNT (log10 bounds and a count), got '" + text + "'");
        }
    }
    if (v.size() != 3 || v[2] < 1 || v[2] > 1000 || v[2] != std::floor(v[2]) || !(v[0] <= v[1]))
        fail("command line", "--grid", "expected LO,HI,COUNT with LO <= HI and 1 <= COUNT <= 1000, got '" + text + "'");
    return logSpace(v[0], v[1], static_cast<int>(v[2]));
}

void binarize(Matrix& m)
{
    m = (m.array() > 0.5f).cast<float>();
}

// Stochastic binarisation: pixel = 1 with probability equal to its grey level, row r of the set drawing
// from Philox(seed, streams::evalBinarizeStream(r), setIndex) so each set gets its own streams.
void binarizeStochastic(Matrix& m, std::uint64_t seed, std::uint64_t setIndex)
{
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
        Philox rng(seed, streams::evalBinarizeStream(static_cast<std::uint64_t>(r)), setIndex);
        for (Eigen::Index c = 0; c < m.cols(); ++c)
            m(r, c) = rng.uniform() < m(r, c) ? 1.0f : 0.0f;
    }
}

} // namespace

int eval(const Args& args)
{
    const CliArgs cli(args, {"model", "samples", "baseline", "n", "burnin", "thin", "seed", "sigma", "grid", "valid", "test", "save-ll",
                             "init"},
                      {"binarize", "binarize-test", "binarize-stochastic", "test-curve", "help"});
    if (cli.has("help")) {
        std::printf("%s\n", kUsage);
        return 0;
    }
    const int sources = cli.has("model") + cli.has("samples") + cli.has("baseline");
    if (sources != 1)
        fail("command line", "--model/--samples/--baseline", "expected exactly one of them\nusage: " + std::string(kUsage));
    if (cli.has("sigma") && cli.has("grid"))
        fail("command line", "--sigma", "expected either --sigma or --grid, not both");
    const long long n = cli.getInt("n", 10000, 1, 10'000'000);
    const long long burnin = cli.getInt("burnin", 100, 0, 100'000'000);
    const long long thin = cli.getInt("thin", 1, 1, 100'000);
    const auto seed = static_cast<std::uint64_t>(cli.getInt("seed", 1, 0, (1LL << 62)));
    const bool binary = cli.has("binarize");
    const bool binaryTest = binary || cli.has("binarize-test");  // --binarize-test: validation and test only
    const bool stochastic = cli.has("binarize-stochastic");
    if (stochastic && binaryTest)
        fail("command line", "--binarize-stochastic", "expected it alone, not with --binarize or --binarize-test");
    const auto t0 = std::chrono::steady_clock::now();

    nlohmann::json out;
    Matrix samples;
    if (cli.has("baseline")) {
        const std::string name = cli.get("baseline");
        const Dataset data = loadDataset(name);
        if (data.count() < n)
            fail(name, "rows", "expected at least " + std::to_string(n) + " images, got " + std::to_string(data.count()));
        samples = data.pixels.topRows(n);  // the protocol: the FIRST n training images
        out["source"] = "baseline:" + name;
        out["sample_rows"] = "[0, " + std::to_string(n) + ")";
    } else if (cli.has("samples")) {
        const std::string path = cli.get("samples");
        samples = samplesFromNpy(path);
        if (samples.rows() > n)
            samples = samples.topRows(n).eval();
        out["source"] = "samples:" + path;
        out["sample_rows"] = "[0, " + std::to_string(samples.rows()) + ")";
    } else {
        const std::string path = cli.get("model");
        const Checkpoint ck = loadCheckpoint(path);
        const std::string initText = cli.get("init", "noise");
        ChainInit init = ChainInit::noise();
        if (initText == "zeros") {
            init = ChainInit::zeros();
        } else if (initText.rfind("test:", 0) == 0) {
            const std::string testSpec = cli.get("test", "mnist-test");
            const Dataset testSet = loadDataset(testSpec);
            const long long index = testImageIndex(initText, testSet.count(), "--init");
            if (testSet.dimension() != ck.model->visibleSize())
                fail(testSpec, "image size", "expected " + std::to_string(ck.model->visibleSize()) + " pixels like the model");
            init = ChainInit::fromRow(testSet.pixels, static_cast<Eigen::Index>(index));
        } else if (initText != "noise") {
            fail("command line", "--init", "expected noise, zeros or test:INDEX, got '" + initText + "'");
        }
        samples = chainMeans(*ck.model, init, n, burnin, thin, seed, [&](long long step, long long total) {
            if (step % 500 == 0 || step == total)
                progressLine("chain", step, total, "burn-in " + std::to_string(burnin) + ", thin " + std::to_string(thin));
        });
        out["init"] = initText;
        out["source"] = "model:" + path;
        out["kind"] = ck.model->kind();
        out["burnin"] = burnin;
        out["thin"] = thin;
        out["seed"] = seed;
        out["chains"] = 1;
    }

    Matrix valid = loadDataset(cli.get("valid", "mnist-valid")).pixels;
    if (valid.rows() > 1000)
        valid = valid.topRows(1000).eval();  // SPEC 4: the first 1000 rows of train[50000:60000]
    Matrix test = loadDataset(cli.get("test", "mnist-test")).pixels;
    if (binary)
        binarize(samples);
    if (binaryTest) {
        binarize(valid);
        binarize(test);
    }
    if (stochastic) {
        binarizeStochastic(samples, seed, 0);
        binarizeStochastic(valid, seed, 1);
        binarizeStochastic(test, seed, 2);
    }
    const double loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::vector<double> grid = cli.has("grid") ? parseGrid(cli.get("grid")) : defaultSigmaGrid();
    if (cli.has("sigma")) {
        const double s = cli.getDouble("sigma", 0.0);
        if (!(s > 0.0) || !std::isfinite(s))
            fail("command line", "--sigma", "expected a number > 0, got " + cli.get("sigma"));
        grid = {s};
    }

    // One progress line per percent (blocks finish ~100 times a second).
    int lastPercent = -1;
    const auto progress = [&lastPercent](long long done, long long total) {
        const int percent = static_cast<int>(100 * done / total);
        if (percent != lastPercent || done == total) {
            lastPercent = percent;
            progressLine("parzen", done, total);
        }
    };
    const auto result = parzenEvaluate(samples, valid, test, grid, progress);
    if (!result)
        fail("eval", "", "cancelled");

    out["sigma"] = result->sigma;
    out["mean"] = result->mean;
    out["stderr"] = result->standardError;
    nlohmann::json curve = nlohmann::json::array();
    for (const auto& [s, m] : result->curve)
        curve.push_back({s, m});
    out["curve"] = curve;
    out["seconds"] = result->seconds;
    out["samples"] = samples.rows();
    out["validation"] = valid.rows();
    out["test"] = test.rows();
    out["binarize"] = binary ? "all" : binaryTest ? "validation and test" : stochastic ? "all, stochastic" : "none";
    out["sigma_from"] = cli.has("sigma") ? "fixed" : "validation";

    if (cli.has("test-curve")) {
        // The same grid on the test set (sigma chosen on test: a variant for investigations, not the protocol).
        const auto ll = parzenLogDensity(samples, test, grid, progress);
        nlohmann::json tc = nlohmann::json::array();
        int best = 0;
        std::vector<double> means;
        for (int k = 0; k < static_cast<int>(grid.size()); ++k) {
            const MeanAndError me = meanAndStandardError(ll->col(k));
            tc.push_back({grid[k], me.mean, me.standardError});
            means.push_back(me.mean);
        }
        best = argmaxIndex(means);
        out["test_curve"] = tc;
        out["test_best_sigma"] = grid[best];
        out["test_best_mean"] = means[best];
        out["test_best_stderr"] = tc[best][2];
    }

    if (cli.has("save-ll")) {
        // Per-digit test log-likelihoods at the chosen sigma, for other summaries (e.g. other standard errors).
        const std::vector<float> ll(result->testLogDensity.data(), result->testLogDensity.data() + result->testLogDensity.size());
        writeNpy(cli.get("save-ll"), ll.data(), {static_cast<std::int64_t>(ll.size())});
        out["saved_ll"] = cli.get("save-ll");
    }

    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
    std::fprintf(stderr,
                 "Parzen log-likelihood %.2f +- %.2f nats (std/sqrt(N), N = %lld test digits), sigma %.4f chosen on %lld "
                 "validation rows from %zu widths; %lld samples%s; %.2f s (+ %.2f s loading%s)\n",
                 result->mean, result->standardError, (long long)test.rows(), result->sigma, (long long)valid.rows(),
                 grid.size(), (long long)samples.rows(),
                 binary       ? ", all binarised at 0.5"
                 : binaryTest ? ", validation and test binarised at 0.5"
                 : stochastic ? ", all binarised stochastically"
                              : "",
                 result->seconds, loadSeconds,
                 cli.has("model") ? " and sampling" : "");
    return 0;
}

} // namespace gsn::commands
