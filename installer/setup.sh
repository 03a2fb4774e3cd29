#!/usr/bin/env bash
# Install vitale-bridge and everything it needs on a Debian/Ubuntu machine (run as root, or
# with sudo available). Idempotent: run it again after a pull.
#
#   bash installer/setup.sh          # runtime: PC/SC stack, virtual readers, Python package
#   bash installer/setup.sh --test   # + test tools: browsers, Playwright, node deps of the extension
#
# The Python package goes into ./.venv (Debian's Python refuses system-wide pip installs).
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TESTS=0
[[ "${1:-}" == "--test" ]] && WITH_TESTS=1

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

APT_PACKAGES=(pcscd libpcsclite-dev swig vsmartcard-vpcd pcsc-tools gcc python3-dev python3-venv)
if [[ $WITH_TESTS -eq 1 ]]; then
  # zsh: the completion test; softhsm2 + opensc (pkcs11-tool): the CPS's PKCS#11 view;
  # openssl: the self-signed certificate of tests/od/test_od_update.py's local https server.
  APT_PACKAGES+=(chromium firefox-esr zsh softhsm2 opensc openssl)
  command -v node >/dev/null || APT_PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "==> apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
echo "==> pip install vitale-bridge"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if [[ $WITH_TESTS -eq 1 ]]; then
  .venv/bin/python -m pip install -q -e '.[test,build]'
else
  .venv/bin/python -m pip install -q -e .
fi

# The extension is built with Python's standard library (extension/build.py), so the runtime
# set-up gives every user the packages `vitale-bridge demo` tells them to load, with or without
# Node.js. Node (Debian's, 18 on Debian 12) is needed only for the extension's unit tests and lint.
echo "==> building the browser extension (extension/dist/chrome, extension/dist/firefox)"
.venv/bin/python extension/build.py >/dev/null
if [[ $WITH_TESTS -eq 1 && -f extension/package.json ]]; then
  echo "==> npm ci (extension)"
  (cd extension && if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund -s; else npm install --no-audit --no-fund -s; fi)
fi
echo "==> ready: .venv/bin/vitale-bridge --version -> $(.venv/bin/vitale-bridge --version)"
