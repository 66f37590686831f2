#!/bin/bash
# Grade a large class on a Slurm cluster: one array task per shard, then one merge job.
#
#   bash deploy/slurm-grade.sh    # submits the array, and the merge that runs once it succeeded
#
# SUBMISSIONS and OUT must be on a file system every node sees. Full isolation needs root,
# bubblewrap and namespaces on the nodes; otherwise set ISOLATION=trusted (see the README).
#SBATCH --job-name=lrcourse-grade
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --mem=6G
#SBATCH --time=01:00:00
#SBATCH --output=lrcourse-grade-%A_%a.log
set -euo pipefail

SUBMISSIONS="${SUBMISSIONS:-$PWD/submissions}"
OUT="${OUT:-$PWD/out}"
ASSIGNMENT="${ASSIGNMENT:-lr-strategy}"
ISOLATION="${ISOLATION:-strict}"
SHARDS=4   # keep equal to the --array range above

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
    # Not inside the array: submit it, and the merge to run once every shard succeeded.
    array=$(sbatch --parsable "$0")
    shards=()
    for ((i = 0; i < SHARDS; i++)); do shards+=("$OUT/shard-$i"); done
    sbatch --dependency="afterok:$array" --job-name=lrcourse-merge \
        --wrap="lrcourse merge '$OUT/all' ${shards[*]}"
    exit 0
fi

lrcourse grade "$SUBMISSIONS" \
    --assignment "$ASSIGNMENT" \
    --isolation "$ISOLATION" \
    --jobs "${SLURM_CPUS_PER_TASK:-1}" \
    --shard "$SLURM_ARRAY_TASK_ID/$SHARDS" \
    --out "$OUT/shard-$SLURM_ARRAY_TASK_ID"
