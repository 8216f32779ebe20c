#pragma once
// The Interpolation tab of the Class mixing window (issue 15 item 3; docs/mixing.md "Interpolation in
// x, h1 and h2"): two MNIST test digits A and B, a model of the window's panels (the default GSN-2 first)
// and a number of steps; one strip with a row per space (x, h1, h2 of a GSN-2; x, h1 of a DAE or an RBM)
// of the linear interpolation between A's and B's codes there, decoded back to pixels deterministically
// (engine/eval/interpolation.h, the code `gsn interpolate` runs), the row's figures under it. File >
// Export writes the strip as PNG (atomic, with provenance, as sample sheets are).
//
// Threads: each change of the controls starts one BackgroundJob (superseding the one running) that loads
// what it needs (the test set, the checkpoint, the classifier: kept once loaded) and computes the strip;
// the GUI thread draws the result and never waits.

#include "backgroundjob.h"
#include "classifier.h"
#include "dataset.h"
#include "interpolation.h"
#include "model.h"

#include <QImage>
#include <QWidget>

#include <map>
#include <memory>
#include <string>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace gsn {

class ClassInterpolationView : public QWidget {
    Q_OBJECT
public:
    explicit ClassInterpolationView(QWidget* parent = nullptr);
    ~ClassInterpolationView() override;

    // Controls (each computes a new strip, as the widgets do).
    void setDigits(int a, int b);
    void setSteps(int steps);
    // Index into classMixingModelChoices() (the distinct checkpoints of the window's panels).
    void setModel(int index);
    // Computes the strip for the current controls (also done on the first show).
    void refresh();

    // Drops the job under way, if any (closing the window); the next change of the controls starts anew.
    void cancel();
    bool isBusy() const { return m_job.isRunning() || m_pending; }
    // The last strip drawn (null before the first) and its figures.
    const QImage& strip() const { return m_strip; }
    std::shared_ptr<const mixing::Interpolation> result() const { return m_result; }
    QString lastError() const { return m_lastError; }
    QString statusText() const;

    // Writes the strip atomically (PNG, or PDF/SVG by the suffix) with its provenance. gsn::Error naming
    // the file on failure, or when there is no strip yet.
    void exportStrip(const QString& path) const;
    void exportWithDialog();

signals:
    void stripChanged();
    void errorShown(const QString& message);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void schedule();

    QComboBox* m_model = nullptr;
    QSpinBox* m_a = nullptr;
    QSpinBox* m_b = nullptr;
    QSpinBox* m_steps = nullptr;
    QPushButton* m_export = nullptr;
    QLabel* m_image = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_explain = nullptr;

    BackgroundJob m_job{this};
    bool m_pending = false;
    bool m_shown = false;
    // Loaded once by a job, then handed to every later job (immutable).
    std::shared_ptr<const Dataset> m_test;
    std::shared_ptr<const Classifier> m_classifier;
    std::map<std::string, std::shared_ptr<const Model>> m_models; // by resource
    QImage m_strip;
    std::shared_ptr<const mixing::Interpolation> m_result;
    QString m_title;
    QString m_modelName; // of the strip shown
    QString m_resource;
    QString m_source;
    QString m_lastError;
};

} // namespace gsn
