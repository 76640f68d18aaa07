#!/bin/sh
# node-web's own tests: install the locked dependencies, then node --test.
set -eu
cd "$(dirname "$0")"
./install.sh >&2
exec node --test test/
