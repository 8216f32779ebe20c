// The Mixing lab's tables: the targets its chooser offers and the presets of issue 13 item 6 with their
// what-to-watch sentences (each sentence checked against a 1000-step run of 100 chains, seed 1; the
// figures are in docs/mixing.md "The lab window").

#include "mixinglab.h"

namespace gsn {

const std::vector<MixingLab::TargetChoice>& MixingLab::targetChoices()
{
    static const std::vector<TargetChoice> choices = {
        {QStringLiteral("isolated-modes"), QObject::tr("Isolated modes (0.7 / 0.3, 8 apart)"), {{"kind", "isolated-modes"}}},
        {QStringLiteral("ring8"), QObject::tr("Ring of 8 Gaussians"),
         {{"kind", "ring"}, {"modes", 8}, {"radius", 4.0}, {"sd", 0.25}}},
        {QStringLiteral("grid3"), QObject::tr("Grid of 3 x 3 Gaussians"), {{"kind", "grid"}, {"k", 3}}},
        {QStringLiteral("grid5"), QObject::tr("Grid of 5 x 5 Gaussians"), {{"kind", "grid"}, {"k", 5}}},
        {QStringLiteral("two-moons"), QObject::tr("Two moons"), {{"kind", "two-moons"}}},
        {QStringLiteral("spiral"), QObject::tr("Spiral (2 arms)"), {{"kind", "spiral"}}},
        {QStringLiteral("checkerboard"), QObject::tr("Checkerboard (4 x 4)"), {{"kind", "checkerboard"}}},
        {QStringLiteral("banana"), QObject::tr("Banana (Haario)"), {{"kind", "banana"}}},
    };
    return choices;
}

const std::vector<MixingLab::Preset>& MixingLab::presets()
{
    static const std::vector<Preset> p = {
        {QObject::tr("Isolated modes: the random walk stays"),
         QObject::tr("Random-walk Metropolis (panel 1) and MALA (panel 2) never leave the mode their chains start in: "
                     "their switch rate stays at 0, they visit 1 of the 2 modes and their KL to the truth stays high, "
                     "while tempering (3) and the non-parametric DAE (4) cross between the modes."),
         QStringLiteral("isolated-modes"), 1.0, {{"rwmh", 0.5}, {"mala", 0.25}, {"pt", 0.5}, {"npdae", 1.5}}, true, {-4.0, 0.0}},
        {QObject::tr("Tempering escapes"),
         QObject::tr("Parallel tempering (panel 2) runs the same random walk as panel 1 on flattened copies p^β and "
                     "swaps them: its chains cross between the modes, its switch rate rises and its KL to the truth "
                     "falls, while the plain random walk's R-hat stays high."),
         QStringLiteral("isolated-modes"), 1.0, {{"rwmh", 0.5}, {"pt", 0.5}}, true, {-4.0, 0.0}},
        {QObject::tr("Sharper modes mix slower"),
         QObject::tr("At \u03b2 = 3 the ring's modes are narrower and the valleys between them deeper: random-walk "
                     "Metropolis, tempering and the non-parametric DAE all switch modes less often than at \u03b2 = 1 "
                     "(set \u03b2 to 1 and compare the switch rates); MALA's small steps switch at neither."),
         QStringLiteral("ring8"), 3.0, {{"rwmh", 1.0}, {"mala", 0.25}, {"pt", 0.5}, {"npdae", 0.6}}, true, {4.0, 0.0}},
        {QObject::tr("The DAE learns the score"),
         QObject::tr("Langevin on the DAE's learned score (r(x) - x) / \u03c3\u00b2 (panel 2) is pulled to the same eight "
                     "modes as Langevin on the exact score (panel 1): the DAE, trained on samples, has learned the score "
                     "of the target blurred by its corruption \u03c3 = 0.3, so its chains spread wider along the ring "
                     "(a higher KL) and cross between modes; panel 3 is the DAE's own chain."),
         QStringLiteral("ring8"), 1.0, {{"ula", 0.1}, {"dae-score", 0.1}, {"dae", 0.3}}, false, {4.0, 0.0}},
        {QObject::tr("More corruption, better mixing, blurrier samples"),
         QObject::tr("From panel 1 to 4 the DAE is trained with more corruption (\u03c3 = 0.1 to 1): its chain switches "
                     "modes more often and sees every mode sooner, but its samples spread further from the ring, so the "
                     "KL to the truth is lowest at a middle level (the DAE paper's trade-off)."),
         QStringLiteral("ring8"), 1.0, {{"dae", 0.1}, {"dae", 0.3}, {"dae", 0.6}, {"dae", 1.0}}, true, {4.0, 0.0}},
    };
    return p;
}

} // namespace gsn
