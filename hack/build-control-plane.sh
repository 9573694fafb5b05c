#!/usr/bin/env bash
# Build a real Kubernetes control plane (kube-apiserver, kube-controller-manager, kube-scheduler),
# etcd, KWOK and helm from published Go modules, through the Go module proxy, into a versioned cache
# folder OUTSIDE the repository.
#
# Why: there is no Docker and no download site on the project's machines, so kind/envtest binaries
# cannot be fetched; the go command and the module proxy are the only route to real binaries.
# See shared/reference/real-control-plane.md for the recipe (staging replaces, ldflags, pitfalls).
#
# Idempotent: each component is skipped when its binaries already exist; only missing parts build.
# Components are built one after another (memory: k8s needs ~2 GiB RSS per link).
#
# Usage: hack/build-control-plane.sh [--print-dir]
#   GROVE_CACHE_DIR   cache root (default ~/.cache/grove)
#   GROVE_K8S_VERSION / GROVE_ETCD_VERSION / GROVE_KWOK_VERSION / GROVE_HELM_VERSION  override versions
set -euo pipefail

K8S_VERSION="${GROVE_K8S_VERSION:-1.36.3}"
ETCD_VERSION="${GROVE_ETCD_VERSION:-3.6.16}"
KWOK_VERSION="${GROVE_KWOK_VERSION:-0.8.0}"
HELM_VERSION="${GROVE_HELM_VERSION:-3.22.0}"

CACHE_ROOT="${GROVE_CACHE_DIR:-$HOME/.cache/grove}"
VERSION_KEY="k8s-v${K8S_VERSION}_etcd-v${ETCD_VERSION}_kwok-v${KWOK_VERSION}_helm-v${HELM_VERSION}"
DEST="${CACHE_ROOT}/control-plane/${VERSION_KEY}"
BIN="${DEST}/bin"

if [[ "${1:-}" == "--print-dir" ]]; then
    echo "$DEST"
    exit 0
fi

export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"

log() { echo "[build-control-plane $(date +%H:%M:%S)] $*"; }
die() { echo "[build-control-plane] ERROR: $*" >&2; exit 1; }

command -v go >/dev/null || die "the go command is not on PATH (need Go >= 1.26)"
mkdir -p "$BIN" "$DEST/src" "$DEST/kwok-stages" "$DEST/timings"

# One build at a time per cache folder (e.g. the e2e fixture and a developer's shell).
exec 9>"$DEST/.build.lock"
if ! flock -n 9; then
    log "another build holds $DEST/.build.lock; waiting for it"
    flock 9
fi

# have NAME...: true when every named binary exists and is executable
have() {
    local b
    for b in "$@"; do [[ -x "$BIN/$b" ]] || return 1; done
}

# timed NAME CMD...: runs a build step under `set -e`, records its wall time in timings/NAME.seconds.
# (Not `if ! "$@"`: bash ignores `set -e` inside a condition, so a failing go command would not stop
# the step.) On failure the EXIT trap names the step.
CURRENT_STEP=""
on_exit() {
    local rc=$?
    if [[ $rc -ne 0 && -n "$CURRENT_STEP" ]]; then
        echo "[build-control-plane] ERROR: building $CURRENT_STEP failed (exit $rc); see the go output above" >&2
    fi
}
trap on_exit EXIT
timed() {
    local name="$1"; shift
    local start end
    CURRENT_STEP="$name"
    start=$(date +%s)
    "$@"
    end=$(date +%s)
    CURRENT_STEP=""
    echo "$((end - start))" >"$DEST/timings/$name.seconds"
    log "built $name in $((end - start))s"
}

# gomod_of MODULE@VERSION: path of that module's go.mod in the module cache (downloads it)
gomod_of() {
    go mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("GoMod") or sys.exit("no GoMod: %s" % d.get("Error")))'
}

# fresh_module DIR NAME: an empty throwaway module in DIR
fresh_module() {
    rm -rf "$1" && mkdir -p "$1" && (cd "$1" && go mod init "$2" >/dev/null 2>&1)
}

build_kube() {
    local dir="$DEST/src/kubernetes" minor staging gomod m ldf
    minor=$(echo "$K8S_VERSION" | cut -d. -f2)
    staging="0.${K8S_VERSION#1.}"
    fresh_module "$dir" local.invalid/k8sbins
    cd "$dir"
    log "kubernetes v$K8S_VERSION: reading k/k's go.mod for the staging modules"
    gomod=$(gomod_of "k8s.io/kubernetes@v$K8S_VERSION") || die "k8s.io/kubernetes@v$K8S_VERSION is not served"
    local count=0
    # every staging module that k/k requires at v0.0.0 is replaced by the published v0.X.Y
    for m in $(awk '$2=="v0.0.0"{print $1}' "$gomod" | sort -u); do
        go mod edit -replace="$m=$m@v$staging"
        count=$((count + 1))
    done
    [[ $count -gt 20 ]] || die "found only $count staging modules in $gomod; the awk pattern is wrong"
    log "kubernetes: $count staging replaces -> v$staging"
    go mod edit -go=1.26.0
    log "kubernetes: go get (module download)"
    go get "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" \
        "k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S_VERSION" \
        "k8s.io/kubernetes/cmd/kube-scheduler@v$K8S_VERSION"
    ldf="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION"
    ldf+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    ldf+=" -X k8s.io/component-base/version.gitTreeState=clean"
    ldf+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
    log "kubernetes: go build -p 2 kube-apiserver kube-controller-manager kube-scheduler"
    go build -p 2 -trimpath -ldflags "$ldf" -o "$BIN/" \
        k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler
}

build_etcd() {
    local dir="$DEST/src/etcd"
    fresh_module "$dir" local.invalid/etcdbin
    cd "$dir"
    log "etcd v$ETCD_VERSION: go get"
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
    log "etcd: go build"
    go build -p 2 -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
    local dir="$DEST/src/kwok"
    fresh_module "$dir" local.invalid/kwokbin
    cd "$dir"
    log "kwok v$KWOK_VERSION: go get"
    go get "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
    log "kwok: go build"
    # (kwok's version is a constant in pkg/consts, so no version ldflags are needed)
    go build -p 2 -trimpath -ldflags "-s -w" -o "$BIN/kwok" sigs.k8s.io/kwok/cmd/kwok
}

# The default node/pod stages kwokctl uses, copied out of the module cache (kwok refuses to run
# without stages).
copy_kwok_stages() {
    local moddir f
    moddir=$(go mod download -json "sigs.k8s.io/kwok@v$KWOK_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
    for f in node/fast/node-initialize.yaml \
             node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
             pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
        [[ -f "$moddir/kustomize/stage/$f" ]] || die "kwok stage $f not found in $moddir"
        install -m 0644 "$moddir/kustomize/stage/$f" "$DEST/kwok-stages/$(basename "$f")"
    done
    log "kwok: copied default stages into $DEST/kwok-stages"
}

build_helm() {
    local dir="$DEST/src/helm" gomod major
    major="v${HELM_VERSION%%.*}"
    fresh_module "$dir" local.invalid/helmbin
    cd "$dir"
    gomod=$(gomod_of "helm.sh/helm/$major@v$HELM_VERSION") || die "helm.sh/helm/$major@v$HELM_VERSION is not served"
    # A dependency's replace directives are ignored; copy any non-local ones into the throwaway module.
    python3 - "$gomod" <<'EOF' | while read -r r; do go mod edit -replace="$r"; done
import re, sys
text = open(sys.argv[1]).read()
block = re.findall(r"^replace\s*\((.*?)^\)", text, re.S | re.M)
lines = [l for b in block for l in b.splitlines()] + re.findall(r"^replace\s+([^(].*)$", text, re.M)
for line in lines:
    line = line.split("//")[0].strip()
    if "=>" not in line:
        continue
    old, new = (s.strip().split() for s in line.split("=>"))
    if new[0].startswith((".", "/")):
        continue  # local path replace: cannot be reproduced
    print("%s=%s" % ("@".join(old), "@".join(new)))
EOF
    log "helm v$HELM_VERSION: go get"
    go get "helm.sh/helm/$major/cmd/helm@v$HELM_VERSION"
    log "helm: go build"
    go build -p 2 -trimpath \
        -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=v$HELM_VERSION" \
        -o "$BIN/helm" "helm.sh/helm/$major/cmd/helm"
}

log "cache folder: $DEST ($(go version))"
total_start=$(date +%s)

if have etcd; then log "etcd: already built, skipping"; else timed etcd build_etcd; fi
if have kwok && [[ -f "$DEST/kwok-stages/pod-delete.yaml" ]]; then
    log "kwok: already built, skipping"
else
    if ! have kwok; then timed kwok build_kwok; fi
    copy_kwok_stages
fi
if have kube-apiserver kube-controller-manager kube-scheduler; then
    log "kubernetes: already built, skipping"
else
    timed kubernetes build_kube
fi
if have helm; then log "helm: already built, skipping"; else timed helm build_helm; fi

"$BIN/kube-apiserver" --version >/dev/null || die "kube-apiserver does not run"
"$BIN/etcd" --version >/dev/null || die "etcd does not run"
log "done in $(( $(date +%s) - total_start ))s; binaries in $BIN:"
ls -l "$BIN"
for t in "$DEST"/timings/*.seconds; do
    [[ -f "$t" ]] && echo "  last build of $(basename "$t" .seconds): $(cat "$t")s"
done
exit 0
