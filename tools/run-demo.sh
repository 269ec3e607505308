#!/usr/bin/env bash
# `make run`: opens the demo scene. With no display (a server, a CI box) it renders a frame
# on a virtual screen instead and says where it is.
set -u
cd "$(dirname "$0")/.."
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/python app.py "$@"
fi
mkdir -p out
echo "No display found (DISPLAY is not set): rendering the demo on a virtual screen to out/demo.png instead."
exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/twin render scenes/demo.toml --view overview --feed sim --out out/demo.png
