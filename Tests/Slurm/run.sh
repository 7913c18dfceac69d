#!/usr/bin/env bash
# Slurm tests on a real Slurm cluster of 3 nodes on this machine (cluster.sh): Lockstep under
# salloc and sbatch as users run it, its requeue on the warning signal, scancel, and a node lost
# mid-run. Needs root and a release build; prints one line per check and, last, "N passed,
# N failed", or "skipped: REASON" where the cluster cannot run.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/.build/release/lockstep"
run="$root/launch/run"
source "$here/../MultiRank/lib.sh"
source "$here/cluster.sh"
reason=$(slurm_skip_reason)
[ -z "$reason" ] || { echo "skipped: $reason"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-slurm-tests.XXXXXX") && chmod 755 "$work"
trap 'slurm_down; rm -rf "$work"' EXIT
cd "$work" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
start=$SECONDS
if ! slurm_up 3 > cluster.log 2>&1; then echo "FAIL  the Slurm cluster did not come up: $(tail -3 cluster.log)"; echo "0 passed, 1 failed"; exit 1; fi
ok "a Slurm cluster of 3 nodes (slurmctld, munge, one slurmd per namespace node) up in $((SECONDS - start)) s"
"$bin" shard fashion-mnist --out data > shard.log 2>&1 || bad "shard Fashion-MNIST" "$(tail -2 shard.log)"

recipe="$root/examples/fashion-mnist-mlp.yaml"
short=(--set data.train=data/fashion-mnist-train.manifest.json --set data.test=null --set training.progress=lines --set training.log_every=50)
waitfor() {  # SECONDS CONDITION…: true once the condition holds
  local limit=$1 _; shift
  for _ in $(seq 1 $((limit * 2))); do "$@" && return 0; sleep 0.5; done
  return 1
}
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
restarts() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p'; }
job_is() { [ "$(job_state "$1")" = "$2" ]; }  # JOB STATE (waitfor evaluates it again each time)

# --- salloc + launch/run --cluster slurm: one world of 3 ranks on 3 nodes, equal to 1 rank -------
if timeout 120 salloc -N3 -n3 "$run" --cluster slurm -n 3 -- train "$recipe" "${short[@]}" --set training.max_steps=30 \
     --set training.batch_per_rank=16 --out s3 > s3.log 2>&1 \
   && timeout 120 "$run" -n 1 -- train "$recipe" "${short[@]}" --set training.max_steps=30 --set training.batch_per_rank=48 --out s1 > s1.log 2>&1 \
   && grep -q "3 rank(s) on 3 host(s)" s3.log && out=$("$bin" compare s3/model.h5 s1/model.h5 --rtol 1e-5); then
  ok "salloc -N3 + launch/run --cluster slurm -n 3: one job of 3 ranks on n1, n2, n3 (PMI picked: $(grep -o 'srun --mpi=[a-z0-9]*' s3.log | head -1 || echo pmix)) = 1 rank x 48 after 30 steps ($out)"
else
  bad "salloc 3 ranks vs 1 rank (step 1: salloc; 2: mpirun; 3: one world on 3 hosts; 4: compare)" "$(grep -v '^\s*$' s3.log | tail -3)" "$(tail -1 s1.log)" "${out:-}"
fi

# --- srun without PMI: 3 singletons, refused with the fix named --------------------------------
expect_failure "srun --mpi=none (no PMI): Lockstep refuses before MPI starts, naming the fix" "srun started 3 tasks (SLURM_STEP_NUM_TASKS=3) without a PMI" -- \
  salloc -N3 -n3 srun --mpi=none "$bin" train "$recipe" "${short[@]}" --set training.max_steps=5 --set training.batch_per_rank=16 --out single

# --- the reference for the batch jobs: 3 ranks, 300 steps, uninterrupted --------------------------
# slow:0:25 (fault injection): rank 0 waits 25 ms per batch, so the jobs last long enough to be
# interrupted (every rank waits for it at the allreduce) without using more of the 2 cores.
long=("${short[@]}" --set training.max_steps=300 --set training.batch_per_rank=16 --set checkpoint.every_steps=50)
export LOCKSTEP_FAULT_INJECTION=slow:0:25
timeout 300 salloc -N3 -n3 "$run" --cluster slurm -n 3 -- train "$recipe" "${long[@]}" --out whole > whole.log 2>&1 \
  || bad "the uninterrupted 3-rank reference run" "$(tail -3 whole.log)"

# --- sbatch: the warning signal (USR1) while the ranks start; the job requeues itself and ends equal
submit() {  # NAME: submits the long run as launch/sbatch does, prints the job id
  "$root/launch/sbatch" -n 3 --time 00:10:00 --job-name "$1" -- "$recipe" "${long[@]}" --out "$1" 2>&1 | sed -n 's/^Submitted batch job //p'
}
job=$(submit requeue)
# The signal goes out once all 3 ranks' processes exist and have loaded their libraries (0.1 s on):
# within MPI start-up, which lasts about 0.3 s more. Before a process's libraries have loaded (its
# first ~20 ms) nothing of Lockstep runs yet to catch it.
ranks_started() { [ "$(pgrep -a -x lockstep | grep -c -- "--out $1")" -ge 3 ]; }
if [ -n "$job" ] && waitfor 60 ranks_started requeue && sleep 0.1 && scancel --signal=USR1 "$job" \
   && waitfor 180 job_is "$job" COMPLETED \
   && grep -q "requeueing job $job" "requeue-$job.out" && grep -q "requeued 1 time(s) so far" "requeue-$job.out" \
   && out=$("$bin" compare requeue/model.h5 whole/model.h5 --rtol 1e-5); then
  ok "sbatch: USR1 0.1 s after the 3 ranks started -> checkpoint ($(grep -o 'signal 10 at step [0-9]*' "requeue-$job.out" | head -1)), exit 75, requeued itself once, resumed, = uninterrupted ($out)"
else
  bad "sbatch requeue on USR1 (job ${job:-none}, state $(job_state "${job:-0}"))" "$(grep -v '^\s*$' "requeue-$job.out" 2>/dev/null | grep -i -E "lockstep:|error|signal" | tail -4)"
fi

# --- scancel: a clean stop with a checkpoint; a new job resumes it to the uninterrupted end -------
job=$(submit cancel)
if [ -n "$job" ] && waitfor 60 job_is "$job" RUNNING && waitfor 60 test -f cancel/checkpoints/latest \
   && scancel "$job" && waitfor 60 job_is "$job" CANCELLED && grep -q "checkpoint .* written; exiting with 75" "cancel-$job.out" \
   && timeout 300 salloc -N3 -n3 "$run" --cluster slurm -n 3 -- train "$recipe" "${long[@]}" --out cancel --resume auto > cancel-resume.log 2>&1 \
   && out=$("$bin" compare cancel/model.h5 whole/model.h5 --rtol 1e-5); then
  ok "scancel: SIGTERM -> checkpoint at $(grep -o 'signal 15 at step [0-9]*' "cancel-$job.out" | head -1 | sed 's/signal 15 at //'); resumed by a new job = uninterrupted ($out)"
else
  bad "scancel (job ${job:-none}, state $(job_state "${job:-0}"))" "$(grep -i -E "lockstep:|error|signal" "cancel-$job.out" 2>/dev/null | tail -3)" "$(tail -2 cancel-resume.log 2>/dev/null)"
fi

# --- a node lost: every process of the job's last node SIGKILLed mid-run (not the batch script's
# node); Slurm marks it down and requeues the job, which resumes on the nodes left
job=$(submit lost)
if [ -n "$job" ] && waitfor 60 job_is "$job" RUNNING && waitfor 90 test -f lost/checkpoints/latest; then
  victim=$(scontrol show hostnames "$(squeue -h -j "$job" -o %N)" | tail -1)
  sleep 1
  slurm_node_pids "${victim#n}" | xargs -r kill -9
  if waitfor 240 job_is "$job" COMPLETED && [ "$(restarts "$job")" -ge 1 ] \
     && out=$("$bin" compare lost/model.h5 whole/model.h5 --rtol 1e-5); then
    from=$(grep -o "resuming from [^ ]* at step [0-9]*" "lost-$job.out" | tail -1 | grep -o '[0-9]*$')
    reached=$(sed -n '/resuming from/q; s/.* step \([0-9]*\)\/300 .*/\1/p' "lost-$job.out" | tail -1)
    ok "node $victim killed mid-run (progress line: step ${reached:-?}): Slurm requeued the job ($(restarts "$job") restart), it resumed from the checkpoint of step ${from:-?} on $(sed -n 's/.* on \(n[^ ]*\), requeued.*/\1/p' "lost-$job.out" | tail -1) and ended = uninterrupted ($out)"
  else
    bad "node failure (job $job, state $(job_state "$job"), restarts $(restarts "$job"))" "$(grep -i -E "lockstep:|error|node" "lost-$job.out" 2>/dev/null | tail -4)"
  fi
else
  bad "node failure: the job did not start or checkpoint (job ${job:-none}, state $(job_state "${job:-0}"))" "$(tail -3 "lost-$job.out" 2>/dev/null)"
fi
unset LOCKSTEP_FAULT_INJECTION

echo "slurm: $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
