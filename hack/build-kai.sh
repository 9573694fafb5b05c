#!/usr/bin/env bash
# Build the real KAI scheduler's components (scheduler, binder, podgrouper, queuecontroller,
# podgroupcontroller) from the source snapshot in ../shared/thirdparty into a cache folder OUTSIDE the
# repository, next to the control plane's (hack/build-control-plane.sh).
#
# Why: the e2e suite runs real KAI answering for `kai-scheduler` beside our operator (issue 10). KAI's
# module is not served by the Go module proxy at this commit, so its source comes from the snapshot;
# its dependencies come through the module proxy as usual.
#
# Idempotent: the source is extracted once; each binary builds only when missing. A lock keeps two
# builds of the same folder from racing.
#
# One change is applied to the source before building (test infrastructure only, never our code):
# podgroupcontroller at this commit ignores --metrics-bind-address and binds controller-runtime's
# default :8080 on all interfaces; its manager options get `Metrics: {BindAddress: MetricsAddr}`.
#
# Usage: hack/build-kai.sh [--print-dir]
#   GROVE_CACHE_DIR      cache root (default ~/.cache/grove)
#   GROVE_SHARED         the shared folder holding thirdparty/ (default ../shared beside the checkout)
#   GROVE_KAI_ARCHIVE    the KAI source archive (default $GROVE_SHARED/thirdparty/kai-scheduler-v0.17.0-9-gd5bc503a.tar.gz)
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${GROVE_SHARED:-$REPO/../shared}"
ARCHIVE="${GROVE_KAI_ARCHIVE:-$SHARED/thirdparty/kai-scheduler-v0.17.0-9-gd5bc503a.tar.gz}"
CACHE_ROOT="${GROVE_CACHE_DIR:-$HOME/.cache/grove}"
# the version key: the archive's name (tag-distance-commit) plus the revision of our patch
PATCH_REV=1
VERSION_KEY="$(basename "$ARCHIVE" .tar.gz)_patch-${PATCH_REV}"
DEST="${CACHE_ROOT}/control-plane/${VERSION_KEY}"
BIN="${DEST}/bin"
SRC="${DEST}/src"
COMPONENTS=(scheduler binder podgrouper queuecontroller podgroupcontroller)

if [[ "${1:-}" == "--print-dir" ]]; then
    echo "$DEST"
    exit 0
fi

export GOTOOLCHAIN=local
export CGO_ENABLED=0

log() { echo "[build-kai $(date +%H:%M:%S)] $*"; }
die() { echo "[build-kai] ERROR: $*" >&2; exit 1; }

command -v go >/dev/null || die "the go command is not on PATH (need Go >= 1.26)"
mkdir -p "$BIN" "$DEST/timings"

exec 9>"$DEST/.build.lock"
if ! flock -n 9; then
    log "another build holds $DEST/.build.lock; waiting for it"
    flock 9
fi

missing=()
for c in "${COMPONENTS[@]}"; do [[ -x "$BIN/kai-$c" ]] || missing+=("$c"); done
if [[ ${#missing[@]} -eq 0 ]]; then
    log "all ${#COMPONENTS[@]} KAI components already built in $BIN, skipping"
    exit 0
fi

[[ -f "$ARCHIVE" ]] || die "KAI source archive not found: $ARCHIVE (set GROVE_SHARED or GROVE_KAI_ARCHIVE)"

CURRENT_STEP=""
on_exit() {
    local rc=$?
    if [[ $rc -ne 0 && -n "$CURRENT_STEP" ]]; then
        echo "[build-kai] ERROR: $CURRENT_STEP failed (exit $rc); see the output above" >&2
    fi
}
trap on_exit EXIT

total_start=$(date +%s)
log "cache folder: $DEST ($(go version)); to build: ${missing[*]}"

# 1. the source, extracted once (a marker file says the extraction and the patch completed)
if [[ ! -f "$SRC/.grove-ready" ]]; then
    CURRENT_STEP="extracting $ARCHIVE"
    rm -rf "$SRC" && mkdir -p "$SRC"
    tar -xzf "$ARCHIVE" -C "$SRC"
    [[ -f "$SRC/go.mod" ]] || die "$ARCHIVE has no go.mod at its root"

    CURRENT_STEP="patching podgroupcontroller (metrics address)"
    app="$SRC/cmd/podgroupcontroller/app/app.go"
    grep -q 'HealthProbeBindAddress: options.ProbeAddr,' "$app" \
        || die "$app changed: cannot find the manager options to patch"
    python3 - "$app" <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read()
text = text.replace(
    '\t"sigs.k8s.io/controller-runtime/pkg/healthz"\n',
    '\t"sigs.k8s.io/controller-runtime/pkg/healthz"\n'
    '\tmetricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"\n', 1)
text = text.replace(
    '\t\tHealthProbeBindAddress: options.ProbeAddr,\n',
    '\t\tHealthProbeBindAddress: options.ProbeAddr,\n'
    '\t\tMetrics:                metricsserver.Options{BindAddress: options.MetricsAddr},\n', 1)
open(path, "w").write(text)
EOF
    grep -q 'metricsserver.Options{BindAddress: options.MetricsAddr}' "$app" || die "patching $app failed"
    touch "$SRC/.grove-ready"
    log "extracted and patched the source into $SRC"
fi

# 2. the binaries: one `go build` for all missing ones (shared packages compile once), -p 2 for memory.
# (No `go mod download` first: it would fetch the whole module graph, 1.1 GB; go build fetches what the
# five commands import.)
cd "$SRC"
pkgs=()
for c in "${missing[@]}"; do pkgs+=("./cmd/$c"); done
CURRENT_STEP="go build ${pkgs[*]}"
start=$(date +%s)
tmpbin="$DEST/.bin-tmp"
rm -rf "$tmpbin" && mkdir -p "$tmpbin"
go build -p 2 -trimpath -ldflags "-s -w" -o "$tmpbin/" "${pkgs[@]}"
for c in "${missing[@]}"; do
    [[ -x "$tmpbin/$c" ]] || die "go build produced no binary for $c"
    mv "$tmpbin/$c" "$BIN/kai-$c"
done
rm -rf "$tmpbin"
CURRENT_STEP=""
took=$(( $(date +%s) - start ))
echo "$took" >"$DEST/timings/build.seconds"
echo "${missing[*]}" >"$DEST/timings/build.components"
log "built ${missing[*]} in ${took}s"

for c in "${COMPONENTS[@]}"; do
    rc=0; "$BIN/kai-$c" --help >/dev/null 2>&1 || rc=$?
    [[ $rc -lt 126 ]] || die "kai-$c does not run (exit $rc)"
done
log "done in $(( $(date +%s) - total_start ))s; binaries in $BIN:"
ls -l "$BIN"
exit 0
