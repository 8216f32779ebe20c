// gsn eval: Parzen-window log-likelihood of a model's samples, of a .npy file of samples, or of real
// training images (the "MNIST samples" baseline), by the SPEC 4 protocol.
//
// Prints one JSON line on stdout (sigma, mean, stderr, curve, seconds and what produced them) and a
// human summary and progress on stderr.

#include "chainoptions.h"
#include "chains.h"
#include "checkpoint.h"
#include "cliargs.h"
#include "commands.h"
#include "datasets.h"
#include "error.h"
#include "evalprotocol.h"
#include "npy.h"
#include "parzen.h"
#include "sizecheck.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <limits>
#include <memory>
#include <sstream>
#include <string>

namespace gsn::commands {
namespace {

constexpr const char* kUsage =
    "gsn eval (--model FILE | --samples FILE.npy | --baseline mnist-train) [--n 10000] [--burnin B] [--thin T]\n"
    "         [--seed S] [--binarize | --binarize-test] [--sigma S | --grid LO,HI,COUNT] [--test-curve] [--valid DATA]\n"
    "         [--test DATA] [--save-ll FILE.npy] [--init test:INDEX|noise|zeros]\n"
    "  --init            where the --model chain starts: test image INDEX (default test:0, the authors' start),\n"
    "                    uniform noise, or zeros\n"
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
    // The header's dimensions are the file's word: multiply them checked (issue 12: an overflow here was UB).
    // readNpy checked the whole product against the file, so h x w of a non-empty array fits in its values.
    const std::vector<std::int64_t> image(a.shape.end() - (a.shape.size() > 2 ? 2 : 1), a.shape.end());
    const auto d = static_cast<std::int64_t>(
        checkedProduct(image, std::uint64_t(std::numeric_limits<std::int64_t>::max()), path, "shape", "values per row"));
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
    ParzenProtocolOptions options;
    const long long n = cli.getInt("n", options.samples, 1, 10'000'000);
    options.burnin = cli.getInt("burnin", options.burnin, 0, 100'000'000);
    options.thin = cli.getInt("thin", options.thin, 1, 100'000);
    options.seed = static_cast<std::uint64_t>(cli.getInt("seed", static_cast<long long>(options.seed), 0, (1LL << 62)));
    const bool binary = cli.has("binarize");
    const bool binaryTest = binary || cli.has("binarize-test");  // --binarize-test: validation and test only
    const bool stochastic = cli.has("binarize-stochastic");
    if (stochastic && binaryTest)
        fail("command line", "--binarize-stochastic", "expected it alone, not with --binarize or --binarize-test");
    options.binarize = binary       ? ParzenBinarize::All
                       : binaryTest ? ParzenBinarize::Evaluation
                       : stochastic ? ParzenBinarize::Stochastic
                                    : ParzenBinarize::None;
    options.testCurve = cli.has("test-curve");
    const auto t0 = std::chrono::steady_clock::now();

    // The test and validation sets load on their own threads while the samples' source loads here
    // (issue 16 item 4); a failure of either is reported when it is needed, after the source's.
    const std::string testSpec = cli.get("test", "mnist-test");
    const std::string validSpec = cli.get("valid", "mnist-valid");
    auto testLoad = std::async(std::launch::async, [&] { return loadDataset(testSpec).pixels; });
    auto validLoad = std::async(std::launch::async, [&] { return loadDataset(validSpec).pixels; });

    nlohmann::json out;
    Matrix given;                     // --baseline / --samples: the kernel centres' source rows
    std::unique_ptr<Model> model;     // --model
    std::string initText;
    if (cli.has("baseline")) {
        const std::string name = cli.get("baseline");
        Dataset data = loadDataset(name);
        if (data.count() < n)
            fail(name, "rows", "expected at least " + std::to_string(n) + " images, got " + std::to_string(data.count()));
        given = std::move(data.pixels);  // the protocol: the FIRST n training images
        options.samples = n;
        out["source"] = "baseline:" + name;
        out["sample_rows"] = "[0, " + std::to_string(n) + ")";
    } else if (cli.has("samples")) {
        const std::string path = cli.get("samples");
        given = samplesFromNpy(path);
        options.samples = std::min<long long>(n, given.rows());  // a file with fewer rows is used whole
        out["source"] = "samples:" + path;
        out["sample_rows"] = "[0, " + std::to_string(options.samples) + ")";
    } else {
        const std::string path = cli.get("model");
        Checkpoint ck = loadCheckpoint(path);
        model = std::move(ck.model);
        options.samples = n;
        const ChainStart init = chainStartOption(cli, "init", "test:0", {.testImage = true});
        initText = init.word;
        if (init.kind == ChainStart::Kind::Zeros)
            options.init = ChainInit::zeros();
        out["init"] = initText;
        out["source"] = "model:" + path;
        out["kind"] = model->kind();
        out["burnin"] = options.burnin;
        out["thin"] = options.thin;
        out["seed"] = options.seed;
        out["chains"] = 1;
    }

    const Matrix test = testLoad.get();
    if (model && initText.rfind("test:", 0) == 0) {
        const long long index = testImageIndex(initText, test.rows(), "--init");
        if (test.cols() != model->visibleSize())
            fail(testSpec, "image size", "expected " + std::to_string(model->visibleSize()) + " pixels like the model");
        options.init = ChainInit::fromRow(test, static_cast<Eigen::Index>(index));
    }
    const Matrix valid = validLoad.get();
    if (cli.has("samples") && given.cols() != test.cols())
        fail(cli.get("samples"), "shape",
             "expected rows of " + std::to_string(test.cols()) + " pixels like the test set (" + testSpec + "), got " +
                 std::to_string(given.cols()) + " values per row");
    options.validationRows = std::min<long long>(options.validationRows, valid.rows());  // a smaller --valid set is used whole

    if (cli.has("grid"))
        options.sigmas = parseGrid(cli.get("grid"));
    if (cli.has("sigma")) {
        const double s = cli.getDouble("sigma", 0.0);
        if (!(s > 0.0) || !std::isfinite(s))
            fail("command line", "--sigma", "expected a number > 0, got " + cli.get("sigma"));
        options.sigmas = {s};
    }
    const std::vector<double>& grid = options.sigmas;

    // Progress: chain steps every 500 steps; Parzen points one line per percent (blocks finish ~100 times a
    // second) over validation then test points, as one range; the test curve its own range.
    int lastPercent = -1;
    const auto parzenLine = [&lastPercent](long long done, long long total) {
        const int percent = static_cast<int>(100 * done / total);
        if (percent != lastPercent || done == total) {
            lastPercent = percent;
            progressLine("parzen", done, total);
        }
    };
    const long long parzenTotal = options.validationRows + test.rows();
    const std::string chainDetail = "burn-in " + std::to_string(options.burnin) + ", thin " + std::to_string(options.thin);
    const ProtocolProgress progress = [&](ProtocolPhase phase, long long done, long long total) {
        switch (phase) {
        case ProtocolPhase::Sampling:
            if (done % 500 == 0 || done == total)
                progressLine("chain", done, total, chainDetail);
            break;
        case ProtocolPhase::Validation:
            parzenLine(done, parzenTotal);
            break;
        case ProtocolPhase::Test:
            parzenLine(options.validationRows + done, parzenTotal);
            break;
        case ProtocolPhase::TestCurve:
            parzenLine(done, total);
            break;
        }
    };
    const double loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const ParzenProtocolResult protocol = model ? runParzenProtocol(*model, valid, test, options, progress)
                                                : runParzenProtocol(given, valid, test, options, progress);
    if (protocol.cancelled)
        fail("eval", "", "cancelled");
    const ParzenResult& result = protocol.parzen;

    out["sigma"] = result.sigma;
    out["mean"] = result.mean;
    out["stderr"] = result.standardError;
    nlohmann::json curve = nlohmann::json::array();
    for (const auto& [s, m] : result.curve)
        curve.push_back({s, m});
    out["curve"] = curve;
    out["seconds"] = result.seconds;
    out["samples"] = protocol.samples->rows();
    out["validation"] = protocol.validationRows;
    out["test"] = protocol.testRows;
    out["binarize"] = binary ? "all" : binaryTest ? "validation and test" : stochastic ? "all, stochastic" : "none";
    out["sigma_from"] = cli.has("sigma") ? "fixed" : "validation";

    if (options.testCurve) {
        // The same grid on the test set (sigma chosen on test: a variant for investigations, not the protocol).
        nlohmann::json tc = nlohmann::json::array();
        std::vector<double> means;
        for (const ParzenTestPoint& p : protocol.testCurve) {
            tc.push_back({p.sigma, p.mean, p.standardError});
            means.push_back(p.mean);
        }
        const int best = argmaxIndex(means);
        out["test_curve"] = tc;
        out["test_best_sigma"] = grid[best];
        out["test_best_mean"] = means[best];
        out["test_best_stderr"] = tc[best][2];
    }

    if (cli.has("save-ll")) {
        // Per-digit test log-likelihoods at the chosen sigma, for other summaries (e.g. other standard errors).
        const std::vector<float> ll(result.testLogDensity.data(), result.testLogDensity.data() + result.testLogDensity.size());
        writeNpy(cli.get("save-ll"), ll.data(), {static_cast<std::int64_t>(ll.size())});
        out["saved_ll"] = cli.get("save-ll");
    }

    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
    std::fprintf(stderr,
                 "Parzen log-likelihood %.2f +- %.2f nats (std/sqrt(N), N = %lld test digits), sigma %.4f chosen on %lld "
                 "validation rows from %zu widths; %lld samples%s; %.2f s (+ %.2f s loading%s)\n",
                 result.mean, result.standardError, protocol.testRows, result.sigma, protocol.validationRows,
                 grid.size(), (long long)protocol.samples->rows(),
                 binary       ? ", all binarised at 0.5"
                 : binaryTest ? ", validation and test binarised at 0.5"
                 : stochastic ? ", all binarised stochastically"
                              : "",
                 result.seconds, loadSeconds + protocol.samplingSeconds,
                 cli.has("model") ? " and sampling" : "");
    return 0;
}

std::string evalUsage()
{
    return kUsage;
}

} // namespace gsn::commands
