# Shared by bin/demo and bin/test: install what is missing, say plainly what to do where we cannot.
# shellcheck shell=bash

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mError:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1
  fi
}

# The GDAL package is named after its soname, which changes between releases (libgdal32 on
# Debian 12, libgdal36 on Debian 13, libgdal34t64 on Ubuntu 24.04): pick the one this system has.
gdal_package() {
  apt-cache pkgnames libgdal 2>/dev/null | grep -E '^libgdal[0-9]+(t64)?$' | sort -V | tail -n 1
}

have_gdal() { ldconfig -p 2>/dev/null | grep -q 'libgdal\.so'; }

# ensure_system_packages [gdal] [chromium] [cjk-fonts] [docker-compose]
ensure_system_packages() {
  local wanted=() missing=() package
  for need in "$@"; do
    case "$need" in
      gdal) have_gdal || wanted+=(gdal) ;;
      chromium) [ -x /usr/bin/chromium ] || wanted+=(chromium) ;;
      cjk-fonts) fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || wanted+=(fonts-noto-cjk) ;;
      docker-compose) [ -x /usr/bin/docker-compose ] || wanted+=(docker-compose) ;;
    esac
  done
  [ ${#wanted[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    die "missing system packages: ${wanted[*]}. This script installs them with apt-get (Debian/Ubuntu).
On macOS: 'brew install gdal chromium' (and docker compose); elsewhere install the GDAL C library,
Chromium at /usr/bin/chromium, Noto CJK fonts and docker-compose with your package manager, then run again."
  fi
  say "Installing system packages: ${wanted[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    || die "cannot run apt-get as root. Run: sudo apt-get update && sudo apt-get install -y libgdal32 chromium fonts-noto-cjk docker-compose"
  for package in "${wanted[@]}"; do
    if [ "$package" = gdal ]; then
      package=$(gdal_package)
      [ -n "$package" ] || die "no libgdal package found by apt; install the GDAL C library (e.g. libgdal32) yourself"
    fi
    missing+=("$package")
  done
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# ensure_venv requirements-file: a virtualenv in .venv with exactly those pins installed.
ensure_venv() {
  local requirements=$1 python=${PYTHON:-python3} stamp
  command -v "$python" >/dev/null 2>&1 || die "python3 (3.10 or newer) is needed; install it and run again"
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "Python 3.10 or newer is needed (Django 5.2); found $("$python" --version 2>&1). Set PYTHON=/path/to/python3.11"
  if [ ! -x .venv/bin/python ]; then
    say "Creating the virtualenv in .venv"
    "$python" -m venv .venv || die "could not create a virtualenv: install python3-venv (apt-get install python3-venv)"
  fi
  stamp=$(cat requirements*.txt | sha256sum | cut -c1-16)
  if [ "$(cat ".venv/.installed-$requirements" 2>/dev/null)" != "$stamp" ]; then
    say "Installing Python packages from $requirements"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -r "$requirements" || die "pip install -r $requirements failed"
    echo "$stamp" > ".venv/.installed-$requirements"
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}
