#!/usr/bin/env bash
# End-to-end speed and memory, as a user runs regionsim (the figures of the README's Performance section):
#
#  1. the engine on the M/M/c validation model (`regionsim run`, one thread) against a minimal
#     hand-written loop on the same requests (examples/mmc_loop.rs): the ratio of their request rates;
#  2. `active-passive` × `region-outage` at full fidelity, one thread: requests per second;
#  3. the five DR designs × 100 replications on `region-outage`, as the README runs it: wall time;
#  4. a year of `active-passive` × `year-of-failures` with 100 and 1,000 replications: wall time and peak
#     memory (GNU time's maximum resident set size).
#
# Each timing is the median of three runs. Usage: benches/speed.sh [quick] (quick: steps 1 and 2 only).
# REGIONSIM_BIN=path runs another build of regionsim (an older commit's) through the same steps.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin regionsim --example mmc_loop >/dev/null
bin=${REGIONSIM_BIN:-target/release/regionsim}
loop=target/release/examples/mmc_loop
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median3() { # command... → the median wall time of three runs [s]
    local t=()
    for _ in 1 2 3; do
        local s e
        s=$(date +%s.%N)
        "$@" >/dev/null
        e=$(date +%s.%N)
        t+=("$(echo "$e - $s" | bc -l)")
    done
    printf '%s\n' "${t[@]}" | sort -g | sed -n 2p
}

horizon=5000
requests=$($loop $horizon)
t_loop=$(median3 $loop $horizon)
t_engine=$(median3 $bin run models/validation/mmc.ron scenarios/validation/mmc.ron --set horizon_s=$horizon \
    --set warmup_s=0 --replications 1 --seed 1 --threads 1 --quiet --out "$out/mmc")
engine_requests=$(python3 -c "import json; print(json.load(open('$out/mmc/results.json'))['requests']['total'])")
printf 'M/M/c: hand-written loop %.2f M requests/s, regionsim run %.2f M requests/s: %.2f x\n' \
    "$(echo "$requests / $t_loop / 1000000" | bc -l)" "$(echo "$engine_requests / $t_engine / 1000000" | bc -l)" \
    "$(echo "($engine_requests / $t_engine) / ($requests / $t_loop)" | bc -l)"

t_ap=$(median3 $bin run models/active-passive.ron scenarios/region-outage.ron --set fidelity=Full \
    --set horizon_s=3600 --set outages[0].duration_s=1200 --replications 1 --threads 1 --quiet --out "$out/ap")
ap_requests=$(python3 -c "import json; print(json.load(open('$out/ap/results.json'))['requests']['total'])")
printf 'active-passive x region-outage (1 h, full fidelity, 1 thread): %.2f M requests/s\n' \
    "$(echo "$ap_requests / $t_ap / 1000000" | bc -l)"
[ "${1:-}" = quick ] && exit 0

t_cmp=$(median3 $bin compare models/backup-restore.ron models/pilot-light.ron models/warm-standby.ron \
    models/active-passive.ron models/active-active.ron --scenario scenarios/region-outage.ron \
    --replications 100 --quiet --out "$out/cmp")
printf 'compare, 5 DR designs x 100 replications x 6 h: %.1f s\n' "$t_cmp"

for n in 100 1000; do
    /usr/bin/time -f '%e %M' -o "$out/time" $bin run models/active-passive.ron scenarios/year-of-failures.ron \
        --replications $n --quiet --out "$out/year$n"
    read -r secs kb < "$out/time"
    printf 'year-of-failures, %d replications: %.1f s, peak memory %.0f MB\n' "$n" "$secs" "$(echo "$kb / 1024" | bc -l)"
done
