#!/bin/sh
# Install node-web's npm dependencies into node_modules, as locked in
# package-lock.json, before the image build COPYs them as a layer. The npm
# cache ($npm_config_cache, default ~/.npm) makes a second run offline:
# NPM_OFFLINE=1 refuses the network outright.
set -eu
cd "$(dirname "$0")"
set -- ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline
[ "${NPM_OFFLINE:-}" != 1 ] || set -- "$@" --offline
exec npm "$@"
