#!/usr/bin/env bash
# Installs the Debian packages given as arguments that are not installed yet.
#   bash scripts/apt-install.sh influxdb curl
# Runs `apt-get update` only when the first install attempt fails (stale or empty package lists),
# so a machine with fresh lists installs without touching the network twice. Needs root (or sudo).
set -euo pipefail

missing=()
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0

sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "apt-install: need root to install ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "apt-install: installing ${missing[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() { "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >"$log" 2>&1; }
if ! install; then
  echo "apt-install: install failed, running apt-get update and retrying"
  "${sudo[@]}" apt-get update -q </dev/null >>"$log" 2>&1 || true
  if ! install; then
    tail -n 15 "$log" >&2
    echo "apt-install: could not install ${missing[*]} (apt-get output above)" >&2
    exit 1
  fi
fi
