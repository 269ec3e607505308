#!/usr/bin/env bash
# Installs the system packages the twin needs (virtual screen, MQTT broker, PostgreSQL for the
# test suite's own cluster and the shared store, CJK fonts, the
# libraries Qt's xcb platform and VTK's OpenGL load, Pango and HarfBuzz's subsetter for
# WeasyPrint: `twin report`'s PDF; without libharfbuzz-subset0 WeasyPrint falls back to
# fontTools, which takes about 20 s to subset the CJK fonts instead of half a second). As root it runs apt-get; otherwise it
# prints the exact command and stops, because the tests cannot pass without them.
set -u
PKGS=(python3-venv xvfb xauth x11-utils mosquitto mosquitto-clients postgresql fonts-noto-cjk
      libgl1 libegl1 libgl1-mesa-dri libglu1-mesa libosmesa6 libxrender1 libxext6 libxt6 libxcursor1
      libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
      libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libdbus-1-3
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${missing[*]} (this is not a Debian-based system: install their equivalents)." >&2
  exit 2
fi
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "apt-get failed; run: apt-get install -y ${missing[*]}" >&2; exit 2; }
else
  echo "Missing system packages. Run this, then repeat the make command:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 2
fi
