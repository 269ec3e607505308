#!/usr/bin/env bash
# Prints the first Python >= 3.11 on PATH; otherwise says how to get one and exits 2.
for cand in python3.13 python3.12 python3.11 python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    command -v "$cand"; exit 0
  fi
done
echo "No Python >= 3.11 found. Install it, e.g.: sudo apt-get install -y python3 python3-venv (Debian 12 ships 3.11)" >&2
exit 2
