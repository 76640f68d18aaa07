#!/usr/bin/env bash
# The HTML dashboard in a real browser: installs Debian's chromium when it is
# missing, then runs the inventory test that renders a generated fleet's
# dashboard, loads it in headless Chromium and checks the rows of its DOM.
set -euo pipefail
cd "$(dirname "$0")/../.."
hack/chromium/install.sh
# -count=1: a cached pass would not start the browser.
GOEXPERIMENT=jsonv2 go test -tags chromium -count=1 -run Chromium -v ./fleet/inventory/
