#!/usr/bin/env bash
# Multi-host tests: the real `lockstep` binary under mpirun across 3 "hosts" made of network
# namespaces on this machine (testbed.sh), started through launch/run's netns profile, with
# TCP as the only transport between them.
#   Tests/MultiHost/run.sh
# Prints one line per check and, last, "N passed, N failed" -- or "skipped: REASON" (exit 0)
# where the test bed cannot be built (not root, no ip netns). Needs a release build.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/.build/release/lockstep"
run="$root/launch/run"
source "$root/Tests/MultiRank/lib.sh"
source "$here/testbed.sh"

reason=$(testbed_skip_reason)
if [ -n "$reason" ]; then echo "skipped: multi-host test bed: $reason"; exit 0; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-multihost.XXXXXX")
trap 'testbed_down; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cd "$work"
testbed_up 3 || { bad "creating 3 namespace hosts on a bridge"; echo "$passed passed, $failed failed"; exit 1; }
ok "test bed: 3 namespace hosts (host1-3, 10.77.0.11-13) on a bridge of their own"

recipe="$root/examples/fashion-mnist-mlp.yaml"
"$bin" shard fashion-mnist --source /usr/share/datasets/fashion-mnist --out data --shards 3 > shard.log 2>&1 \
  || { bad "shard Fashion-MNIST" "$(tail -3 shard.log)"; echo "$passed passed, $failed failed"; exit 1; }
# Global batch 12 everywhere: 1 × 12, 3 hosts × 1 rank × 4, 2 hosts × 2 ranks × 3, 2 hosts × 1 rank × 6.
common=(--set data.train="$work/data/fashion-mnist-train.manifest.json" --set data.test=null --set training.log_every=10)

# across HOSTS BATCH_PER_RANK OUT LOG [ARGS…]: a training run started on host1 across HOSTS.
across() {
  local hosts=$1 batch=$2 out=$3 log=$4; shift 4
  testbed_on 1 timeout 300 "$run" --cluster netns --hosts "$hosts" -- train "$recipe" "${common[@]}" \
    --set training.batch_per_rank="$batch" --out "$out" "$@" > "$log" 2>&1
}

# --- the network really is the namespaces' own ------------------------------------------------
if out=$(testbed_on 2 bash -c 'hostname; ip -4 -o addr show dev eth0; getent hosts host3') \
   && echo "$out" | grep -q "^host2$" && echo "$out" | grep -q "10.77.0.12/24" && echo "$out" | grep -q "10.77.0.13 *host3"; then
  ok "host2 has its own hostname, address 10.77.0.12 and resolves host3"
else
  bad "host identity in the namespaces" "$out"
fi

# --- equivalence: the same training across hosts as on one rank --------------------------------
timeout 300 "$run" -n 1 -- train "$recipe" "${common[@]}" --set training.batch_per_rank=12 --set training.max_steps=50 --out one \
  > one.log 2>&1 || bad "1-rank reference run" "$(tail -3 one.log)"
for layout in "host1:1,host2:1,host3:1 4 3x1" "host1:2,host2:2 3 2x2"; do
  read -r hosts batch name <<< "$layout"
  out=""
  if across "$hosts" "$batch" "eq$name" "eq$name.log" --set training.max_steps=50 \
     && out=$("$bin" compare "eq$name/model.h5" one/model.h5 --rtol 1e-5); then
    ok "$name hosts×ranks × batch $batch = 1 rank × 12 after 50 steps ($out)"
  else
    bad "equivalence on $name hosts×ranks" "$(grep -v '^-' "eq$name.log" | tail -4)" "${out:-}"
  fi
done

# --- the startup banner names every host ----------------------------------------------------------
if [ -f eq3x1.log ] && grep -q "host1: rank 0" eq3x1.log && grep -q "host2: rank 1" eq3x1.log && grep -q "host3: rank 2" eq3x1.log; then
  ok "startup banner lists host1, host2, host3 with their ranks"
else
  bad "startup banner" "$(grep -A5 'hosts' eq3x1.log | head -8)"
fi

# --- the environment ranks need reaches the other hosts (the agent starts them with a clean one) ---
if OPENBLAS_CORETYPE=Haswell across host1:1,host2:1,host3:1 4 env env.log --set training.max_steps=2 \
   && grep -q "host2: rank 1, 1 BLAS thread(s) per rank, .*BLAS Haswell" env.log && grep -q "host3: rank 2, .*BLAS Haswell" env.log; then
  ok "OPENBLAS_CORETYPE=Haswell set on host1 reaches the ranks on host2 and host3 (their banner lines say Haswell)"
else
  bad "environment forwarding to other hosts" "$(grep -E '^  host' env.log)"
fi

# --- data only host1 sees (a node's local disk): every rank that cannot open it is named ------------
mkdir -p local
out=$(testbed_on 1 unshare --mount --propagation private bash -c 'mount -t tmpfs node-local "$1" && cp data/* "$1"/ && shift && exec "$@"' \
      testbed "$work/local" timeout 120 "$run" --cluster netns --hosts host1:1,host2:1,host3:1 -- train "$recipe" \
      --set data.train="$work/local/fashion-mnist-train.manifest.json" --set data.test=null --out local-run 2>&1); code=$?
if [ "$code" = 1 ] && echo "$out" | grep -q "opening the data failed on 2 of 3 rank(s):" \
   && echo "$out" | grep -q "rank 1@host2: .*$work/local/fashion-mnist-train.manifest.json" \
   && echo "$out" | grep -q "rank 2@host3: " && echo "$out" | grep -q "a file system every node sees"; then
  ok "data on host1's local disk only: exit 1 naming rank 1@host2 and rank 2@host3 and the path, with the shared-file-system hint"
else
  bad "data only one host sees: exit $code" "$(echo "$out" | grep -v '^ *$' | grep -v '^-' | tail -6)"
fi

# --- checkpoint on 3 hosts, resume on 3 hosts (bitwise) and on 2 hosts (same global batch) --------
three=host1:1,host2:1,host3:1
ckpt=(--set checkpoint.every_steps=20)
out=""
across "$three" 4 full full.log --set training.max_steps=40 "${ckpt[@]}" || bad "uninterrupted 40-step run on 3 hosts" "$(tail -3 full.log)"
if across "$three" 4 cut cut1.log --set training.max_steps=20 "${ckpt[@]}" \
   && cp -r cut cut2 && across "$three" 4 cut resume3.log --set training.max_steps=40 "${ckpt[@]}" --resume auto \
   && grep -q "resuming from .*ckpt-000000020.h5 at step 20" resume3.log \
   && out=$("$bin" compare cut/model.h5 full/model.h5 --rtol 0); then
  ok "checkpoint at step 20 on 3 hosts, resumed on 3 hosts to 40: bitwise equal to the uninterrupted run ($out)"
else
  bad "resume on 3 hosts" "$(grep -v '^-' resume3.log 2>/dev/null | tail -3)" "${out:-}"
fi
out=""
if across host1:1,host2:1 6 cut2 resume2.log --set training.max_steps=40 "${ckpt[@]}" --resume auto \
   && grep -q "resuming from .*ckpt-000000020.h5 at step 20" resume2.log \
   && out=$("$bin" compare cut2/model.h5 full/model.h5 --rtol 1e-5); then
  ok "the same checkpoint resumed on 2 hosts × batch 6 (global batch 12) to step 40: matches the 3-host run ($out)"
else
  bad "resume on 2 hosts" "$(grep -v '^-' resume2.log 2>/dev/null | tail -3)" "${out:-}"
fi

# --- kill -9 of the rank on host2: the job ends within seconds, naming the rank and the host -------
across "$three" 4 killed killed.log --set training.max_steps=100000 --set training.log_every=1 &
job=$!
victim=""
if await killed.log "step 5/"; then
  for p in $(testbed_pids 2); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && victim=$p
  done
fi
if [ -n "$victim" ]; then
  start=$(date +%s.%N)
  kill -9 "$victim"
  wait "$job"; code=$?
  took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  if [ "$code" != 0 ] && [ "$code" != 124 ] && awk -v t="$took" 'BEGIN { exit !(t < 15) }' \
     && grep -q "rank 1" killed.log && grep -q "host2" killed.log; then
    ok "kill -9 of rank 1 on host2: the job ended in $took s (exit $code), naming rank 1 and host2"
  else
    bad "kill -9 on host2: exit $code after $took s" "$(grep -v '^-' killed.log | grep -v '^$' | tail -6)"
  fi
else
  kill -9 "$job" 2>/dev/null; wait "$job" 2>/dev/null
  bad "kill -9 on host2: no rank 1 found in host2's namespace" "$(tail -3 killed.log)"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
