#include "evalprotocol.h"

#include "error.h"
#include "random.h"
#include "randomstreams.h"

#include <chrono>
#include <cmath>
#include <string>
#include <utility>

namespace gsn {

namespace {

constexpr const char* kWhere = "parzen protocol";

using Clock = std::chrono::steady_clock;

// Refuses a setting or a set the protocol cannot run on, before any work (a bad grid must not be
// found after a long chain). `width` is the kernel centres' width (the model's visible size).
void checkOptions(const ParzenProtocolOptions& o, Eigen::Index width, const Matrix& validation, const Matrix& test)
{
    if (o.samples < 1)
        fail(kWhere, "samples", "expected at least 1 kernel centre, got " + std::to_string(o.samples));
    if (o.burnin < 0)
        fail(kWhere, "burnin", "expected >= 0 chain steps, got " + std::to_string(o.burnin));
    if (o.thin < 1)
        fail(kWhere, "thin", "expected >= 1 (one mean kept every `thin` steps), got " + std::to_string(o.thin));
    // The chain runs burnin + samples * thin steps; refuse a count that does not fit rather than overflow.
    long long kept = 0, steps = 0;
    if (__builtin_mul_overflow(o.samples, o.thin, &kept) || __builtin_add_overflow(kept, o.burnin, &steps))
        fail(kWhere, "samples", "expected burnin + samples x thin to fit in 64 bits, got " + std::to_string(o.burnin) +
                                    " + " + std::to_string(o.samples) + " x " + std::to_string(o.thin));
    if (o.sigmas.empty())
        fail(kWhere, "sigmas", "expected at least one kernel width, got an empty grid");
    for (double s : o.sigmas)
        if (!(s > 0.0) || !std::isfinite(s))
            fail(kWhere, "sigmas", "expected finite kernel widths > 0, got " + std::to_string(s));
    if (o.validationRows < 1)
        fail(kWhere, "validationRows", "expected at least 1 validation row, got " + std::to_string(o.validationRows));
    if (o.validationRows > validation.rows())
        fail(kWhere, "validationRows",
             "expected at most the " + std::to_string(validation.rows()) + " rows of the validation set, got " +
                 std::to_string(o.validationRows));
    if (test.rows() < 1)
        fail(kWhere, "test", "expected at least one test point, got 0");
    if (validation.cols() != width || test.cols() != width)
        fail(kWhere, "width",
             "expected validation and test points of " + std::to_string(width) + " values like the samples, got " +
                 std::to_string(validation.cols()) + " and " + std::to_string(test.cols()));
}

void threshold(Matrix& m)
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

ParzenProtocolResult cancelledResult()
{
    ParzenProtocolResult r;
    r.cancelled = true;
    return r;
}

// Everything after the kernel centres are known: binarisation, the sigma sweep, the test pass.
ParzenProtocolResult scoreSamples(Matrix samples, const Matrix& validation, const Matrix& test,
                                  const ParzenProtocolOptions& o, const ProtocolProgress& progress,
                                  const std::atomic<bool>* cancel, Clock::time_point t0)
{
    if (cancel && cancel->load())
        return cancelledResult();
    Matrix valid = validation.topRows(o.validationRows);
    // The test set is copied only when it is to be binarised (10000 x 784 floats).
    Matrix testCopy;
    const Matrix* testUsed = &test;
    switch (o.binarize) {
    case ParzenBinarize::None:
        break;
    case ParzenBinarize::All:
        threshold(samples);
        [[fallthrough]];
    case ParzenBinarize::Evaluation:
        threshold(valid);
        testCopy = test;
        threshold(testCopy);
        testUsed = &testCopy;
        break;
    case ParzenBinarize::Stochastic:
        binarizeStochastic(samples, o.seed, 0);
        binarizeStochastic(valid, o.seed, 1);
        testCopy = test;
        binarizeStochastic(testCopy, o.seed, 2);
        testUsed = &testCopy;
        break;
    }

    ParzenProtocolResult result;
    result.validationRows = valid.rows();
    result.testRows = testUsed->rows();
    result.samplingSeconds = std::chrono::duration<double>(Clock::now() - t0).count();

    // parzenEvaluate counts validation points then test points in one range; split it into the two phases.
    ParzenProgress parzenProgress;
    if (progress) {
        const long long v = result.validationRows, n = result.testRows;
        parzenProgress = [&progress, v, n](long long done, long long) {
            if (done <= v)
                progress(ProtocolPhase::Validation, done, v);
            else
                progress(ProtocolPhase::Test, done - v, n);
        };
    }
    auto parzen = parzenEvaluate(samples, valid, *testUsed, o.sigmas, parzenProgress, cancel);
    if (!parzen)
        return cancelledResult();
    result.parzen = std::move(*parzen);

    if (o.testCurve) {
        ParzenProgress curveProgress;
        if (progress)
            curveProgress = [&progress](long long done, long long total) { progress(ProtocolPhase::TestCurve, done, total); };
        const auto ll = parzenLogDensity(samples, *testUsed, o.sigmas, curveProgress, cancel);
        if (!ll)
            return cancelledResult();
        for (int k = 0; k < static_cast<int>(o.sigmas.size()); ++k) {
            const MeanAndError me = meanAndStandardError(ll->col(k));
            result.testCurve.push_back({o.sigmas[static_cast<std::size_t>(k)], me.mean, me.standardError});
        }
    }
    result.samples = std::make_shared<const Matrix>(std::move(samples));
    return result;
}

} // namespace

ParzenProtocolResult runParzenProtocol(const Model& model, const Matrix& validation, const Matrix& test,
                                       const ParzenProtocolOptions& options, const ProtocolProgress& progress,
                                       const std::atomic<bool>* cancel)
{
    const auto t0 = Clock::now();
    checkOptions(options, model.visibleSize(), validation, test);
    if (cancel && cancel->load())
        return cancelledResult();
    std::function<void(long long, long long)> chainProgress;
    if (progress)
        chainProgress = [&progress](long long step, long long total) { progress(ProtocolPhase::Sampling, step, total); };
    Matrix samples = chainMeans(model, options.init, options.samples, options.burnin, options.thin, options.seed,
                                chainProgress, cancel);
    if (samples.size() == 0)  // chainMeans returns an empty matrix when cancelled
        return cancelledResult();
    return scoreSamples(std::move(samples), validation, test, options, progress, cancel, t0);
}

ParzenProtocolResult runParzenProtocol(const Matrix& samples, const Matrix& validation, const Matrix& test,
                                       const ParzenProtocolOptions& options, const ProtocolProgress& progress,
                                       const std::atomic<bool>* cancel)
{
    const auto t0 = Clock::now();
    checkOptions(options, samples.cols(), validation, test);
    if (samples.rows() < options.samples)
        fail(kWhere, "samples",
             "expected at least " + std::to_string(options.samples) + " sample rows, got " + std::to_string(samples.rows()));
    return scoreSamples(samples.topRows(options.samples), validation, test, options, progress, cancel, t0);
}

} // namespace gsn
