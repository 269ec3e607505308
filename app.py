"""The desktop app: the community twin's wall display (Qt) on a scene, default the bundled demo
with the built-in simulator. ``python app.py ARGS`` is ``twin view ARGS``: one program, one
entry point (``twin.cli.main``); ``python app.py --help`` lists the options; see README.md."""

from __future__ import annotations

import sys

from twin.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["view", *sys.argv[1:]]))
