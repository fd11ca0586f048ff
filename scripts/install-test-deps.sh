#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, from Debian's packages:
# Java 17 for AWS's DynamoDB Local, and Chromium for the browser tests (driven by
# playwright-core with executablePath /usr/bin/chromium; no browser download); and
# cfn-lint from pip for the template test.
# Safe to run again; does nothing when present. `npm test` runs it (pretest) with no
# argument; `npm start` runs it (prestart) with `start`, which needs Java only.
set -euo pipefail

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
# Without recommends Chromium brings no font; DejaVu keeps pages (and npm run screenshot) readable.
[ "${1:-}" = "start" ] || [ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
# pip, to install cfn-lint below when it is missing.
[ "${1:-}" = "start" ] || python3 -c 'import cfnlint' >/dev/null 2>&1 || python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)

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

# cfn-lint, AWS's CloudFormation linter (a Python package), for test/infra/cfn-lint.test.ts.
# The test runs it as `python3 -c 'from cfnlint.runner import main ...'`, so a --user
# install whose bin directory is not on PATH is enough.
if ! python3 -c 'import cfnlint' >/dev/null 2>&1; then
  echo "installing: cfn-lint (pip)"
  # Debian's own python3 refuses pip installs outside a virtualenv (PEP 668); a --user
  # install with --break-system-packages touches only ~/.local, never Debian's packages.
  python3 -m pip install --quiet cfn-lint \
    || python3 -m pip install --quiet --user cfn-lint \
    || python3 -m pip install --quiet --user --break-system-packages cfn-lint \
    || { echo "jitgate's template test needs cfn-lint and pip could not install it: run \`python3 -m pip install cfn-lint\` (or \`pipx install cfn-lint\`) yourself, then try again" >&2; exit 1; }
fi
java -version 2>&1 | head -1
/usr/bin/chromium --version 2>/dev/null || echo "chromium: installed, but --version failed (it still runs headless)"
python3 -c 'import sys; from cfnlint.version import __version__; print("cfn-lint", __version__)'
