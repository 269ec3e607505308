"""The desktop app: the community twin's wall display (Qt) on a scene, default the bundled demo
with the built-in simulator. ``python app.py --help`` lists the options; see README.md."""

from __future__ import annotations

import sys

from twin.shell.main import main

if __name__ == "__main__":
    sys.exit(main())
