#pragma once
// Decoding an image file the user named (a mask PNG, a source image) so that a refusal is one message:
// a PNG's chunk structure (lengths, types, CRCs, IEND) is checked before libpng sees it (libpng prints
// its errors to stderr itself), the size in the file's header is checked before anything is decoded, and the warnings libpng or a Qt
// image plugin print while decoding ("libpng warning: ...", "QImageReader: ...") are captured instead of
// reaching the terminal, and quoted (cut, escaped) in the gsn::Error when decoding fails.

#include <QImage>
#include <QString>

#include <cstdint>
#include <string>

namespace gsn {

// The most pixels decoded from a user's image file (64 Mpixel, 256 MB as RGB32): masks and source
// images are a model's size (MNIST: 28 x 28) or a photo to be scaled down.
inline constexpr std::uint64_t kMaxDecodedPixels = std::uint64_t(1) << 26;

// Reads `path` as an image. `field` names it in messages ("mask", "image"), `expected` says what it must be
// ("a PNG image (1-bit or 8-bit)"). Throws gsn::Error "<path>: <field>: expected ..." when the file is
// missing, its header claims more than kMaxDecodedPixels, or it does not decode; prints nothing.
QImage decodeImageFile(const QString& path, const std::string& field, const std::string& expected);

} // namespace gsn
