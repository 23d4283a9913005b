#!/bin/sh
# npm run image: builds the Containerfile with the first container builder that works here (docker
# with a reachable daemon, podman, buildah), tagged tidal:<package version> unless IMAGE is set.
# Exits 3 with a plain message when there is none: nothing is built then.
set -eu
cd "$(dirname "$0")/../.."
version=$(node -p "JSON.parse(require('fs').readFileSync('package.json','utf8')).version")
image=${IMAGE:-tidal:$version}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
source=$(git remote get-url origin 2>/dev/null || true)
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)

builder=""
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then builder="docker build"
elif command -v podman >/dev/null 2>&1; then builder="podman build"
elif command -v buildah >/dev/null 2>&1; then builder="buildah bud"
fi
if [ -z "$builder" ]; then
  echo "npm run image: no container builder here (looked for docker with a running daemon, podman, buildah); nothing built." >&2
  echo "Install one of them, or build Containerfile elsewhere: docker build -f Containerfile -t $image ." >&2
  exit 3
fi
echo "building $image with $builder" >&2
exec $builder -f Containerfile -t "$image" \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  --build-arg CREATED="$created" --build-arg SOURCE="$source" "$@" .
