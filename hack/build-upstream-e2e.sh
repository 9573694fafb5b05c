#!/usr/bin/env bash
# Build upstream Grove's own Go e2e suite (operator/e2e, build tag `e2e`) into test binaries in a cache
# folder OUTSIDE the repository, next to the control plane's (hack/build-control-plane.sh).
#
# Why: upstream's suite is our conformance gate (issue 11): tests/conformance runs these binaries
# against our chart-installed operator on the local control plane. Upstream's module is not served by
# the Go module proxy at this commit, nor are two modules it requires (KAI v0.15.2, volcano apis
# v1.14.1), so their sources come from the snapshots in ../shared/thirdparty through go.mod replaces;
# every other dependency comes through the module proxy as usual.
#
# One small patch is applied (hack/upstream-e2e/no-docker.patch, test infrastructure only, never an
# assertion): the harness's two Docker-only steps (pushing test images to a k3d registry, restarting
# unhealthy k3d nodes) are skipped when GROVE_E2E_NO_DOCKER is set.
#
# Idempotent: the sources are extracted once; each test binary builds only when missing. A lock keeps
# two builds of the same folder from racing.
#
# Usage: hack/build-upstream-e2e.sh [--print-dir]
#   GROVE_CACHE_DIR   cache root (default ~/.cache/grove)
#   GROVE_SHARED      the shared folder holding thirdparty/ (default ../shared beside the checkout)
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${GROVE_SHARED:-$REPO/../shared}"
THIRDPARTY="$SHARED/thirdparty"
GROVE_ARCHIVE="$THIRDPARTY/grove-upstream-fcc3b3bb.tar.gz"
KAI_ARCHIVE="$THIRDPARTY/kai-scheduler-v0.15.2.tar.gz"
VOLCANO_ARCHIVE="$THIRDPARTY/volcano-apis-v1.14.1.tar.gz"
PATCH="$REPO/hack/upstream-e2e/no-docker.patch"
CACHE_ROOT="${GROVE_CACHE_DIR:-$HOME/.cache/grove}"
# the version key: upstream's commit plus the revision of our patch
PATCH_REV=1
VERSION_KEY="grove-upstream-e2e-fcc3b3bb_patch-${PATCH_REV}"
DEST="${CACHE_ROOT}/control-plane/${VERSION_KEY}"
BIN="${DEST}/bin"
SRC="${DEST}/src"
# test binary name -> package (relative to operator/)
declare -A PACKAGES=(
    [grove-e2e-tests]=./e2e/tests
    [grove-e2e-update]=./e2e/tests/update
)

if [[ "${1:-}" == "--print-dir" ]]; then
    echo "$DEST"
    exit 0
fi

export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS=-mod=mod

log() { echo "[build-upstream-e2e $(date +%H:%M:%S)] $*"; }
die() { echo "[build-upstream-e2e] ERROR: $*" >&2; exit 1; }

command -v go >/dev/null || die "the go command is not on PATH (need Go >= 1.26)"
mkdir -p "$BIN" "$DEST/timings"

exec 9>"$DEST/.build.lock"
if ! flock -n 9; then
    log "another build holds $DEST/.build.lock; waiting for it"
    flock 9
fi

missing=()
for name in "${!PACKAGES[@]}"; do [[ -x "$BIN/$name" ]] || missing+=("$name"); done
if [[ ${#missing[@]} -eq 0 ]]; then
    log "all ${#PACKAGES[@]} upstream e2e test binaries already built in $BIN, skipping"
    exit 0
fi

for archive in "$GROVE_ARCHIVE" "$KAI_ARCHIVE" "$VOLCANO_ARCHIVE"; do
    [[ -f "$archive" ]] || die "source archive not found: $archive (set GROVE_SHARED)"
done

CURRENT_STEP=""
on_exit() {
    local rc=$?
    if [[ $rc -ne 0 && -n "$CURRENT_STEP" ]]; then
        echo "[build-upstream-e2e] ERROR: $CURRENT_STEP failed (exit $rc); see the output above" >&2
    fi
}
trap on_exit EXIT

total_start=$(date +%s)
log "cache folder: $DEST ($(go version)); to build: ${missing[*]}"

# 1. the sources, extracted once (a marker file says the extraction, the replaces and the patch completed)
if [[ ! -f "$SRC/.grove-ready" ]]; then
    CURRENT_STEP="extracting the sources"
    rm -rf "$SRC" && mkdir -p "$SRC/grove" "$SRC/kai" "$SRC/volcano-apis"
    tar -xzf "$GROVE_ARCHIVE" -C "$SRC/grove"
    tar -xzf "$KAI_ARCHIVE" -C "$SRC/kai"
    tar -xzf "$VOLCANO_ARCHIVE" -C "$SRC/volcano-apis"
    for mod in grove/operator kai volcano-apis; do
        [[ -f "$SRC/$mod/go.mod" ]] || die "no go.mod at $SRC/$mod"
    done

    CURRENT_STEP="applying $PATCH"
    (cd "$SRC/grove" && patch -p1 --forward --quiet <"$PATCH") || die "$PATCH no longer applies"

    CURRENT_STEP="pointing operator/go.mod at the KAI and volcano snapshots"
    (cd "$SRC/grove/operator" \
        && go mod edit -replace "github.com/kai-scheduler/KAI-scheduler=$SRC/kai" \
        && go mod edit -replace "volcano.sh/apis=$SRC/volcano-apis")
    touch "$SRC/.grove-ready"
    log "extracted and patched the sources into $SRC"
fi

# 2. the test binaries: `go test -c` per package (the second reuses the first's build cache), -p 2 for memory.
cd "$SRC/grove/operator"
start=$(date +%s)
for name in "${missing[@]}"; do
    CURRENT_STEP="go test -c -tags e2e ${PACKAGES[$name]}"
    log "$CURRENT_STEP"
    go test -c -p 2 -tags e2e -trimpath -ldflags "-s -w" -o "$BIN/.$name.tmp" "${PACKAGES[$name]}"
    mv "$BIN/.$name.tmp" "$BIN/$name"
done
CURRENT_STEP=""
took=$(( $(date +%s) - start ))
echo "$took" >"$DEST/timings/build.seconds"
log "built ${missing[*]} in ${took}s"

# (no smoke run: a test binary's TestMain connects to the cluster before anything else)
log "done in $(( $(date +%s) - total_start ))s; binaries in $BIN:"
ls -l "$BIN"
exit 0
