#!/usr/bin/env bash
# `make bench`: runs the benchmark of an already built tree and prints its figures.
#   bash tests/bench/run.sh build/release [edgegate_bench flags, e.g. --gateway-seconds 10]
# `make bench` adds `--report BENCHMARKS.md` (relative paths are taken from the source tree).
# Figures are printed, nothing is asserted; a missing peer or binary is an error (exit 1).
set -euo pipefail
build_dir=${1:?usage: tests/bench/run.sh <build_dir> [bench flags]}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
case "$build_dir" in
    /*) ;;
    *) build_dir="$root/$build_dir" ;;
esac
bench="$build_dir/tests/bench/edgegate_bench"
if [ ! -x "$bench" ]; then
    echo "run.sh: no $bench; build the tree first (make bench builds the release preset)" >&2
    exit 1
fi
if [ ! -x /usr/sbin/mosquitto ]; then
    echo "run.sh: mosquitto is not installed (make deps)" >&2
    exit 1
fi
# Relative paths in the bench (the demo configuration) resolve against the source tree.
cd "$root"
exec "$bench" "$@"
