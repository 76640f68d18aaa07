#!/bin/sh
# python-api's own tests (standard library only).
set -eu
cd "$(dirname "$0")/app"
PYTHONDONTWRITEBYTECODE=1 exec python3 -m unittest discover -v
