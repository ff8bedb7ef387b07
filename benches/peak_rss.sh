#!/usr/bin/env bash
# Peak memory (maximum resident set size) and wall time of one simulated year of active-passive
# (year-of-failures) at 100 and 1,000 replications, as `regionsim run` runs it end to end
# (README, Performance). Usage: benches/peak_rss.sh [BINARY] [REPLICATIONS...]
#   BINARY defaults to target/release/regionsim (built with `cargo build --release` first);
#   REPLICATIONS default to "100 1000".
# Needs GNU time (/usr/bin/time; Debian's package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/regionsim}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100 1000)
if [ ! -x /usr/bin/time ]; then
    echo "error: /usr/bin/time is missing (apt-get install time)" >&2
    exit 2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-13s %14s %12s %14s\n' replications "peak RSS (MB)" "wall (s)" "CPU user (s)"
for n in "${counts[@]}"; do
    /usr/bin/time -v "$bin" run models/active-passive.ron scenarios/year-of-failures.ron \
        --replications "$n" --quiet --out "$out/run-$n" 2>"$out/time-$n" >/dev/null || true
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time-$n")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time-$n")
    status=$(awk -F': ' '/Exit status/ {print $2}' "$out/time-$n")
    user=$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$out/time-$n")
    # Exit 1 is an objective missed: the run itself finished.
    if [ -z "$kb" ] || { [ "$status" != 0 ] && [ "$status" != 1 ]; }; then
        echo "error: the run of $n replications failed:" >&2
        cat "$out/time-$n" >&2
        exit 2
    fi
    # Elapsed is [h:]m:ss.cc; in seconds.
    secs=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s }')
    printf '%-13s %14.1f %12s %14s\n' "$n" "$(echo "$kb / 1024" | bc -l)" "$secs" "$user"
done
