#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, from Debian's packages:
# Java 17 for AWS's DynamoDB Local, and Chromium for the browser tests (driven by
# playwright-core with executablePath /usr/bin/chromium; no browser download).
# Safe to run again; does nothing when present. `npm test` runs it (pretest) with no
# argument; `npm start` runs it (prestart) with `start`, which needs Java only.
set -euo pipefail

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
# Without recommends Chromium brings no font; DejaVu keeps pages (and npm run screenshot) readable.
[ "${1:-}" = "start" ] || [ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "jitgate needs ${need[*]} (Debian packages) and cannot install them without root: run as root, or install them, then try again" >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
[ "${1:-}" = "start" ] && exit 0
java -version 2>&1 | head -1
/usr/bin/chromium --version 2>/dev/null || echo "chromium: installed, but --version failed (it still runs headless)"
