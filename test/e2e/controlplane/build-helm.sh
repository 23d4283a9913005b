#!/usr/bin/env bash
# Builds Helm (v4) from its Go module with the Go toolchain and the module proxy only, into the e2e
# cache next to the control plane (test/e2e/controlplane/build.sh). Idempotent: an existing binary
# for this version is reused. The last (and only) line on stdout is the helm binary's path.
#
#   TIDAL_E2E_CACHE    cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/tidal-e2e)
#   GOMODCACHE, GOCACHE, GOPROXY   the usual Go settings apply
set -euo pipefail

HELM_VERSION=v4.3.2

log() { printf '[tidal-e2e build-helm] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cache_root=${TIDAL_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tidal-e2e}
out="$cache_root/helm-${HELM_VERSION}"
helm="$out/bin/helm"
if [[ -x $helm ]]; then
  log "helm ${HELM_VERSION} already built: $helm"
  echo "$helm"
  exit 0
fi

go_bin=$(command -v go || true)
if [[ -z $go_bin && -x /usr/local/go/bin/go ]]; then go_bin=/usr/local/go/bin/go; fi
[[ -n $go_bin ]] || die "no Go toolchain (go not in PATH, no /usr/local/go/bin/go)"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export CGO_ENABLED=0

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
if [[ -x $helm ]]; then echo "$helm"; exit 0; fi
stage="$out/bin.partial.$$"
rm -rf "$stage"
mkdir -p "$stage"
trap 'rm -rf "$stage"' EXIT
t0=$SECONDS
log "building helm.sh/helm/v4/cmd/helm@${HELM_VERSION} ($("$go_bin" version))"
GOBIN="$stage" "$go_bin" install -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}" "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}"
mv "$stage" "$out/bin"
log "  done in $((SECONDS - t0))s"
echo "$helm"
