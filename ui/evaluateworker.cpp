#include "evaluateworker.h"

#include "checkpoint.h"
#include "datasets.h"
#include "error.h"
#include "evalprotocol.h"

#include <chrono>
#include <cstring>

namespace gsn {

namespace {

std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t bytes)
{
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

} // namespace

QString evaluationStartWord(const EvaluationRequest& request)
{
    switch (request.start) {
    case EvaluationStart::Noise: return QStringLiteral("noise");
    case EvaluationStart::Zeros: return QStringLiteral("zeros");
    case EvaluationStart::TestImage: break;
    }
    return QStringLiteral("test:%1").arg(request.startImage);
}

QString modelParameterHash(const Model& model)
{
    // parameters() is not const in the interface but only hands out references; nothing is written.
    std::vector<ParamRef> params = const_cast<Model&>(model).parameters();
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const ParamRef& p : params) {
        h = fnv1a(h, p.name.data(), p.name.size());
        const std::int64_t shape[2] = {static_cast<std::int64_t>(p.value->rows()),
                                       static_cast<std::int64_t>(p.value->cols())};
        h = fnv1a(h, shape, sizeof shape);
        // Word-wise over the floats: byte-wise FNV over 27 MB of GSN-2 weights would take ~0.1 s.
        const float* v = p.value->data();
        const std::size_t count = static_cast<std::size_t>(p.value->size());
        for (std::size_t i = 0; i < count; ++i) {
            std::uint32_t word;
            std::memcpy(&word, v + i, sizeof word);
            h = (h ^ word) * 0x100000001b3ull;
        }
    }
    return QStringLiteral("%1").arg(h, 16, 16, QLatin1Char('0'));
}

EvaluateWorker::EvaluateWorker(QObject* parent) : QObject(parent) {}

bool EvaluateWorker::start(EvaluationRequest request)
{
    if (isRunning())
        return false;
    m_job.start([this, request = std::move(request)](const JobControl& job) { return run(request, job, this); },
                [this](std::shared_ptr<const EvaluationOutcome> outcome) {
                    if (outcome)
                        emit finished(std::move(outcome));
                    else
                        emit cancelled();
                },
                [this](const QString& message) { emit failed(message); });
    emit started();
    return true;
}

void EvaluateWorker::cancel()
{
    m_job.requestStop(); // what the job returns (cancelled) is still delivered
}

std::shared_ptr<const EvaluationOutcome> EvaluateWorker::run(EvaluationRequest request, const JobControl& job,
                                                             EvaluateWorker* self)
{
    int lastPermille = -1;
    const auto report = [&](int permille, const QString& phase) {
        if (permille == lastPermille)
            return;
        lastPermille = permille;
        job.post([self, permille, phase] { emit self->progress(permille, phase); });
    };
    const std::atomic<bool>* cancel = job.cancelFlag();
    const auto t0 = std::chrono::steady_clock::now();
    // A std::exception thrown from here on reaches the GUI as the job's error (failed).
    {
        auto outcome = std::make_shared<EvaluationOutcome>();
        outcome->request = std::move(request);
        EvaluationRequest& req = outcome->request;
        if (!req.model && !req.checkpointPath.isEmpty()) {
            report(0, tr("Loading %1").arg(req.checkpointPath));
            Checkpoint ck = loadCheckpoint(req.checkpointPath.toStdString());
            const nlohmann::json& epoch = ck.metadata.value("epoch", nlohmann::json());
            if (epoch.is_number_integer())
                req.epoch = epoch.get<int>();
            else if (epoch.is_string())
                req.epoch = std::stoi(epoch.get<std::string>());
            req.model = std::shared_ptr<const Model>(std::move(ck.model));
        }
        const bool baseline = !req.model;
        ParzenProtocolOptions options;
        options.samples = req.samples;
        options.burnin = req.burnin;
        options.thin = req.thin;
        options.seed = req.seed;
        report(0, tr("Loading MNIST validation and test digits"));
        if (!req.sets.validation) {
            // Only the rows the protocol scores are kept for later jobs.
            Matrix valid = loadDataset("mnist-valid").pixels;
            if (valid.rows() > options.validationRows)
                valid = valid.topRows(options.validationRows).eval();
            req.sets.validation = std::make_shared<const Matrix>(std::move(valid));
        }
        if (!req.sets.test)
            req.sets.test = std::make_shared<const Matrix>(loadDataset("mnist-test").pixels);
        if (job.cancelled())
            return nullptr;

        // Sampling takes the first half of the bar for a model; Parzen the rest (all of it for the baseline).
        const int parzenStart = baseline ? 0 : 500;
        const long long parzenTotal = options.validationRows + req.sets.test->rows();
        const QString samplingPhase = tr("Sampling one chain (burn-in %1, thin %2)").arg(req.burnin).arg(req.thin);
        const QString parzenPhase = tr("Parzen windows: %1 samples").arg(req.samples);
        const auto parzenReport = [&](long long done) {
            report(parzenStart + static_cast<int>((1000 - parzenStart) * done / parzenTotal), parzenPhase);
        };
        const ProtocolProgress progress = [&](ProtocolPhase phase, long long done, long long total) {
            switch (phase) {
            case ProtocolPhase::Sampling:
                report(static_cast<int>(500 * done / total), samplingPhase);
                break;
            case ProtocolPhase::Validation:
                parzenReport(done);
                break;
            case ProtocolPhase::Test:
                parzenReport(options.validationRows + done);
                break;
            case ProtocolPhase::TestCurve:  // not requested here
                break;
            }
        };

        ParzenProtocolResult result;
        if (baseline) {
            const Dataset train = loadDataset("mnist-train");
            if (train.count() < req.samples)
                fail("mnist-train", "rows", "expected at least " + std::to_string(req.samples) + " images");
            result = runParzenProtocol(train.pixels, *req.sets.validation, *req.sets.test, options, progress, cancel);
        } else {
            if (req.model->visibleSize() != req.sets.test->cols())
                fail("evaluate", "model",
                     "expected a model of MNIST digits (" + std::to_string(req.sets.test->cols()) + " pixels), got " +
                         std::to_string(req.model->visibleSize()) + " visible units");
            outcome->modelHash = modelParameterHash(*req.model);
            switch (req.start) {
            case EvaluationStart::Noise: options.init = ChainInit::noise(); break;
            case EvaluationStart::Zeros: options.init = ChainInit::zeros(); break;
            case EvaluationStart::TestImage:
                if (req.startImage < 0 || req.startImage >= req.sets.test->rows())
                    fail("evaluate", "start image", "expected a test image index from 0 to " +
                                                        std::to_string(req.sets.test->rows() - 1));
                options.init = ChainInit::fromRow(*req.sets.test, req.startImage);
                break;
            }
            result = runParzenProtocol(*req.model, *req.sets.validation, *req.sets.test, options, progress, cancel);
        }
        if (result.cancelled)
            return nullptr;
        outcome->samples = std::move(result.samples);
        outcome->result = std::move(result.parzen);
        outcome->totalSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        report(1000, tr("Done"));
        return outcome;
    }
}

} // namespace gsn
