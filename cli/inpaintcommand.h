#pragma once
// `gsn inpaint`: clamped chains of a checkpoint (SPEC 3, the GSN paper's inpainting figure) -> sheet.
//
//   gsn inpaint --model FILE --image test:INDEX|IMAGE.png --mask left|right|top|bottom|centre|border|MASK.png
//               --chains N --steps S [--seed S] [--init noise|zeros|source] [--every K] [--same] [--fit]
//               [--invert] [--scale-mask] [--data SPEC] [--scale N] [--padding N] [--mean FILE.png]
//               [--spread FILE.png] [--save-mask FILE.png] --out SHEET.png|pdf|svg
//
// test:INDEX: chain c clamps test image INDEX + c (the paper's figure: one digit per row); with --same
// every chain clamps test image INDEX. IMAGE.png: every chain clamps that image; it must be grey and of
// the model's size unless --fit (grey, centre crop, scale; --invert flips it). A MASK.png of another
// size is refused unless --scale-mask. Free pixels start from --init (default noise: uniform (0,1); zeros;
// source: the source image; the old word "zero" still means zeros).
// The sheet shows steps 0 (start), K, 2K, ... <= S, one row per chain; its provenance carries the mask
// and the source image (base64 PNG text chunks "Mask" and "Source-Image"). --mean/--spread write the
// per-pixel mean completion and spread (std over chains and steps 1..S, scaled by 2) when all chains
// share one source image. An empty or fully clamped mask is refused with a clear message.

#include "commands.h"

namespace gsn::commands {

int inpaint(const Args& args);

} // namespace gsn::commands
