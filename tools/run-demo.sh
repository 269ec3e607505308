#!/usr/bin/env bash
# `make run`: opens the wall display on the demo scene. With no display (a server, a CI box)
# it runs the same window on a virtual screen for a few seconds and saves a screenshot.
set -u
cd "$(dirname "$0")/.."
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/python app.py "$@"
fi
mkdir -p out
echo "No display found (DISPLAY is not set): running the window on a virtual screen; screenshot in out/demo.png."
exec xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python app.py --screenshot out/demo.png --exit-after 12 "$@"
