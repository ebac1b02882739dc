#!/bin/bash
# A real single-node Slurm cluster for the tests (`make slurm-test`): installs Debian's slurm-wlm
# and munge if missing, starts munged, slurmctld and slurmd with a generated key and slurm.conf
# (every file under one temporary directory), submits a sharded `compare` sweep and a sharded
# `exact` as job arrays with dependent merge jobs through scripts/slurm/submit.sh, waits, and
# checks the merges against unsharded runs: same constants (1e-12 relative), same region
# counts, same CSV rows (timing columns aside). The daemons are stopped at the end, even on failure.
#   scripts/slurm/test-cluster.sh [path/to/lipschitz]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=$(realpath "${1:-$repo/.build/release/lipschitz}")
SHARDS=4
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

missing=""
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "slurm-test: installing$missing"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

T=$(mktemp -d /tmp/lipschitz-slurm.XXXXXX)
chmod 755 "$T"
pids=()
stop_daemons() {
  # Only the daemons this script started, by the pids they wrote.
  for f in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munged.pid"; do
    [ -s "$f" ] && $SUDO kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  for f in "$T/slurmd.pid" "$T/slurmctld.pid" "$T/munged.pid"; do
    [ -s "$f" ] && $SUDO kill -9 "$(cat "$f")" 2>/dev/null || true
  done
}
cleanup() {
  status=$?
  stop_daemons
  if [ $status -ne 0 ]; then
    echo "slurm-test: FAILED (status $status); logs:"
    tail -n 20 "$T"/*.log "$T"/out-*/*.log 2>/dev/null || true
    echo "slurm-test: state kept in $T"
  else
    $SUDO rm -rf "$T"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# munge: a fresh key and socket under $T (--force: the key's directory is under /tmp).
mkdir -p "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$T/munge"; chmod 400 "$T/munge/munge.key"
$SUDO chown -R "$(id -un)" "$T/munge"
munged --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" \
  --pid-file="$T/munged.pid" --log-file="$T/munged.log" --seed-file="$T/munge/munge.seed"

# slurm.conf: this host as the only node, everything under $T, random ports.
host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
mkdir -p "$T/state" "$T/spool"
cat > "$T/slurm.conf" <<CONF
ClusterName=lipschitz-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
CredType=cred/munge
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
PlugStackConfig=$T/plugstack.conf
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
: > "$T/plugstack.conf"
export SLURM_CONF=$T/slurm.conf
slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed)' && break
  sleep 1
done
sinfo -h -o %T | grep -qE '^(idle|mixed)' || { echo "slurm-test: the node did not come up"; sinfo || true; exit 1; }
echo "slurm-test: single-node cluster up ($(sinfo -V), node $host, $(nproc) CPUs)"

wait_for() {  # job ids → waits until none is queued or running (at most 240 s)
  for _ in $(seq 240); do
    [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] && return 0
    sleep 1
  done
  echo "slurm-test: jobs $* did not finish in 240 s"; squeue; return 1
}

# Unsharded references, run here.
NET=$repo/instances/fixtures/deep-3x4x3x2.json
SWEEP="--dims 2,3 --widths 4,6 --depths 1,2 --trials 2 --samples 200 --seed 11"
"$BIN" exact "$NET" --threads 1 --json > "$T/exact-whole.json"
# shellcheck disable=SC2086
"$BIN" compare $SWEEP --quiet --csv "$T/compare-whole.csv" > /dev/null

# Sharded, through Slurm: a job array of 4 shards and a dependent merge, twice.
export LIPSCHITZ=$BIN
read -r ea em < <(cd "$T" && "$here/submit.sh" exact $SHARDS "$T/out-exact" "$NET" --threads 1)
# shellcheck disable=SC2086
read -r ca cm < <(cd "$T" && MERGE_ARGS="--csv $T/out-compare/merged.csv" "$here/submit.sh" compare $SHARDS "$T/out-compare" $SWEEP)
echo "slurm-test: submitted exact array $ea + merge $em, compare array $ca + merge $cm"
wait_for "$ea" "$em" "$ca" "$cm"
for job in "$em" "$cm"; do
  state=$(scontrol show job "$job" 2>/dev/null | grep -o 'JobState=[A-Z]*' || true)
  [ -z "$state" ] || [ "$state" = JobState=COMPLETED ] || { echo "slurm-test: merge job $job: $state"; exit 1; }
done

# exact: same constant (1e-12 relative), same region count, exact.
field() { grep -o "\"$2\": *[^,}]*" "$1" | head -1 | cut -d: -f2 | tr -d ' '; }
for f in "$T/exact-whole.json" "$T/out-exact/merged.json"; do [ -s "$f" ] || { echo "slurm-test: $f missing"; exit 1; }; done
w=$(field "$T/exact-whole.json" lower); m=$(field "$T/out-exact/merged.json" lower)
awk -v a="$w" -v b="$m" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-12 * (a < 0 ? -a : a)) }' \
  || { echo "slurm-test: exact constants differ: unsharded $w, merged $m"; exit 1; }
[ "$(field "$T/exact-whole.json" regions)" = "$(field "$T/out-exact/merged.json" regions)" ] \
  || { echo "slurm-test: region counts differ"; exit 1; }
[ "$(field "$T/out-exact/merged.json" exact)" = true ] || { echo "slurm-test: the merged exact result is not exact"; exit 1; }
echo "slurm-test: exact: merged $SHARDS shards = unsharded (constant $m, $(field "$T/out-exact/merged.json" regions) regions)"

# compare: the same CSV rows, timing columns (…seconds) aside.
strip() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /seconds$/) skip[i] = 1 }
           { out = ""; for (i = 1; i <= NF; i++) if (!(i in skip)) out = out $i ","; print out }' "$1"
}
diff <(strip "$T/compare-whole.csv") <(strip "$T/out-compare/merged.csv") > "$T/compare.diff" \
  || { echo "slurm-test: merged CSV differs from the unsharded one:"; head "$T/compare.diff"; exit 1; }
echo "slurm-test: compare: merged $SHARDS shards = unsharded ($(($(wc -l < "$T/compare-whole.csv") - 1)) CSV rows)"
# Resume: the same submission again skips every part that is complete, and merges the same.
read -r ra rm < <(cd "$T" && "$here/submit.sh" exact $SHARDS "$T/out-exact" "$NET" --threads 1)
wait_for "$ra" "$rm"
[ "$(grep -l "is complete, skipped" "$T"/out-exact/lipschitz-exact-"$ra"_*.log | wc -l)" = $SHARDS ] \
  || { echo "slurm-test: a rerun did not skip the complete parts"; exit 1; }
[ "$(field "$T/out-exact/merged.json" lower)" = "$m" ] || { echo "slurm-test: the resumed merge differs"; exit 1; }
echo "slurm-test: resume: a rerun skipped all $SHARDS complete parts"

# A time limit: Slurm sends SIGTERM to every process of the job; each shard still writes its
# certified interval and the merge is an honest interval, not exact.
SLOW=$T/slow.json
"$BIN" generate --input-dim 5 --width 20 --depth 3 --seed 3 -o "$SLOW" > /dev/null
read -r sa sm < <(cd "$T" && "$here/submit.sh" exact 2 "$T/out-stop" "$SLOW" --threads 1)
for _ in $(seq 60); do [ "$(squeue -h -j "$sa" -t R | wc -l)" = 2 ] && break; sleep 1; done
sleep 3
scancel --full --signal=TERM "$sa"
wait_for "$sa" "$sm"
[ -s "$T/out-stop/merged.json" ] || { echo "slurm-test: no merge after stopped shards"; exit 1; }
[ "$(field "$T/out-stop/merged.json" exact)" = false ] && [ "$(field "$T/out-stop/merged.json" stopped)" = '"interrupted"' ] \
  || { echo "slurm-test: the merge of stopped shards is not an interrupted interval: $(cat "$T/out-stop/merged.json")"; exit 1; }
lo=$(field "$T/out-stop/merged.json" lower); hi=$(field "$T/out-stop/merged.json" upper)
awk -v a="$lo" -v b="$hi" 'BEGIN { exit !(a > 0 && a <= b) }' || { echo "slurm-test: bad interval [$lo, $hi]"; exit 1; }
echo "slurm-test: SIGTERM'd shards: merged interval [$lo, $hi], not exact"
echo "slurm-test: passed"
