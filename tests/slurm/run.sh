#!/usr/bin/env bash
# The shipped Slurm recipe on a real Slurm: installs Debian's slurm-wlm and munge if missing, starts
# munged, slurmctld and slurmd on this one node as root (no systemd), submits deploy/slurm/submit.sh
# for a short shipped study in 4 shards, waits for the array and its merge, and compares every byte of
# the merge with a single run. Run by .ci/run; a failed installation fails it (it never passes by
# skipping). Locally, REGIONSIM_SKIP_SLURM=1 skips it (ignored when CI=true).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

if [ "${REGIONSIM_SKIP_SLURM:-}" = 1 ] && [ "${CI:-}" != true ]; then
    echo "slurm test: skipped (REGIONSIM_SKIP_SLURM=1)"
    exit 0
fi
fail() {
    echo "slurm test: FAILED: $*" >&2
    exit 1
}
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || fail "slurm-wlm and munge are missing and apt-get is not available"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null) \
        || fail "could not install slurm-wlm and munge"
fi
[ "$(id -u)" = 0 ] || fail "must run as root (it starts slurmctld and slurmd with SlurmUser=root)"

bin=$root/target/release/regionsim
[ -x "$bin" ] || cargo build --release --locked
work=$(mktemp -d /tmp/regionsim-slurm.XXXXXX)
pids=()
cleanup() {
    # Only the daemons this script started, by their process ids.
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# munge: a fresh key and a daemon of our own (its own socket, so a running munged is left alone).
mkdir -p "$work/munge" && chmod 700 "$work/munge"
mungekey --create --force --keyfile "$work/munge/munge.key" >/dev/null 2>&1 \
    || dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
socket=$work/munge/munge.socket
munged --force --key-file "$work/munge/munge.key" --socket "$socket" \
    --pid-file "$work/munge/munged.pid" --log-file "$work/munge/munged.log" --seed-file "$work/munge/seed" \
    || fail "munged did not start: $(cat "$work/munge/munged.log" 2>/dev/null)"
for _ in $(seq 50); do [ -s "$work/munge/munged.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/munge/munged.pid")")

host=$(hostname -s)
mkdir -p "$work/state" "$work/spool" "$work/log"
conf=$work/slurm.conf
cat >"$conf" <<CONF
ClusterName=regionsim-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
MinJobAge=600
NodeName=$host CPUs=2 State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$conf
slurmctld -f "$conf" || fail "slurmctld did not start: $(tail -5 "$work/log/slurmctld.log" 2>/dev/null)"
for _ in $(seq 50); do [ -s "$work/slurmctld.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/slurmctld.pid")")
slurmd -f "$conf" || fail "slurmd did not start: $(tail -5 "$work/log/slurmd.log" 2>/dev/null)"
for _ in $(seq 50); do [ -s "$work/slurmd.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/slurmd.pid")")
for _ in $(seq 60); do
    sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && break
    sleep 1
done
sinfo -h -o %t | grep -qE '^(idle|mix|alloc)' \
    || fail "the node did not come up: $(sinfo 2>&1); $(tail -5 "$work/log/slurmd.log")"

# A short shipped study: the M/M/c validation model, 6 replications of 30 s.
study=(run models/validation/mmc.ron tests/fixtures/mmc_short.ron --replications 6)
export REGIONSIM=$bin
cd "$work"
ln -s "$root/models" models
mkdir tests && ln -s "$root/tests/fixtures" tests/fixtures
read -r array merge < <(SHARDS=4 "$root/deploy/slurm/submit.sh" "$work/partials" "$work/merged" "${study[@]}")
echo "slurm test: submitted array $array and merge $merge"
for _ in $(seq 300); do
    [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
    sleep 1
done
[ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] || fail "the jobs did not finish in 5 minutes: $(squeue)"
state=$(scontrol show job "$merge" | grep -o 'JobState=[A-Z]*' || true)
[ "$state" = JobState=COMPLETED ] || fail "merge job: $state; $(cat regionsim-*.log 2>/dev/null)"
[ "$(ls partials/*.partial | wc -l)" = 4 ] || fail "expected 4 partials: $(ls partials)"
"$bin" "${study[@]}" --quiet --out "$work/single" || [ $? -eq 1 ] || fail "the single run failed"
count=0
while IFS= read -r f; do
    cmp "single/$f" "merged/$f" || fail "$f differs between the single run and the Slurm merge"
    count=$((count + 1))
done < <(cd single && find . -type f | sort)
[ "$(cd merged && find . -type f | wc -l)" = "$count" ] || fail "the merge wrote other files than the single run"
echo "slurm test: 4 shards on Slurm, merged: $count files identical to the single run"
echo "1 passed, 0 failed"
