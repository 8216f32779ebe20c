#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, GSN_BUILD_FUZZERS=ON) in their own build dir, replays the committed
# corpora and regressions (CTest tests fuzz_*), then fuzzes each harness for a bounded time. Fails when a
# harness crashes; the input that did it is left in $GSN_FUZZ_BUILD_DIR/findings/<parser>/ (copy it to
# tests/fuzz/regressions/<parser>/ once the bug is fixed). CI runs it through `./setup.sh fuzz`.
#
#   tests/fuzz/run.sh [parser...]      all harnesses when none is named
#   GSN_FUZZ_SECONDS=30                fuzzing time per harness (0: replay only)
#   GSN_FUZZ_BUILD_DIR=build-fuzz      the build dir (relative to the checkout)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${GSN_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
SECONDS_EACH="${GSN_FUZZ_SECONDS:-30}"
log() { printf '[fuzz] %s\n' "$*" >&2; }

command -v clang++ >/dev/null || { log "clang++ not found (./setup.sh fuzz installs clang and libclang-rt-14-dev)"; exit 1; }
if [ ! -f "$BUILD/build.ninja" ]; then
    # -O1 with line tables (symbolised stacks) and assertions on (Eigen's index checks): quicker to compile
    # than -O2 -g, and an assertion is a finding.
    CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
        -DGSN_BUILD_GUI=OFF -DGSN_BUILD_BENCHMARKS=OFF -DGSN_BUILD_FUZZERS=ON ${GSN_FUZZ_CMAKE_ARGS:-}
fi
cmake --build "$BUILD" -j "$(nproc)" --target gsn_fuzzers

if [ "$#" -gt 0 ]; then
    parsers=("$@")
else
    parsers=()
    for f in "$ROOT"/tests/fuzz/fuzz_*.cpp; do
        p="$(basename "$f" .cpp)"
        [ "$p" = fuzz_seeds ] && continue # the corpus writer (gsn_fuzz_seeds), not a harness
        parsers+=("${p#fuzz_}")
    done
fi

export QT_QPA_PLATFORM=offscreen
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
regex="^fuzz_($(IFS='|'; echo "${parsers[*]}"))\$"
log "replaying the corpora and regressions (ctest -R '$regex')"
(cd "$BUILD" && ctest --output-on-failure -R "$regex")
[ "$SECONDS_EACH" -gt 0 ] || exit 0

failed=()
for p in "${parsers[@]}"; do
    work="$BUILD/fuzz-corpus/$p" findings="$BUILD/findings/$p"
    mkdir -p "$work" "$findings"
    log "$p: fuzzing for ${SECONDS_EACH} s (new inputs in $work, crashes in $findings)"
    # -timeout: one input may take 25 s at most (a hang is a finding; 25, not 10, so a loaded CI machine does not
    # flag the slow-under-ASan libmatio case of docs/robustness.md, finding 5); -rss_limit_mb: 2 GB (libFuzzer's default,
    # stated); -max_len: 64 KB, room for the largest seed's mutations.
    if ! "$BUILD/tests/fuzz/fuzz_$p" -max_total_time="$SECONDS_EACH" -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
            -print_final_stats=1 -artifact_prefix="$findings/" "$work" "$ROOT/tests/fuzz/corpus/$p" \
            >"$BUILD/findings/$p.log" 2>&1; then
        tail -n 60 "$BUILD/findings/$p.log" >&2
        failed+=("$p")
    else
        grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$BUILD/findings/$p.log" | tail -n 2 >&2 || true
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    log "crashed: ${failed[*]} (inputs in $BUILD/findings/)"
    exit 1
fi
log "no crash in ${#parsers[@]} harnesses"
