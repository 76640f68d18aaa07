#!/usr/bin/env bash
# Installs Debian's chromium package when no chromium is on PATH, for the
# headless dashboard test (hack/chromium/test.sh). Idempotent and quiet;
# needs root (or sudo) and Debian apt. Prints the chromium version.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1; then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "install.sh: chromium is missing and this is not root: run as root or install the chromium package" >&2; exit 2; }
		sudo="sudo"
	fi
	export DEBIAN_FRONTEND=noninteractive
	# The package lists of a fresh container are empty; update only then.
	if ! apt-cache show chromium >/dev/null 2>&1; then
		$sudo apt-get update -qq >/dev/null
	fi
	$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --version 2>/dev/null
