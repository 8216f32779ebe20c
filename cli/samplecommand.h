#pragma once
// `gsn sample`: runs C chains of a checkpoint for S steps and writes a sample sheet (PNG, PDF, SVG)
// or the raw means (NPY). Renders with Qt Gui (imaging/), no widgets.
//
//   gsn sample --model FILE --chains C --steps S [--every K] [--first F] [--seed S]
//              [--init noise|zeros|test:INDEX] [--clamp left|right|top|bottom|centre|border|MASK.png]
//              [--free noise|zeros|source] [--data SPEC] [--scale N] [--padding N] [--colormap KEY]
//              --out FILE.png|FILE.pdf|FILE.svg|FILE.npy
//
// Shown steps: F, F+K, F+2K, ... <= S (default F = K, so S/K columns; --first 0 adds the start images).
// PNG/PDF/SVG: a sheet, one row per chain, one column per shown step, provenance in text chunks/caption.
// NPY: float32 array [C, shown steps, height, width] of the displayed means.
// test:INDEX starts chain c at test image INDEX + c (the model's dataset's test split, or --data).
// With --clamp, the clamped pixels hold chain c's test image and the free pixels start from --free
// (default noise; source: the test image itself). The old words "zero" (zeros) and, for --free, "image"
// (source) are still accepted. The GSN paper's inpainting figure is `--init test:0 --clamp right`.

#include "commands.h"

namespace gsn::commands {

int sample(const Args& args);

} // namespace gsn::commands
