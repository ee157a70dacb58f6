#!/usr/bin/env bash
# The `large` survey (1,000,000 objects) end to end with the default model, then the 1M figures of
# the index and of the web API on its real embeddings:
#   1. benchmarks/embed_large.py: embed_survey_dask on 2 workers (resumes from the partitions
#      already written; about 2.4 hours of a 2-core machine from nothing, 2026-12-04);
#   2. astrolens index build --survey large --embeddings FOLDER (the catalogue from the chunks the
#      workers kept);
#   3. bench_index.py --embeddings FOLDER (recall, latency, search layer on the real vectors);
#   4. bench_http.py --index INDEX (the server of `astrolens serve` over the real index).
# Every step's output goes to benchmarks/results/large_end_to_end-<date>.log as well.
# Usage: bash benchmarks/large_end_to_end.sh [--nice]  (after make install; arguments go to
# embed_large.py). A smoke run on a small survey: SURVEY=tiny INDEX_ARGS="--factory IVF8,Flat"
# HTTP_ARGS=--quick bash benchmarks/large_end_to_end.sh
set -euo pipefail
cd "$(dirname "$0")"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2
python=../.venv/bin/python
astrolens=../.venv/bin/astrolens
cache=$("$python" -c 'from astrolens.files import cache_dir; print(cache_dir("embeddings"))')
survey=${SURVEY:-large}
embeddings="$cache/$survey-default-dask"
index="../indexes/$survey-default"
mkdir -p results
log="results/${survey}_end_to_end-$(date -u +%Y%m%dT%H%M).log"
{
    echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) $(getconf _NPROCESSORS_ONLN) cores, load $(cut -d' ' -f1 /proc/loadavg)"
    "$python" embed_large.py --survey "$survey" --run ../runs/default --workers 2 --out "$embeddings" "$@"
    echo "# $(date -u +%FT%TZ) index build"
    /usr/bin/time -f "index build: %e s, peak resident memory %M KiB" "$astrolens" index build \
        --survey "$survey" --run ../runs/default --embeddings "$embeddings" --out "$index"
    echo "# $(date -u +%FT%TZ) bench_index on the real embeddings"
    "$python" bench_index.py --embeddings "$embeddings" --survey "$survey" ${INDEX_ARGS:-}
    echo "# $(date -u +%FT%TZ) bench_http on the real index"
    "$python" bench_http.py --index "$index" ${HTTP_ARGS:-}
    echo "# $(date -u +%FT%TZ) done"
} 2>&1 | grep --line-buffered -v "oneDNN\|absl::InitializeLog" | tee "$log"
