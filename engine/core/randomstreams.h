#pragma once
// The one table of random streams (issue 11 item 3).
//
// Every random draw comes from Philox(seed, stream, step) (random.h). This header is the only place
// that says which (stream, step) keys each purpose uses: the constants and functions below give the
// ids, kTable lists every purpose with its key range, and tests/tst_randomstreams.cpp checks that the
// ranges of one scope are pairwise disjoint (apart from the pre-existing overlaps in kSharedKeys, each
// with its reason). A new purpose adds a constant here and a row in kTable, never a literal elsewhere.
//
// Scopes are computations that never share one seed: the draws of one model (its initialisation, its
// training, chains on it, gsn eval's chain), the digit classifier, and the non-parametric DAE lab
// estimators. Keys only need to be distinct within a scope.
//
// History: until issue 11 the RBM initialised weight row i from (i, kChainStartStep), the key of
// chain i's start noise, so with the default seeds (both 1) a new RBM's noise-started chains began
// correlated with its weights. RBM weights now have their own range (kRbmInitStream): RBM initial
// weights, and so everything trained from a new RBM, changed; every other stream kept its value.

#include <array>
#include <cstdint>
#include <string_view>

namespace gsn::streams {

inline constexpr std::uint64_t kLastStep = ~std::uint64_t{0};

// --- Chains (ChainSet, chainMeans, every Model::stepChains) -------------------------------------
// Chain indices are below 2^32 (the tempering ids below put the replica above bit 40).
inline constexpr std::uint64_t kMaxChains = std::uint64_t{1} << 32;
// Chain c's noise at chain step t: Philox(seed, chainStream(c), t), t in [0, kLastStep).
constexpr std::uint64_t chainStream(std::uint64_t chain) { return chain; }
// Chain c's start noise (ChainInit::noise): Philox(seed, chainStream(c), kChainStartStep). Chains
// never reach this step, so it does not overlap their noise.
inline constexpr std::uint64_t kChainStartStep = kLastStep;

// --- Parallel tempering (TemperingSampler) ------------------------------------------------------
// Replica r of chain c: c | r << 40 (r = 0 is chainStream(c), so R = 1 reproduces plain Gibbs;
// r in [1, kMaxReplicas)); chain c's swap decisions: c | 0xFFFFF << 40. Steps: chain steps.
inline constexpr std::uint64_t kMaxReplicas = 0xFFFFF;
constexpr std::uint64_t temperingReplicaStream(std::uint64_t chain, std::uint64_t replica)
{
    return chain | (replica << 40);
}
constexpr std::uint64_t temperingSwapStream(std::uint64_t chain) { return chain | (kMaxReplicas << 40); }

// --- Training (Trainer, gsn train, gsn bench) ---------------------------------------------------
// Example indices are dataset rows, below 2^31.
inline constexpr std::uint64_t kMaxExamples = std::uint64_t{1} << 31;
// Batch row noise of example i at global batch t: Philox(seed, trainingRowStream(i), t).
constexpr std::uint64_t trainingRowStream(std::uint64_t example) { return example; }
// Fisher-Yates order of epoch e: Philox(seed, kShuffleStream, e).
inline constexpr std::uint64_t kShuffleStream = 0x8000000000000000ull;
// RBM persistent (PCD) chain j: start Philox(seed, pcdStream(j), kChainStartStep), noise at training
// step t Philox(seed, pcdStream(j), t). j below 2^31.
constexpr std::uint64_t pcdStream(std::uint64_t j) { return (std::uint64_t{1} << 32) | j; }

// --- Model initialisation (createModel) ---------------------------------------------------------
// GsnK / Dae weight matrix i: Philox(seed, kModelInitStream + i, kModelInitStep).
inline constexpr std::uint64_t kModelInitStream = 0xF000000000000000ull;
inline constexpr std::uint64_t kModelInitStep = 0;
// Rbm weight row i (i < n_visible < 2^32): Philox(seed, kRbmInitStream + i, kModelInitStep).
inline constexpr std::uint64_t kRbmInitStream = 0xF000000100000000ull;

// --- Other draws in the scope of a model --------------------------------------------------------
// Studio "random test image" chain starts, reset k: Philox(seed, kPickStream, k) (ui/chaincontroller).
inline constexpr std::uint64_t kPickStream = 0x7000000000000000ull;
// ClampMask Random preset: Philox(options.seed, kRandomMaskStream, 0) ("mask" in ASCII).
inline constexpr std::uint64_t kRandomMaskStream = 0x6d61736bull << 32;
// gsn eval --binarize-stochastic: row r of set s (0 samples, 1 validation, 2 test):
// Philox(seed, evalBinarizeStream(r), s).
constexpr std::uint64_t evalBinarizeStream(std::uint64_t row) { return row; }

// --- Targets and samplers on points (target.h, rwmhsampler.h; the mode-mixing lab) ------------
// Exact draw i of a target (Target::sample): Philox(seed, targetDrawStream(i), 0), i below 2^32.
inline constexpr std::uint64_t kTargetDrawStream = 0x5100000000000000ull;
constexpr std::uint64_t targetDrawStream(std::uint64_t draw) { return kTargetDrawStream | draw; }
// Random-walk Metropolis chain c at chain step t: Philox(seed, rwmhStream(c), t) gives the d proposal
// normals, then the acceptance uniform. c below 2^32.
inline constexpr std::uint64_t kRwmhStream = 0x5000000000000000ull;
constexpr std::uint64_t rwmhStream(std::uint64_t chain) { return kRwmhStream | chain; }

// MALA and ULA chain c at chain step t (LangevinSampler): Philox(seed, langevinStream(c), t), the same
// word order as rwmh (d normals, then the acceptance uniform for MALA). c below 2^32.
inline constexpr std::uint64_t kLangevinStream = 0x5200000000000000ull;
constexpr std::uint64_t langevinStream(std::uint64_t chain) { return kLangevinStream | chain; }
// Parallel tempering on points ("pt", PtSampler): chain c's swap uniforms at chain step t (one per
// neighbouring pair, in pair order): Philox(seed, pointSwapStream(c), t). Replica r of chain c is row
// r * C + c of the base sampler's state and draws from the base sampler's stream of that row.
inline constexpr std::uint64_t kPointSwapStream = 0x5300000000000000ull;
constexpr std::uint64_t pointSwapStream(std::uint64_t chain) { return kPointSwapStream | chain; }
// Langevin on a DAE's learned score (DaeScoreSampler) chain c at step t: Philox(seed, daeScoreStream(c), t).
inline constexpr std::uint64_t kDaeScoreStream = 0x5400000000000000ull;
constexpr std::uint64_t daeScoreStream(std::uint64_t chain) { return kDaeScoreStream | chain; }
// Training a dae-gauss on target draws (trainDaeOnTarget): the draws are Target::sample with the
// training seed; the trainer's own keys are "training rows" / "training shuffle".

// --- Digit classifier (classifier.cpp; its own model and seed) ----------------------------------
inline constexpr std::uint64_t kClassifierInitStream = 0;  // Glorot weights: Philox(seed, 0, 0)
inline constexpr std::uint64_t kClassifierShuffleStream = std::uint64_t{1} << 63;  // epoch e: step e

// --- Non-parametric DAEs (npdae.cpp; laboratory estimators with their own seeds) ----------------
// Draw / training pair i: Philox(seed, i, 0); chain c (or row c) at step t: Philox(seed, c, t).
constexpr std::uint64_t npdaeStream(std::uint64_t index) { return index; }

// --- The table ----------------------------------------------------------------------------------
enum class Scope { Model, Classifier, NpDae };

// Keys [firstStream, lastStream] x [firstStep, lastStep], both inclusive.
struct KeyRange {
    std::uint64_t firstStream, lastStream, firstStep, lastStep;
};

struct Purpose {
    std::string_view name;
    Scope scope;
    KeyRange keys;
    std::string_view users;  // who draws from it
};

// True when the two ranges share at least one (stream, step) key.
constexpr bool overlap(const KeyRange& a, const KeyRange& b)
{
    return a.firstStream <= b.lastStream && b.firstStream <= a.lastStream && a.firstStep <= b.lastStep &&
           b.firstStep <= a.lastStep;
}

inline constexpr std::uint64_t kMaxEpochs = std::uint64_t{1} << 31;

inline constexpr std::array kTable{
    Purpose{"chain start", Scope::Model, {0, kMaxChains - 1, kChainStartStep, kChainStartStep},
            "initialState (ChainInit::noise): gsn sample/inpaint/eval, studio chains"},
    Purpose{"chain steps", Scope::Model, {0, kMaxChains - 1, 0, kLastStep - 1},
            "Model::stepChains of GsnK, Dae, Rbm; tempering replica 0"},
    Purpose{"tempering replicas", Scope::Model,
            {temperingReplicaStream(0, 1), temperingReplicaStream(kMaxChains - 1, kMaxReplicas - 1), 0, kLastStep - 1},
            "TemperingSampler, replicas 1 .. R-1"},
    Purpose{"tempering swaps", Scope::Model,
            {temperingSwapStream(0), temperingSwapStream(kMaxChains - 1), 0, kLastStep - 1},
            "TemperingSampler swap decisions"},
    Purpose{"training rows", Scope::Model, {0, kMaxExamples - 1, 0, kLastStep - 1},
            "Trainer, gsn bench: corruption / walkback / CD noise of a batch row (NoiseKey)"},
    Purpose{"training shuffle", Scope::Model, {kShuffleStream, kShuffleStream, 0, kMaxEpochs - 1},
            "Trainer::epochOrder"},
    Purpose{"pcd start", Scope::Model, {pcdStream(0), pcdStream(kMaxExamples - 1), kChainStartStep, kChainStartStep},
            "Rbm constructor, persistent chains"},
    Purpose{"pcd steps", Scope::Model, {pcdStream(0), pcdStream(kMaxExamples - 1), 0, kLastStep - 1},
            "Rbm::lossAndGradient with PCD"},
    Purpose{"gsn/dae init", Scope::Model,
            {kModelInitStream, kModelInitStream + 0xFFFFFFFFull, kModelInitStep, kModelInitStep},
            "GsnK and Dae constructors (modelmath::initUniform), weight matrix i"},
    Purpose{"rbm init", Scope::Model, {kRbmInitStream, kRbmInitStream + 0xFFFFFFFFull, kModelInitStep, kModelInitStep},
            "Rbm constructor, weight row i"},
    Purpose{"chain image pick", Scope::Model, {kPickStream, kPickStream, 0, kLastStep},
            "ui ChainController: random test images as chain starts"},
    Purpose{"random clamp mask", Scope::Model, {kRandomMaskStream, kRandomMaskStream, 0, 0},
            "makeRandomMask (MaskPreset::Random)"},
    Purpose{"eval binarize", Scope::Model, {0, kMaxExamples - 1, 0, 2}, "gsn eval --binarize-stochastic"},
    Purpose{"target draws", Scope::Model, {targetDrawStream(0), targetDrawStream(kMaxChains - 1), 0, 0},
            "Target::sample (exact reference draws, chain starts on points)"},
    Purpose{"rwmh steps", Scope::Model, {rwmhStream(0), rwmhStream(kMaxChains - 1), 0, kLastStep - 1},
            "RwmhSampler::step: proposal and acceptance of chain c"},
    Purpose{"langevin steps", Scope::Model, {langevinStream(0), langevinStream(kMaxChains - 1), 0, kLastStep - 1},
            "LangevinSampler::step (mala, ula): proposal and acceptance of chain c"},
    Purpose{"point tempering swaps", Scope::Model,
            {pointSwapStream(0), pointSwapStream(kMaxChains - 1), 0, kLastStep - 1},
            "PtSampler::step: neighbour swap decisions of chain c"},
    Purpose{"dae score langevin", Scope::Model, {daeScoreStream(0), daeScoreStream(kMaxChains - 1), 0, kLastStep - 1},
            "DaeScoreSampler::step: Langevin noise of chain c"},
    Purpose{"classifier init", Scope::Classifier, {kClassifierInitStream, kClassifierInitStream, 0, 0},
            "Classifier constructor"},
    Purpose{"classifier shuffle", Scope::Classifier,
            {kClassifierShuffleStream, kClassifierShuffleStream, 0, kMaxEpochs - 1}, "trainClassifier"},
    Purpose{"npdae draws", Scope::NpDae, {0, kMaxExamples - 1, 0, 0},
            "DiscreteNpDae::sampleCategorical and ::fit, ParzenNpDae::fit (callers give them different seeds)"},
    Purpose{"npdae chains", Scope::NpDae, {0, kMaxChains - 1, 0, kLastStep - 1},
            "DiscreteNpDae::run, ParzenNpDae::step and ::sampleConditional"},
};

// Pairs of purposes whose ranges overlap, kept because changing either would change outputs that
// must stay byte-identical. The test fails if one of these stops overlapping (then delete the row).
struct SharedKeys {
    std::string_view first, second, reason;
};

inline constexpr std::array kSharedKeys{
    SharedKeys{"training rows", "chain steps",
               "training and sampling are separate runs (gsn train / gsn sample; in the studio each has its own "
               "seed setting): a chain's noise never enters the trained parameters' gradient"},
    SharedKeys{"eval binarize", "chain steps",
               "gsn eval --binarize-stochastic: row 0 of the sample, validation and test sets use the keys of the "
               "eval chain's steps 0, 1, 2 (one row of 10000: kept for byte-identity of gsn eval)"},
    SharedKeys{"eval binarize", "training rows", "gsn eval never trains"},
    SharedKeys{"npdae draws", "npdae chains",
               "a chain's step 0 uses the keys of training pair c; the tests seed fit and run differently"},
};

} // namespace gsn::streams
