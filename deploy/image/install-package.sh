#!/bin/sh
# Installs a packed tidal tarball (npm pack) and its production dependencies under PREFIX, the way
# `npm install --global` does: PREFIX/lib/node_modules/tidal (with its node_modules) and PREFIX/bin/tidal.
# The Containerfile runs it to fill /opt/tidal; test/unit/package/ runs it to check the same contents.
# Usage: install-package.sh TARBALL PREFIX
set -eu
if [ $# -ne 2 ]; then
  echo "usage: $0 TARBALL PREFIX" >&2
  exit 2
fi
# No install scripts: none of the production dependencies has one (package-lock.json: only the dev
# dependency "node" does), and a runtime image runs nothing it did not need.
npm install --global --prefix "$2" --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier "$1"
