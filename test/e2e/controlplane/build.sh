#!/usr/bin/env bash
# Builds the control-plane programs the e2e tier runs (kube-apiserver, kube-scheduler,
# kube-controller-manager, etcd, kwok) and kubectl (kustomize rendering, apply) from their Go modules, with the Go toolchain and
# the module proxy only. Idempotent: the binaries land in a cache outside the repository,
# keyed by the upstream versions, and an existing complete set is reused as it is. When only some
# are missing (e.g. a cache made before kubectl joined the set), only those are built.
#
#   TIDAL_E2E_BIN_DIR  use pre-built binaries from this folder (only checked, never built)
#   TIDAL_E2E_CACHE    cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/tidal-e2e)
#   SOURCE_DATE_EPOCH  build date stamped into the Kubernetes binaries (default: now)
#   GOMODCACHE, GOCACHE, GOPROXY   the usual Go settings apply
#
# Progress goes to stderr; the last (and only) line on stdout is the folder that holds
# the binaries.
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
BINARIES=(kube-apiserver kube-scheduler kube-controller-manager kubectl etcd kwok)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[tidal-e2e build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

missing_in() {
  local dir=$1 name out=()
  for name in "${BINARIES[@]}"; do
    [[ -x "$dir/$name" && -f "$dir/$name" ]] || out+=("$name")
  done
  echo "${out[*]-}"
}

if [[ -n ${TIDAL_E2E_BIN_DIR:-} ]]; then
  missing=$(missing_in "$TIDAL_E2E_BIN_DIR")
  [[ -z $missing ]] || die "TIDAL_E2E_BIN_DIR=$TIDAL_E2E_BIN_DIR lacks executable: $missing"
  log "using pre-built binaries from TIDAL_E2E_BIN_DIR"
  (cd "$TIDAL_E2E_BIN_DIR" && pwd)
  exit 0
fi

cache_root=${TIDAL_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tidal-e2e}
key="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
out="$cache_root/$key"
bin="$out/bin"

if [[ -z $(missing_in "$bin") ]]; then
  log "binaries already built in $bin"
  echo "$bin"
  exit 0
fi

# The versions above name the cache; the wrapper modules must pin the same ones.
pins() { grep -Eq "^[[:space:]]*(require[[:space:]]+)?$2 $3([[:space:]]|\$)" "$here/$1/go.mod" ||
  die "$1/go.mod does not require $2 $3"; }
pins kube k8s.io/kubernetes "$K8S_VERSION"
pins etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
pins kwok sigs.k8s.io/kwok "$KWOK_VERSION"

go_bin=$(command -v go || true)
if [[ -z $go_bin && -x /usr/local/go/bin/go ]]; then go_bin=/usr/local/go/bin/go; fi
[[ -n $go_bin ]] || die "no Go toolchain (go not in PATH, no /usr/local/go/bin/go)"

# Use the toolchain as found (no automatic toolchain download), static binaries, and
# the committed go.sum files as they are.
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export CGO_ENABLED=0
export GOFLAGS=-mod=readonly
log "toolchain: $("$go_bin" version)"

mkdir -p "$out"
# One build at a time per cache entry (two test runs starting together wait here).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$out/.lock"
  flock 9
  if [[ -z $(missing_in "$bin") ]]; then
    log "binaries built meanwhile in $bin"
    echo "$bin"
    exit 0
  fi
fi
# Only what is missing gets built (all of it on a cold cache).
todo=" $(missing_in "$bin") "
wanted() { [[ $todo == *" $1 "* ]]; }

stage="$out/bin.partial.$$"
rm -rf "$stage"
mkdir -p "$stage"
trap 'rm -rf "$stage"' EXIT

k8s_minor=${K8S_VERSION#v1.}
k8s_minor=${k8s_minor%%.*}
build_date=$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%Y-%m-%dT%H:%M:%SZ)
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION}"
  kube_ldflags+=" -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${k8s_minor}"
  kube_ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date}"
done

start=$SECONDS
# step MODULE_DIR OUTPUT LDFLAGS PACKAGE...; OUTPUT is a file for one package, else a folder/.
step() {
  local dir=$1 output=$2 ldflags=$3
  shift 3
  local t0=$SECONDS
  log "building $* (module $dir)"
  (cd "$here/$dir" && "$go_bin" build -trimpath -ldflags "$ldflags" -o "$output" "$@")
  log "  done in $((SECONDS - t0))s"
}

# Sequential on purpose: each go build already uses every core.
if wanted etcd; then step etcd "$stage/etcd" "-s -w" go.etcd.io/etcd/server/v3; fi
if wanted kwok; then step kwok "$stage/kwok" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" sigs.k8s.io/kwok/cmd/kwok; fi
kube_pkgs=()
for name in kube-apiserver kube-scheduler kube-controller-manager kubectl; do
  if wanted "$name"; then kube_pkgs+=("k8s.io/kubernetes/cmd/$name"); fi
done
if ((${#kube_pkgs[@]} == 1)); then
  step kube "$stage/${kube_pkgs[0]##*/}" "$kube_ldflags" "${kube_pkgs[@]}"
elif ((${#kube_pkgs[@]} > 1)); then
  step kube "$stage/" "$kube_ldflags" "${kube_pkgs[@]}"
fi

built=()
for name in "${BINARIES[@]}"; do
  if wanted "$name"; then
    [[ -x "$stage/$name" && -f "$stage/$name" ]] || die "build produced no $name"
    built+=("$name")
  fi
done

mkdir -p "$bin"
for name in "${built[@]}"; do
  mv -f "$stage/$name" "$bin/$name"
done
log "built ${built[*]} in $((SECONDS - start))s into $bin"
echo "$bin"
