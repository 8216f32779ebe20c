// gsn-studio: the GSN Studio desktop program. Parses the command line, opens the main window and starts
// chains of the given checkpoint (or the embedded default model).

#include "chaincontroller.h"
#include "chainview.h"
#include "glformat.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <QTimer>

#include <cstdio>

int main(int argc, char** argv)
{
    gsn::setDefaultSurfaceFormat(); // before QApplication: the chain view needs OpenGL 3.3 core
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("gsn"));
    QApplication::setApplicationName(QStringLiteral("GSN Studio"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Train denoising auto-encoders and GSNs; watch their Markov chains."));
    parser.addHelpOption();
    QCommandLineOption dataOption(QStringList{QStringLiteral("d"), QStringLiteral("data")},
                                  QStringLiteral("Dataset: mnist-test, mnist-train, fashion-test, faces, or a file."),
                                  QStringLiteral("spec"));
    parser.addOption(dataOption);
    QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a PNG of the window after start-up, then quit."),
                                        QStringLiteral("file"));
    parser.addOption(screenshotOption);
    QCommandLineOption delayOption(QStringLiteral("screenshot-delay"),
                                   QStringLiteral("Milliseconds to wait before the screenshot (default 1500)."),
                                   QStringLiteral("ms"), QStringLiteral("1500"));
    parser.addOption(delayOption);
    QCommandLineOption sizeOption(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1200x800."),
                                  QStringLiteral("WxH"));
    parser.addOption(sizeOption);
    QCommandLineOption colorMapOption(QStringLiteral("colormap"),
                                      QStringLiteral("Colour map: grey, grey-inverted, viridis or inferno."),
                                      QStringLiteral("name"));
    parser.addOption(colorMapOption);
    parser.addPositionalArgument(QStringLiteral("checkpoint"),
                                 QStringLiteral("A .safetensors checkpoint to open (default: the embedded MNIST GSN-2)."),
                                 QStringLiteral("[FILE.safetensors]"));
    parser.process(app);

    gsn::MainWindow window;
    if (parser.isSet(sizeOption)) {
        const QStringList parts = parser.value(sizeOption).split(QLatin1Char('x'));
        if (parts.size() == 2 && parts[0].toInt() > 0 && parts[1].toInt() > 0)
            window.resize(parts[0].toInt(), parts[1].toInt());
    }
    if (parser.isSet(colorMapOption)) {
        gsn::ColorMap map;
        if (!gsn::colorMapFromKey(parser.value(colorMapOption).toStdString(), &map)) {
            std::fprintf(stderr, "gsn-studio: --colormap: expected grey, grey-inverted, viridis or inferno, got '%s'\n",
                         qPrintable(parser.value(colorMapOption)));
            return 2;
        }
        window.setColorMap(map);
    }
    window.show();
    const QString spec = parser.isSet(dataOption)
                             ? parser.value(dataOption)
                             : QSettings().value(QStringLiteral("data/spec"), QStringLiteral("mnist-test")).toString();
    window.loadDataset(spec);
    // The model: the file given, else the embedded default; its chains start at once from random test digits.
    const QStringList files = parser.positionalArguments();
    if (files.isEmpty()) {
        if (window.loadDefaultModel())
            window.chains()->startChains();
    } else {
        // A file that does not open: its message is shown, and the default model runs instead, so the
        // user is never left with idle chains and nothing to train.
        QObject::connect(&window, &gsn::MainWindow::modelLoadFinished, &window, [&window](const QString&, bool ok) {
            if (!ok && !window.currentModel())
                ok = window.loadDefaultModel();
            if (ok && !window.chains()->isRunning())
                window.chains()->startChains();
        }, Qt::SingleShotConnection);
        window.openModel(files.front());
    }
    if (parser.isSet(screenshotOption)) {
        const QString path = parser.value(screenshotOption);
        QTimer::singleShot(parser.value(delayOption).toInt(), &window, [&window, path] {
            const bool saved = gsn::grabWithChainViews(&window).save(path, "PNG");
            QApplication::exit(saved ? 0 : 1);
        });
    }
    return app.exec();
}
