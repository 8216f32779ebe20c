#include "sheetwriter.h"

#include "error.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QFont>
#include <QFontMetricsF>
#include <QImageWriter>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>

#include <algorithm>
#include <cmath>
#include <functional>

namespace gsn {

namespace {

const char* const kKeys[] = {"Model-Hash", "Model-File", "Model-Kind", "Epoch", "Seed",
                             "Steps",      "Chains",     "Clamp",      "Source"};
constexpr double kMargin = 12.0;      // points (PDF) / pixels (SVG) around the sheet
constexpr double kCaptionPoint = 7.0; // caption font size

[[noreturn]] void failWrite(const QString& path, const std::string& field, const QString& reason)
{
    fail(path.toStdString(), field, reason.toStdString());
}

// Renders the whole file into memory first, then writes it with one checked write, an explicit flush
// and a commit: QPdfWriter and QSvgGenerator do not report failed writes, and QSaveFile alone can miss
// a failure of the final buffer flush. On any failure the temp file is discarded, the target untouched.
void writeAtomically(const QString& path, const std::function<bool(QIODevice&, QString*)>& render)
{
    QByteArray bytes;
    {
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        QString reason;
        if (!render(buffer, &reason))
            failWrite(path, "render", "nothing written: " + (reason.isEmpty() ? QString("unknown error") : reason));
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        failWrite(path, "open", "cannot write here (" + file.errorString() + ")");
    const bool written = file.write(bytes) == bytes.size() && file.flush() && file.error() == QFileDevice::NoError;
    if (!written) {
        const QString why = file.errorString();
        file.cancelWriting();
        failWrite(path, "write", "nothing written: " + why + " (disk full or not writable?)");
    }
    if (!file.commit())
        failWrite(path, "write", "nothing written: " + file.errorString() + " (disk full or not writable?)");
}

// Caption lines and the page layout shared by PDF and SVG: sheet at (margin, margin), caption below.
struct PageLayout {
    QSizeF page;
    QRectF imageRect;
    QPointF captionOrigin;
    double lineHeight = 0;
    QStringList lines;
    QFont font;
};

PageLayout layoutPage(const QImage& sheet, const SheetProvenance& provenance, QPaintDevice* device)
{
    PageLayout l;
    l.font = QFont("DejaVu Sans");
    l.font.setPointSizeF(kCaptionPoint);
    const QFontMetricsF metrics(l.font, device);
    l.lines = provenance.caption().split('\n', Qt::SkipEmptyParts);
    double textWidth = 0;
    for (const QString& line : l.lines)
        textWidth = std::max(textWidth, metrics.horizontalAdvance(line));
    l.lineHeight = metrics.lineSpacing();
    const double width = std::max<double>(sheet.width(), textWidth) + 2 * kMargin;
    const double height = sheet.height() + 2 * kMargin + l.lines.size() * l.lineHeight;
    l.page = QSizeF(std::ceil(width), std::ceil(height));
    l.imageRect = QRectF(kMargin, kMargin, sheet.width(), sheet.height());
    l.captionOrigin = QPointF(kMargin, kMargin + sheet.height() + kMargin * 0.5 + metrics.ascent());
    return l;
}

void paintPage(QPainter& painter, const QImage& sheet, const PageLayout& l)
{
    painter.fillRect(QRectF(QPointF(0, 0), l.page), Qt::white);
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(l.imageRect, sheet);
    painter.setFont(l.font);
    painter.setPen(Qt::black);
    for (int i = 0; i < l.lines.size(); ++i)
        painter.drawText(l.captionOrigin + QPointF(0, i * l.lineHeight), l.lines[i]);
}

void writePng(const QImage& sheet, const SheetProvenance& provenance, const QString& path)
{
    QImage image = sheet;
    for (const auto& [key, value] : provenance.entries())
        image.setText(key, value);
    writeAtomically(path, [&](QIODevice& file, QString* reason) {
        QImageWriter writer(&file, "png");
        if (writer.write(image))
            return true;
        *reason = writer.errorString();
        return false;
    });
}

void writePdf(const QImage& sheet, const SheetProvenance& provenance, const QString& path)
{
    writeAtomically(path, [&](QIODevice& file, QString* reason) {
        QPdfWriter pdf(&file);
        // 72 dpi: one device unit = one point, so the sheet's pixel grid maps 1:1 onto points and
        // `pdftoppm -r 72` renders it back at its own size.
        pdf.setResolution(72);
        pdf.setCreator("GSN Studio");
        pdf.setTitle("GSN sample sheet");
        const PageLayout l = layoutPage(sheet, provenance, &pdf);
        pdf.setPageSize(QPageSize(l.page, QPageSize::Point, QString(), QPageSize::ExactMatch));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout::Point);
        QPainter painter;
        if (!painter.begin(&pdf)) {
            *reason = "cannot start the PDF";
            return false;
        }
        paintPage(painter, sheet, l);
        return painter.end();
    });
}

void writeSvg(const QImage& sheet, const SheetProvenance& provenance, const QString& path)
{
    writeAtomically(path, [&](QIODevice& file, QString* reason) {
        QSvgGenerator svg;
        svg.setOutputDevice(&file);
        svg.setTitle("GSN sample sheet");
        svg.setDescription(provenance.caption());
        svg.setResolution(72);
        const PageLayout l = layoutPage(sheet, provenance, &svg);
        svg.setSize(l.page.toSize());
        svg.setViewBox(QRectF(QPointF(0, 0), l.page));
        QPainter painter;
        if (!painter.begin(&svg)) {
            *reason = "cannot start the SVG";
            return false;
        }
        paintPage(painter, sheet, l);
        return painter.end();
    });
}

} // namespace

std::vector<std::pair<QString, QString>> SheetProvenance::entries() const
{
    const QString values[] = {modelHash, modelFile, modelKind, epoch, seed, steps, chains, clamp, source};
    std::vector<std::pair<QString, QString>> out;
    for (std::size_t i = 0; i < std::size(kKeys); ++i)
        if (!values[i].isEmpty())
            out.emplace_back(kKeys[i], values[i]);
    for (const auto& e : extra)
        if (!e.first.isEmpty() && !e.second.isEmpty())
            out.push_back(e);
    out.emplace_back("Software", "GSN Studio");
    return out;
}

SheetProvenance SheetProvenance::fromImage(const QImage& image)
{
    SheetProvenance p;
    QString* fields[] = {&p.modelHash, &p.modelFile, &p.modelKind, &p.epoch, &p.seed,
                         &p.steps,     &p.chains,    &p.clamp,     &p.source};
    for (const QString& key : image.textKeys()) {
        const auto it = std::find(std::begin(kKeys), std::end(kKeys), key);
        if (it != std::end(kKeys))
            *fields[it - std::begin(kKeys)] = image.text(key);
        else if (key != "Software")
            p.extra.emplace_back(key, image.text(key));
    }
    return p;
}

QString SheetProvenance::caption() const
{
    QStringList lines;
    for (const auto& [key, value] : entries())
        lines << key + ": " + value;
    return lines.join('\n');
}

SheetFormat sheetFormatFor(const QString& path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == "png")
        return SheetFormat::Png;
    if (suffix == "pdf")
        return SheetFormat::Pdf;
    if (suffix == "svg")
        return SheetFormat::Svg;
    fail(path.toStdString(), "format", "expected a .png, .pdf or .svg file name, got '." + suffix.toStdString() + "'");
}

void saveSheet(const QImage& sheet, const SheetProvenance& provenance, const QString& path)
{
    if (sheet.isNull())
        fail(path.toStdString(), "sheet", "expected an image, got none");
    switch (sheetFormatFor(path)) {
    case SheetFormat::Png: writePng(sheet, provenance, path); break;
    case SheetFormat::Pdf: writePdf(sheet, provenance, path); break;
    case SheetFormat::Svg: writeSvg(sheet, provenance, path); break;
    }
}

QString fileSha256(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        failWrite(path, "read", file.errorString());
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file))
        failWrite(path, "read", file.errorString());
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace gsn
