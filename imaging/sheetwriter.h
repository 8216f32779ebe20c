#pragma once
// Writing sample sheets: PNG (exact pixels, provenance in PNG text chunks), PDF and SVG (the image
// embedded, a caption with the same provenance). Every write is atomic (QSaveFile: a temp file renamed
// over the target on success), so a full disk or an unwritable folder leaves nothing half-written.

#include <QImage>
#include <QString>

#include <cstdint>
#include <utility>
#include <vector>

namespace gsn {

// Where a sheet came from. Entries with empty values are left out of files and captions.
struct SheetProvenance {
    QString modelHash;     // SHA-256 (hex) of the model file, see fileSha256()
    QString modelFile;     // the model file's name
    QString modelKind;     // "gsn2", "dae", "rbm", ...
    QString epoch;         // training epoch of the checkpoint
    QString seed;          // chain seed
    QString steps;         // e.g. "0-99 every 10"
    QString chains;        // e.g. "10 (0-9)"
    QString clamp;         // "none", "right", "mask.png (sha256 ...)"
    QString source;        // start images, e.g. "noise", "test:17"
    std::vector<std::pair<QString, QString>> extra; // anything else, in order

    // (key, value) pairs in a fixed order, keys as written to PNG text chunks:
    // "Model-Hash", "Model-File", "Model-Kind", "Epoch", "Seed", "Steps", "Chains", "Clamp", "Source",
    // then extra; plus "Software" = "GSN Studio".
    std::vector<std::pair<QString, QString>> entries() const;
    // Reads the entries back from an image's text chunks (QImage::text), unknown keys into extra.
    static SheetProvenance fromImage(const QImage& image);
    // One "Key: value" line per entry.
    QString caption() const;
};

enum class SheetFormat { Png, Pdf, Svg };

// The format named by a path's suffix (.png, .pdf, .svg, any case). Throws gsn::Error for others.
SheetFormat sheetFormatFor(const QString& path);

// Writes the sheet to path in the format its suffix names. Throws gsn::Error (path, what failed, the
// system's reason) when the file cannot be written; the target is then left as it was.
void saveSheet(const QImage& sheet, const SheetProvenance& provenance, const QString& path);

// SHA-256 of a file's bytes as 64 hex digits. Throws gsn::Error when the file cannot be read.
QString fileSha256(const QString& path);

} // namespace gsn
