#!/usr/bin/env bash
# Submits a regionsim study as a Slurm job array of SHARDS shards (default 4) and its merge, which
# waits for every shard (--dependency=afterok). Prints the two job ids.
#   SHARDS=8 deploy/slurm/submit.sh PARTIALS_DIR OUT_DIR run MODEL SCENARIO [OPTIONS...]
# e.g. SHARDS=8 deploy/slurm/submit.sh /shared/partials /shared/out run models/active-passive.ron \
#        scenarios/year-of-failures.ron --replications 1000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=${SHARDS:-4}
partials=$1
out=$2
shift 2
mkdir -p "$partials"
array=$(sbatch --parsable --array=0-$((shards - 1)) "$here/shards.sbatch" "$partials" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$array" "$here/merge.sbatch" "$partials" "$out")
echo "$array ${merge%%;*}"
