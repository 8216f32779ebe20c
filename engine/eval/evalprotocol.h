#pragma once
// Evaluation protocols run end to end in the engine, so `gsn eval`, the Evaluate dock and tests run the
// same procedure with the same defaults. Today: the Parzen-window protocol of SPEC 4 (Breuleux et al.
// 2011). Callers load the data and format the output; everything between is here.
//
// runParzenProtocol: kernel centres (M consecutive displayed means of ONE chain of a model, or the first
// M rows of given samples) -> optional binarisation -> every sigma of the grid on the first V validation
// rows -> the sigma with the best mean validation log-likelihood -> the test set at that sigma (and, on
// request, every sigma on the test set). Progress goes to a plain callback; a std::atomic<bool> is
// checked once per chain step and once per block of Parzen points.

#include "chains.h"
#include "model.h"
#include "parzen.h"
#include "tensor.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace gsn {

// The stages of an evaluation protocol, in the order they run.
enum class ProtocolPhase {
    Sampling,    // chain steps (burn-in included): done/total steps
    Validation,  // every sigma of the grid on the validation rows: done/total points
    Test,        // the chosen sigma on the test set: done/total points
    TestCurve,   // every sigma on the test set (ParzenProtocolOptions::testCurve): done/total points
};

// Progress of a protocol: `done` of `total` units of `phase`. Called on the caller's thread for
// Sampling, from worker threads (one call at a time) for the Parzen phases.
using ProtocolProgress = std::function<void(ProtocolPhase phase, long long done, long long total)>;

// How samples, validation and test rows are binarised before the Parzen windows (SPEC 4 variants).
enum class ParzenBinarize {
    None,         // grey levels as they are (the protocol)
    All,          // samples, validation and test thresholded at 0.5
    Evaluation,   // validation and test thresholded at 0.5, samples left grey
    Stochastic,   // all three sets: pixel = 1 with probability = grey level, row r of set k (samples 0,
                  // validation 1, test 2) drawing from Philox(seed, r, k)
};

// The protocol's settings; the defaults are SPEC 4's.
struct ParzenProtocolOptions {
    long long samples = 10000;                       // M, kernel centres: chain means kept, or given rows used
    long long burnin = 100;                          // chain steps discarded before the first kept mean (model only)
    long long thin = 1;                              // keep one displayed mean every `thin` steps (model only)
    std::uint64_t seed = 1;                          // chain noise Philox(seed, 0, step), start noise, stochastic binarisation
    ChainInit init = ChainInit::noise();             // where the chain starts (model only)
    long long validationRows = 1000;                 // V: the first V rows of the validation set (SPEC 4: of train[50000:60000])
    std::vector<double> sigmas = defaultSigmaGrid(); // kernel widths searched on validation; one entry = a fixed sigma
    ParzenBinarize binarize = ParzenBinarize::None;
    bool testCurve = false;                          // also every sigma on the test set (a variant, not the protocol)
};

// One sigma of the grid scored on the test set (ParzenProtocolOptions::testCurve).
struct ParzenTestPoint {
    double sigma = 0.0;
    double mean = 0.0;                               // mean test log-likelihood (nats)
    double standardError = 0.0;                      // std / sqrt(N)
};

// What the protocol found.
struct ParzenProtocolResult {
    bool cancelled = false;                          // true: *cancel became true; nothing below is set
    std::shared_ptr<const Matrix> samples;           // shape = [M, d]: the kernel centres used (after binarisation)
    long long validationRows = 0;                    // V, validation points scored
    long long testRows = 0;                          // N, test points scored
    ParzenResult parzen;                             // chosen sigma, validation curve, test mean, standard error,
                                                     // per-point test log-likelihoods, Parzen wall time
    std::vector<ParzenTestPoint> testCurve;          // every sigma on the test set (empty unless options.testCurve)
    double samplingSeconds = 0.0;                    // wall time of the chain and the binarisation
};

// The Parzen protocol on one chain of `model`: options.samples displayed means after options.burnin
// steps, one every options.thin steps, from options.init (gsn::chainMeans).
// validation: shape = [R, d], R >= options.validationRows, only the first options.validationRows rows are
// used; test: shape = [N, d], N >= 1; values in [0, 1]; d = model.visibleSize().
// Throws gsn::Error naming the option for a bad setting (no samples, negative burn-in, thinning < 1,
// empty or non-positive sigma grid, more validation rows than given) and for sets of the wrong width.
ParzenProtocolResult runParzenProtocol(const Model& model, const Matrix& validation, const Matrix& test,
                                       const ParzenProtocolOptions& options, const ProtocolProgress& progress = {},
                                       const std::atomic<bool>* cancel = nullptr);

// The same protocol on given kernel centres (a .npy file of samples, real training images): the first
// options.samples rows of `samples` (shape = [R, d], R >= options.samples, values in [0, 1]); burnin, thin
// and init are not used. Throws gsn::Error as above, and when `samples` has fewer rows than options.samples.
ParzenProtocolResult runParzenProtocol(const Matrix& samples, const Matrix& validation, const Matrix& test,
                                       const ParzenProtocolOptions& options, const ProtocolProgress& progress = {},
                                       const std::atomic<bool>* cancel = nullptr);

} // namespace gsn
