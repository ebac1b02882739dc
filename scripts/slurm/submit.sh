#!/bin/bash
# Submits a shard array and its dependent merge; prints the two job ids.
#   scripts/slurm/submit.sh exact   N OUT NETWORK [exact options…]
#   scripts/slurm/submit.sh compare N OUT [compare options…]
# Extra sbatch options (time limit, partition, account) go in SBATCH_ARGS, e.g.
#   SBATCH_ARGS="--time=02:00:00 --partition=short" scripts/slurm/submit.sh exact 64 out net.onnx
# LIPSCHITZ defaults to the release build next to this script's repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kind=${1:?exact or compare}; N=${2:?number of shards}; OUT=${3:?shared output directory}; shift 3
export LIPSCHITZ=${LIPSCHITZ:-$here/../../.build/release/lipschitz} SHARDS=$N
mkdir -p "$OUT"; export OUT=$(cd "$OUT" && pwd)
case $kind in
  exact)   export NETWORK=$(realpath "${1:?network file}"); shift; export EXACT_ARGS="$*" ;;
  compare) export COMPARE_ARGS="$*" ;;
  *) echo "submit.sh: unknown kind $kind (exact or compare)" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
array=$(sbatch --parsable --export=ALL --chdir="$OUT" --array=1-"$N" ${SBATCH_ARGS:-} "$here/$kind-shard.sbatch")
# shellcheck disable=SC2086
merge=$(sbatch --parsable --export=ALL --chdir="$OUT" --dependency=afterany:"${array%%;*}" ${MERGE_SBATCH_ARGS:-} "$here/merge.sbatch")
echo "$array $merge"
