#!/usr/bin/env bash
# Checks `lockstep scale` against measured runs on the namespace test bed (not part of
# launch/test: it measures time). As root:
#   Tests/MultiHost/scaling.sh [STEPS]
# Fits α and β to `lockstep bench W5` across 2, 3 and 4 hosts, measures the MLP's compute time per step
# on 1 rank, projects the step time on 2, 3 and 4 hosts (1 rank each), measures those runs, and
# prints both with the error. The hosts share this machine's cores: with more ranks than cores,
# compute and the TCP stack compete, which the model (made for nodes of their own) ignores.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/.build/release/lockstep" run="$root/launch/run" steps=${1:-60}
source "$here/testbed.sh"
reason=$(testbed_skip_reason); [ -z "$reason" ] || { echo "skipped: $reason"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-scaling.XXXXXX")
trap 'testbed_down; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cd "$work"
testbed_up 4
"$bin" shard fashion-mnist --source /usr/share/datasets/fashion-mnist --out data --shards 4 > /dev/null
hosts_for() { local p=$1 i list=""; for i in $(seq 1 "$p"); do list+="${list:+,}host$i:1"; done; echo "$list"; }

echo "== α, β: lockstep bench W5 on 2, 3 and 4 hosts"
for p in 2 3 4; do
  testbed_on 1 "$run" --cluster netns --hosts "$(hosts_for "$p")" -- bench W5 --json --repeats 3 --steps 40 \
    --sizes 16384,65536,262144,1048576,2143272,4194304,16777216 | grep '^{' > "w5-$p.json"
  cat "w5-$p.json" >> w5.json
done
grep -o '"ranks":[0-9]*\|"bytes":[0-9.e+]*\|"mpi_allreduce_s":[0-9.e+-]*' w5.json | paste - - - | sed 's/"//g' | column -t

# step_ms P: the MLP's milliseconds per step, by phase, on P hosts (batch 32 per rank)
phases() {
  local p=$1
  testbed_on 1 "$run" --cluster netns --hosts "$(hosts_for "$p")" -- train "$root/examples/fashion-mnist-mlp.yaml" \
    --set data.train="$work/data/fashion-mnist-train.manifest.json" --set data.test=null --set training.batch_per_rank=32 \
    --set training.max_steps="$steps" --set training.log_every=1000 --out "run$p" 2>&1 | sed -n 's/.*ms per step on rank 0: //p'
}
value() { echo "$1" | tr ',' '\n' | sed -n "s/^ *$2 \([0-9.]*\)$/\1/p"; }
one=$(phases 1)
compute=$(awk -v a="$(value "$one" data_wait)" -v b="$(value "$one" forward)" -v c="$(value "$one" backward)" -v d="$(value "$one" optimizer)" 'BEGIN { print a + b + c + d }')
backward=$(awk -v c="$(value "$one" backward)" -v t="$compute" 'BEGIN { printf "%.3f", c / t }')
echo "== 1 rank: $one  (compute $compute ms, backward fraction $backward)"
scale() { "$bin" scale --fit "$1" --parameters 535818 --compute-ms "$compute" --backward-fraction "$backward" --nodes 1,2,3,4 --batch-per-rank 32 "${@:2}"; }
scale w5.json | head -1
scale w5.json --json > projected.json
for p in 2 3 4; do scale "w5-$p.json" --json | sed -n "${p}p" > "projected-$p.json"; echo "  at $p hosts alone: $(scale "w5-$p.json" | head -1 | cut -d';' -f1)"; done
step_ms() { sed 's/.*"step_overlap_s":\([0-9.e+-]*\).*/\1/' "$1" | awk '{ print 1000 * $1 }'; }
error() { awk -v m="$1" -v q="$2" 'BEGIN { printf "%+.1f%%", 100 * (q - m) / m }'; }
printf "%6s  %12s  %28s  %28s\n" hosts "measured ms" "projected, α β of 2-4 hosts" "projected, α β of p hosts"
for p in 1 2 3 4; do
  if [ "$p" = 1 ]; then got=$one; else got=$(phases "$p"); fi
  measured=$(echo "$got" | tr ',' '\n' | awk '{ s += $2 } END { print s }')
  joint=$(sed -n "${p}p" projected.json > one.json; step_ms one.json)
  if [ "$p" = 1 ]; then own=$joint; else own=$(step_ms "projected-$p.json"); fi
  printf "%6d  %12.2f  %20.2f %7s  %20.2f %7s   (%s)\n" "$p" "$measured" "$joint" "$(error "$measured" "$joint")" "$own" "$(error "$measured" "$own")" "$got"
done
