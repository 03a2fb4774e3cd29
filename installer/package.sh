#!/usr/bin/env bash
# Build the installable packages of vitale-bridge.
#
#   bash installer/package.sh deb     # -> dist/vitale-bridge_<version>_<arch>.deb (Debian/Ubuntu)
#   VB_EXTENSION_DIST=DIR bash installer/package.sh deb   # with extension zips built elsewhere
#
# Installs its own build needs with apt (run as root, or with sudo available), builds the
# PyInstaller host (in build/deb/venv, from /usr/bin/python3), the browser extension, then the package, and runs lintian on it
# (fails on lintian errors). Windows and macOS packages: see docs/install.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "==> apt-get install ${missing[*]}" >&2
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
      --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The browser extension packages (extension/dist/vitale-bridge-{chrome,firefox}-<version>.zip),
# built with Python's standard library: no Node.js needed to package.
build_extension() {
  python3 extension/build.py >/dev/null
}

build_deb() {
  # dpkg-dev: dpkg-shlibdeps; binutils: strip, readelf; chrpath; the rest builds pyscard when pip has no wheel.
  apt_install dpkg-dev binutils chrpath lintian python3-venv python3-dev libpython3-dev gcc swig libpcsclite-dev
  # The host is frozen from the distribution's own Python (not a pyenv or a venv of the
  # checkout): its private interpreter and extension modules then link to Debian's libraries.
  local venv=build/deb/venv
  if [[ ! -x $venv/bin/python ]]; then
    echo "==> creating $venv from /usr/bin/python3" >&2
    /usr/bin/python3 -m venv "$venv"
  fi
  # Every time: quick when nothing changed, and a dependency added since the last build is not missed.
  "$venv/bin/python" -m pip install -q -e '.[build]' >&2
  # VB_EXTENSION_DIST: a folder with extension zips built elsewhere (another CI job).
  local extension_dist=${VB_EXTENSION_DIST:-extension/dist}
  if [[ -z ${VB_EXTENSION_DIST:-} ]]; then
    echo "==> building the browser extension" >&2
    build_extension
  fi
  echo "==> building the host (PyInstaller) and the package" >&2
  local deb
  deb=$("$venv/bin/python" installer/deb.py --out dist --extension-dist "$extension_dist" | tail -n 1)
  echo "==> lintian $deb" >&2
  lintian --fail-on error "$deb" >&2
  echo "$deb"
}

case "${1:-}" in
  deb) build_deb ;;
  *) echo "usage: bash installer/package.sh deb   (Windows/macOS packages: see docs/install.md)" >&2; exit 2 ;;
esac
