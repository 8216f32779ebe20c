#pragma once
// Linear interpolation between two images in x-space and in each hidden layer's space, decoded back to
// pixels (issue 15 item 3; the "Better mixing via deep representations" demonstration of the overview
// paper, section 5; docs/mixing.md "Interpolation in x, h1 and h2"). What the Class mixing window's
// Interpolation tab and `gsn interpolate` both compute.
//
// Everything is deterministic (noise off, nothing sampled):
//   encode to layer L:  the model's mean-field upward pass (GSN-K: h_i = tanh(h_{i-1} W_{i-1} + b_i),
//                       GsnK::encodeDeterministic; DAE: h = sigmoid(x W0 + b1); RBM: h = P(h = 1 | x))
//   interpolate:        code_t = (1 - t/(N-1)) code_A + t/(N-1) code_B, t = 0..N-1 (endpoints included)
//   decode from L:      the top-down pass through the tied weights (GSN-K: h_{i-1} = tanh(h_i W_{i-1}^T +
//                       b_{i-1}) down to h1, then p = sigmoid(h1 W0^T + b0), GsnK::decodeDeterministic;
//                       DAE and RBM: p = sigmoid(h W0^T + b0))
// With graphUpdates = U > 0 (GSN-K, layers >= 2 only; `gsn interpolate --graph-updates U`) the decoding is
// instead the graph's own, with the layer clamped (GsnK::decodeClamped): U noise-free updates in which
// h1 hears x as well as the layer above, as in the trained graph.
// Layer 0 (x-space) is not encoded or decoded: its row is the pixel interpolation itself, so its
// endpoints are A and B exactly. The row of layer L >= 1 ends at decode_L(encode_L(A)) and
// decode_L(encode_L(B)), the model's deterministic reconstructions of A and B through layer L.

#include "classifier.h"
#include "model.h"
#include "tensor.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace gsn::mixing {

inline constexpr int kMinInterpolationSteps = 2;
inline constexpr int kMaxInterpolationSteps = 64;
inline constexpr int kMaxGraphUpdates = 100;

// The spaces a model can interpolate in: 0 = x, then 1..K (GSN-K: K + 1 spaces; DAE and RBM: 2).
// gsn::Error naming `where` for a model without a deterministic encoder here.
int interpolationSpaces(const Model& model, const std::string& where = "interpolation");
// "x", "h1", "h2", ...
std::string spaceName(int layer);

// The deterministic code of each row of x (shape = [N, n_visible]) at `layer` (shape = [N, size_layer]);
// layer 0 returns x.
Matrix encodeDeterministic(const Model& model, const Matrix& x, int layer);
// The decoded pixel means of codes at `layer` (shape = [N, size_layer] -> [N, n_visible]); layer 0 returns
// the codes. graphUpdates > 0: GsnK::decodeClamped for layers >= 2 of a GSN-K (see the top of this file).
Matrix decodeDeterministic(const Model& model, const Matrix& codes, int layer, int graphUpdates = 0);

// One space's row of the strip.
struct InterpolationRow {
    int layer = 0;          // 0 = x
    std::string space;      // "x", "h1", ...
    Matrix codes;           // shape = [N, size_layer]: the interpolated codes (row 0: A's, row N-1: B's)
    Matrix images;          // shape = [N, n_visible]: the decoded pixel means, values in [0, 1]
    std::vector<int> classes;       // shape = [N]: the classifier's class of each image (-1 without classifier)
    std::vector<float> confidence;  // shape = [N]: its probability
    // Smoothness figures. meanStep and maxStep: the Euclidean pixel distance between consecutive
    // images (N - 1 pairs), mean and largest. pathRatio: the sum of those distances over the distance
    // between the row's two endpoints (1 for a straight path in pixel space, larger when the images
    // jump). offFraction: of the N - 2 interior images, those the classifier calls neither endpoint's
    // class or is unsure of (max probability < kUnsureBelow) (NaN without classifier or interior).
    // unsureFraction: of the interior images, those it is unsure of. greyFraction: of the interior
    // images' pixels, those with a mean in [0.2, 0.8] (blur: a superposition of two digits is grey).
    double meanStep = 0, maxStep = 0, pathRatio = 0;
    double offFraction = 0, unsureFraction = 0, greyFraction = 0;
};

struct Interpolation {
    int steps = 0;
    int graphUpdates = 0;         // 0: the top-down decoding
    int classA = -1, classB = -1; // the endpoints' classes the off-fraction is counted against
    std::vector<InterpolationRow> rows; // one per space, x first
};

// Interpolates between images a and b (each shape = [1, n_visible], values in [0, 1]) with `steps`
// points (kMinInterpolationSteps..kMaxInterpolationSteps) in every space of the model (or, when `layers`
// is not empty, in those: each in [0, interpolationSpaces)). classA and classB are the endpoints' classes
// (e.g. the test labels); -1 takes the classifier's class of a and b. classifier may be null (no class
// figures). One batched pass per space. gsn::Error naming `where` and the field for bad input.
Interpolation interpolate(const Model& model, const Classifier* classifier, const Matrix& a, const Matrix& b, int steps,
                          int classA = -1, int classB = -1, const std::vector<int>& layers = {},
                          const std::string& where = "interpolation", int graphUpdates = 0);

// One row's figures in a line ("step 1.23 (max 2.34), path ratio 1.05, off-class 20 %, unsure 10 %, grey
// pixels 4.1 %"; "-" where undefined): the caption under a strip's row.
std::string interpolationSummary(const InterpolationRow& row);

// The figures as JSON (docs/mixing.md): {"steps", "decode" ("top-down" or "graph, U updates"), "class_a",
// "class_b", "spaces": [{"space", "layer", "mean_step", "max_step", "path_ratio", "off_fraction",
// "unsure_fraction", "grey_fraction", "classes", "confidence"}]}; NaN figures are null.
nlohmann::json interpolationJson(const Interpolation& result);

} // namespace gsn::mixing
