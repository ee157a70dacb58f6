#!/usr/bin/env bash
# `make demo` from a fresh clone, timed: clone this repository into a temporary folder, `make install`,
# then `make demo`'s command without --serve, with an empty cache; then the same command again (warm).
# Prints the install, cold and warm times; the demo prints its stages (results/demo*.json keep them).
# Usage: bash benchmarks/demo_cold.sh [WORK_FOLDER]   (run with nothing else on the machine)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
rm -rf "$work/clone" "$work/cache"
git clone -q "$repo" "$work/clone"
cd "$work/clone"
export ASTROLENS_CACHE="$work/cache"
demo=(env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/astrolens demo)
now() { date +%s.%N; }
start=$(now)
make install
installed=$(now)
"${demo[@]}"
cold=$(now)
"${demo[@]}" >"$work/warm.log" 2>&1
warm=$(now)
echo "commit  $(git rev-parse --short HEAD)  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores"
echo "install $(echo "$installed - $start" | bc) s"
echo "demo    $(echo "$cold - $installed" | bc) s (cold)"
echo "total   $(echo "$cold - $start" | bc) s (fresh clone to answered queries)"
echo "warm    $(echo "$warm - $cold" | bc) s (a second run)"
