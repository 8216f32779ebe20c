#pragma once
// The `gsn` subcommands. Each takes the arguments after its name, prints its result on stdout and
// progress on stderr, and returns the process exit code. User errors are thrown as gsn::Error.

#include <string>
#include <vector>

namespace gsn {
struct Checkpoint; // checkpoint.h
class Classifier;  // classifier.h
}

namespace gsn::commands {

using Args = std::vector<std::string>;

int info(const Args& args);   // gsn info FILE          (cmd_info.cpp)
int eval(const Args& args);   // gsn eval ...           (cmd_eval.cpp)
int train(const Args& args);  // gsn train ...          (cmd_train.cpp)
int bench(const Args& args);  // gsn bench ...          (cmd_bench.cpp)
int classify(const Args& args); // gsn classify ...     (cmd_classify.cpp)
int mix(const Args& args);    // gsn mix ...            (cmd_mix.cpp)
int mixing(const Args& args); // gsn mixing ...         (cmd_mixing.cpp)
int interpolate(const Args& args); // gsn interpolate ... (cmd_interpolate.cpp)

int exportModel(const Args& args); // gsn export FILE --out MODEL.safetensors (cmd_export.cpp)
// What `gsn export` writes for `ck`: a model-only copy at `out` (atomic), the training state folded into
// __metadata__.trained. gsn train --snapshot-every writes its snapshots with it, so they are byte-identical
// to `gsn export` of the epoch's checkpoint.
void writeModelOnly(const Checkpoint& ck, const std::string& out);
// The MNIST digit classifier compiled into gsn (cmd_mixing.cpp); gsn::Error when it is missing.
Classifier embeddedClassifier();
int grad(const Args& args);   // gsn grad --model M --batch B.npy --out G.safetensors (cmd_grad.cpp)

// Full usage texts (options and defaults) of the commands that keep theirs next to their parsing.
std::string evalUsage();
std::string trainUsage();
std::string mixUsage();
std::string mixingUsage();
std::string interpolateUsage();
std::string gradUsage();

} // namespace gsn::commands
