#include "studiosession.h"

#include "chaincontroller.h"
#include "error.h"
#include "filekind.h"
#include "sheetwriter.h"
#include "sourceimage.h"

#include <QEventLoop>
#include <QFileInfo>
#include <QImageReader>

#include <stdexcept>

namespace gsn {

namespace {

// A checkpoint that failed to load: when the file is plainly something else (an image, a dataset, text),
// say so first and what to do with it; the parser's reason stays as the second line.
QString wrongFileMessage(const QString& path, const char* reason)
{
    const FileKind kind = sniffFile(path.toStdString());
    const QString name = QFileInfo(path).fileName();
    QString advice;
    switch (kind) {
    case FileKind::Png:
    case FileKind::Jpeg:
    case FileKind::Gif:
    case FileKind::Bmp:
        advice = StudioSession::tr("; to start the chains from it, use File > Start chains from image");
        break;
    case FileKind::Idx:
    case FileKind::Npy:
    case FileKind::Mat:
    case FileKind::Gzip:
        advice = StudioSession::tr("; if it holds images, open it with File > Open dataset file");
        break;
    default: break;
    }
    const std::string phrase = fileKindPhrase(kind);
    if (phrase.empty())
        return QString::fromStdString(reason);
    return StudioSession::tr("%1 is %2, not a model checkpoint (.safetensors)%3\n%4")
        .arg(name, QString::fromStdString(phrase), advice, QString::fromStdString(reason));
}

// Mean of the outermost ring of pixels of a [height * width] image.
double borderMean(const float* pixels, int width, int height)
{
    double sum = 0.0;
    int count = 0;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            if (y == 0 || x == 0 || y == height - 1 || x == width - 1) {
                sum += pixels[y * width + x];
                ++count;
            }
    return count ? sum / count : 0.0;
}

// True when the dataset's first (up to) 100 images have a dark border on average (MNIST-like).
bool darkBorders(const Dataset& data)
{
    const int n = std::min(data.count(), 100);
    if (n == 0)
        return false;
    double sum = 0.0;
    for (int i = 0; i < n; ++i)
        sum += borderMean(data.pixels.row(i).data(), data.width, data.height);
    return sum / n < 0.5;
}

} // namespace

ModelImageFit fitModelImages(long long visible, const ImageShape& stored, const Dataset* data)
{
    ModelImageFit fit;
    if (data && data->dimension() == visible) {
        fit.width = data->width;
        fit.height = data->height;
        return fit;
    }
    fit.datasetMismatch = data != nullptr;
    if (stored.known()) {
        fit.width = stored.width;
        fit.height = stored.height;
    }
    return fit;
}

namespace {

// "mnist" of "mnist-train-first1000", "fashion" of "fashion-test": datasets of one family share their images.
QString datasetFamily(const std::string& name)
{
    const QString n = QString::fromStdString(name);
    return n.section(QLatin1Char('-'), 0, 0);
}

QString imagesText(int width, int height)
{
    return StudioSession::tr("%1x%2 images").arg(width).arg(height);
}

} // namespace

ModelDataNote modelDataNote(const StudioModel* model, const Dataset* data)
{
    ModelDataNote note;
    if (!model || !model->model)
        return note;
    const int visible = model->model->visibleSize();
    const ImageShape shape = imageShapeFor(model->info, visible);
    const ModelImageFit fit = fitModelImages(visible, shape, data);
    const QString size = fit.known() ? imagesText(fit.width, fit.height)
                                     : StudioSession::tr("%1 pixels (image shape unknown)").arg(visible);
    const std::string& trainedOn = model->info.datasetName;
    QString model_ = trainedOn.empty() ? StudioSession::tr("The model (%1) is not trained on any dataset yet").arg(size)
                                       : StudioSession::tr("The model was trained on %1 (%2)")
                                             .arg(QString::fromStdString(trainedOn), size);
    if (!data) {
        note.text = model_;
        return note;
    }
    const QString loaded = QString::fromStdString(data->name);
    if (data->dimension() != visible || (shape.known() && (shape.width != data->width || shape.height != data->height))) {
        note.mismatch = true;
        note.text = StudioSession::tr("%1; the loaded %2 has %3: its chains cannot start from these images")
                        .arg(model_, loaded, imagesText(data->width, data->height));
    } else if (!trainedOn.empty() && datasetFamily(trainedOn) != datasetFamily(data->name)) {
        note.mismatch = true;
        note.text = StudioSession::tr("%1; the loaded %2 is other data (%3 too): the chains show what this model "
                                      "makes of it")
                        .arg(model_, loaded, imagesText(data->width, data->height));
    } else {
        note.text = StudioSession::tr("%1; the loaded %2 fits it").arg(model_, loaded);
    }
    return note;
}

StudioSession::StudioSession(std::shared_ptr<FrameStaging> staging, QObject* parent) : QObject(parent)
{
    qRegisterMetaType<gsn::StudioModelPtr>();
    m_chains = new ChainController(staging ? std::move(staging) : std::make_shared<FrameStaging>(), this);
    m_training = new TrainingController(this);
    m_evaluation = new EvaluateWorker(this);
    connect(m_chains, &ChainController::error, this, &StudioSession::error);
    connect(m_training, &TrainingController::failed, this, &StudioSession::error);
    connect(m_training, &TrainingController::parametersUpdated, m_chains, &ChainController::updateParameters);
    connect(m_training, &TrainingController::modelTrained, this, &StudioSession::acceptTrainedModel);
}

StudioSession::~StudioSession()
{
    // Workers first, while everything their last signals could reach still exists.
    delete m_training;
    delete m_chains;
}

void StudioSession::setDataset(std::shared_ptr<const Dataset> dataset)
{
    if (!dataset)
        return;
    m_dataset = std::move(dataset);
    m_chains->setDataset(m_dataset);
    emit datasetChanged(m_dataset);
}

bool StudioSession::hasUnsavedWork() const
{
    return m_model && (m_trainedSinceSave || m_training->isRunning());
}

bool StudioSession::mayReplaceModel()
{
    return !hasUnsavedWork() || !m_replaceGuard || m_replaceGuard();
}

bool StudioSession::setModel(StudioModelPtr model)
{
    if (!model || !model->model)
        return false;
    if (!mayReplaceModel())
        return false;
    return installModel(std::move(model));
}

bool StudioSession::installModel(StudioModelPtr model)
{
    if (!model || !model->model)
        return false;
    const int visible = model->model->visibleSize();
    const ImageShape shape = imageShapeFor(model->info, visible);
    const ModelImageFit fit = fitModelImages(visible, shape, m_dataset.get());
    if (fit.datasetMismatch) {
        const Dataset& data = *m_dataset;
        emit error(tr("%1: the model is for %2, but the dataset %3 has %4x%5 images; choose a matching dataset first")
                       .arg(model->name)
                       .arg(shape.known() ? tr("%1x%2 images").arg(shape.width).arg(shape.height)
                                          : tr("%1 pixels").arg(visible))
                       .arg(QString::fromStdString(data.name))
                       .arg(data.width)
                       .arg(data.height));
        return false;
    }
    if (!fit.known()) {
        emit error(tr("%1: load a dataset first: the model does not store its image shape and %2 pixels is "
                      "not a square image").arg(model->name).arg(visible));
        return false;
    }
    try {
        m_training->abandon(); // the run trained the previous model
        if (m_evaluation->isRunning())
            m_evaluation->cancel(); // its figure would belong to the previous model
        m_chains->setModel(model->model, fit.width, fit.height);
    } catch (const std::exception& e) {
        emit error(QString::fromStdString(e.what()));
        return false;
    }
    m_model = std::move(model);
    m_trainedSinceSave = false;
    emit modelChanged(m_model, ModelChange::Installed);
    return true;
}

void StudioSession::acceptTrainedModel(StudioModelPtr model)
{
    // Same architecture as the chains' model: the chains already got the parameters (parametersUpdated).
    m_model = std::move(model);
    m_trainedSinceSave = true;
    emit modelChanged(m_model, ModelChange::Trained);
}

void StudioSession::openModel(const QString& path)
{
    if (!mayReplaceModel()) {
        emit modelLoadFinished(path, false);
        return;
    }
    m_load.start(
        [path](const JobControl&) {
            try {
                Checkpoint checkpoint = loadCheckpoint(path.toStdString());
                return studioModelFromCheckpoint(std::move(checkpoint), QFileInfo(path).fileName(), path,
                                                 fileSha256(path));
            } catch (const std::exception& e) {
                throw std::runtime_error(wrongFileMessage(path, e.what()).toStdString());
            }
        },
        [this, path](StudioModelPtr model) {
            const bool installed = installModel(std::move(model));
            emit modelLoadFinished(path, installed);
        },
        [this, path](const QString& message) {
            emit error(message);
            emit modelLoadFinished(path, false);
        });
}

bool StudioSession::saveModel(const QString& path)
{
    if (!m_model || !m_model->model) {
        emit error(tr("Save: there is no model to save"));
        return false;
    }
    m_saveQueue.emplace_back(path, m_model);
    startNextSave();
    return true;
}

void StudioSession::startNextSave()
{
    if (m_save.isRunning() || m_saveQueue.empty())
        return;
    auto [path, model] = std::move(m_saveQueue.front());
    m_saveQueue.pop_front();
    m_save.start(
        [path, model](const JobControl&) {
            // The snapshot is immutable, so it is written as it was when the save was asked for.
            saveCheckpoint(path.toStdString(), *model->model, model->state.get(), model->info);
            return fileSha256(path); // for sheets' provenance, without reading the file again later
        },
        [this, path, model](const QString& hash) {
            // Still the parameters written (a save before this one may have renamed the entry): now that file's.
            if (m_model && m_model->model == model->model && m_model->state == model->state) {
                auto saved = std::make_shared<StudioModel>(*m_model);
                saved->path = path;
                saved->name = QFileInfo(path).fileName();
                saved->fileHash = hash;
                m_model = std::move(saved);
                m_trainedSinceSave = false;
                emit modelChanged(m_model, ModelChange::Saved);
            }
            emit modelSaveFinished(path, true);
            startNextSave();
        },
        [this, path](const QString& message) {
            emit error(message);
            emit modelSaveFinished(path, false);
            startNextSave();
        });
}

void StudioSession::finishSaves()
{
    if (!isSaving())
        return;
    QEventLoop loop;
    connect(this, &StudioSession::modelSaveFinished, &loop, [&] {
        if (!isSaving())
            loop.quit();
    });
    loop.exec();
}

bool StudioSession::saveModelAndWait(const QString& path)
{
    bool ok = false;
    bool done = false;
    QEventLoop loop;
    const QMetaObject::Connection connection =
        connect(this, &StudioSession::modelSaveFinished, &loop, [&](const QString& finished, bool success) {
            if (finished != path || done)
                return;
            ok = success;
            done = true;
            loop.quit();
        });
    if (saveModel(path) && !done)
        loop.exec();
    disconnect(connection);
    return ok;
}

void StudioSession::startChainsFromImage(const QString& path)
{
    const QString name = QFileInfo(path).fileName();
    const int width = m_chains->width(), height = m_chains->height();
    if (!m_chains->model() || width <= 0 || height <= 0) {
        m_imageRead.cancel(); // an older request still being read is superseded too
        emit error(tr("%1: no model loaded, so there are no chains to start from it").arg(name));
        emit imageStartFinished(path, false, QString());
        return;
    }
    const std::shared_ptr<const Dataset> data = m_dataset;
    const bool datasetDark = data && data->width == width && data->height == height && darkBorders(*data);
    m_imageRead.start(
        [path, name, width, height, datasetDark](const JobControl&) {
            QImageReader reader(path);
            const QImage decoded = reader.read();
            if (decoded.isNull())
                fail(path.toStdString(), "image", "expected a readable image: " + reader.errorString().toStdString());
            SourceImage image = convertToSource(decoded, width, height, {}, name);
            if (datasetDark && borderMean(image.pixels.data(), width, height) > 0.5) {
                for (float& v : image.pixels)
                    v = 1.0f - v; // as SourceConvert::invert does
                image.origin = tr("%1 (inverted: light background)").arg(name);
            }
            return image;
        },
        [this, path](const SourceImage& image) {
            if (m_chains->width() != image.width || m_chains->height() != image.height) {
                emit error(tr("%1: the chains' image size changed while it was read").arg(path));
                emit imageStartFinished(path, false, QString());
                return;
            }
            m_chains->setStartImage(image.pixels, image.origin);
            m_chains->setStart(ChainStart::Image);
            m_chains->reset();
            emit imageStartFinished(path, true, image.origin);
        },
        [this, path](const QString& message) {
            emit error(message);
            emit imageStartFinished(path, false, QString());
        });
}

bool StudioSession::startTraining(TrainingRequest settings)
{
    settings.start = m_model;
    settings.data = m_dataset;
    return m_training->start(settings);
}

void StudioSession::cancelTraining()
{
    m_training->cancel();
}

bool StudioSession::startEvaluation(EvaluationRequest request)
{
    return m_evaluation->start(std::move(request));
}

void StudioSession::cancelEvaluation()
{
    m_evaluation->cancel();
}

} // namespace gsn
