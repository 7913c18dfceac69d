#!/usr/bin/env bash
# Multi-rank tests: the real `lockstep` binary under mpirun, through launch/run.
# Needs a release build (.build/release/lockstep). Prints one line per check and, last,
# "N passed, N failed". Every failing-input case runs under a timeout: an error must end all
# ranks within seconds, never hang.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin="$root/.build/release/lockstep"
run="$root/launch/run"
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-multirank.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "PASS  $1"; }
bad()  { failed=$((failed + 1)); echo "FAIL  $1"; shift; for line in "$@"; do echo "      $line"; done; }
json() { sed -n "s/.*\"$2\" : \([0-9.eE+-]*\).*/\1/p" "$1"; }

recipe="$root/examples/fashion-mnist-mlp.yaml"
data=(--set data.train="$work/data/fashion-mnist-train.manifest.json" --set data.test="$work/data/fashion-mnist-test.manifest.json")

# --- sharding the real dataset --------------------------------------------------------------
if "$bin" shard fashion-mnist --source /usr/share/datasets/fashion-mnist --out data --shards 3 > shard.log 2>&1 \
   && [ -f data/fashion-mnist-train-00002-of-00003.h5 ] && grep -q '"num_samples" : 60000' data/fashion-mnist-train.manifest.json; then
  ok "shard Fashion-MNIST into 3+3 HDF5 shards with manifests"
else
  bad "shard Fashion-MNIST" "$(tail -3 shard.log)"
  echo "0 passed, 1 failed"; exit 1
fi

# --- BLAS kernels: every rank runs the best kernels its CPU executes --------------------------
# A misdetection is simulated by handing the ranks Prescott (SSE3) kernels through the test hook;
# each rank must restart itself with the best core for the CPU, whatever launched it.
sim=(env LOCKSTEP_TEST_BLAS_MISDETECTED=1 OPENBLAS_CORETYPE=Prescott)
out=$("${sim[@]}" "$run" -n 2 -- doctor --quick 2>&1)
best=$(echo "$out" | sed -n 's/.*so Lockstep restarted with OPENBLAS_CORETYPE=\([A-Za-z]*\).*/\1/p' | sort -u)
if [ "$(echo "$out" | grep -c "OpenBLAS had picked Prescott kernels, so Lockstep restarted with OPENBLAS_CORETYPE=$best")" = 2 ] \
   && [ -n "$best" ] && [ "$best" != Prescott ] && echo "$out" | grep -q "$best kernels"; then
  ok "misdetected BLAS core: both ranks restart themselves with OPENBLAS_CORETYPE=$best"
else
  bad "misdetected BLAS core under mpirun" "$out"
fi
bl=(--set data.test=null --set training.max_steps=20 --set training.log_every=10)
if [ -n "$best" ] \
   && "${sim[@]}" timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${bl[@]}" --out blas-sim > blas-sim.log 2>&1 \
   && OPENBLAS_CORETYPE="$best" timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${bl[@]}" --out blas-best > blas-best.log 2>&1 \
   && [ "$(grep -c 'BLAS: .*restarted with' blas-sim.log)" = 1 ] \
   && out=$("$bin" compare blas-sim/model.h5 blas-best/model.h5 --rtol 0); then
  ok "train after a restart: rank 0 reports it once; parameters bitwise equal to a run with OPENBLAS_CORETYPE=$best ($out)"
else
  bad "train after a BLAS restart" "$(grep BLAS blas-sim.log)" "$(tail -2 blas-sim.log)" "${out:-}"
fi
if ! grep -qw avx512f /proc/cpuinfo; then
  start=$SECONDS
  out=$(OPENBLAS_CORETYPE=SkylakeX timeout 60 "$run" -n 2 -- train "$recipe" "${data[@]}" "${bl[@]}" --out blas-bad 2>&1); code=$?
  if [ $code = 1 ] && [ "$(echo "$out" | grep -c 'OPENBLAS_CORETYPE=SkylakeX selects SkylakeX kernels (AVX-512), which this CPU.*cannot execute')" -ge 1 ]; then
    ok "AVX-512 kernels forced on a CPU without AVX-512: exit 1 in $((SECONDS - start)) s naming OPENBLAS_CORETYPE (no SIGILL)"
  else
    bad "OPENBLAS_CORETYPE=SkylakeX without AVX-512: exit $code" "$(echo "$out" | tail -3)"
  fi
fi

# --- multi-rank equivalence: N ranks x B/N == 1 rank x B --------------------------------------
eq_ok=1
for n in 1 2 4; do
  if ! timeout 300 "$run" -n "$n" -- train "$recipe" "${data[@]}" --out "eq$n" --set data.test=null \
       --set training.batch_per_rank=$((128 / n)) --set training.max_steps=50 --set training.log_every=25 > "eq$n.log" 2>&1; then
    bad "equivalence run on $n rank(s)" "$(tail -5 "eq$n.log")"; eq_ok=0
  fi
done
if [ $eq_ok = 1 ]; then
  for n in 2 4; do
    if out=$("$bin" compare "eq$n/model.h5" eq1/model.h5 --rtol 1e-5); then
      ok "equivalence: $n ranks x $((128 / n)) = 1 rank x 128 after 50 steps ($out)"
    else
      bad "equivalence: $n ranks x $((128 / n)) vs 1 rank x 128" "$out"
    fi
  done
fi

# --- the quickstart recipe reaches >= 85 % in 2 epochs on 2 ranks ----------------------------
if timeout 600 "$run" -n 2 -- train "$recipe" "${data[@]}" --out mlp > mlp.log 2>&1; then
  acc=$(json mlp/summary.json test_accuracy)
  if awk -v a="$acc" 'BEGIN { exit !(a >= 0.85) }'; then ok "MLP 784-512-256-10, 2 epochs, 2 ranks: test accuracy $acc >= 0.85"
  else bad "MLP test accuracy $acc < 0.85" "$(tail -3 mlp.log)"; fi
  n=$(grep -c "final test accuracy" mlp.log)
  [ "$n" = 1 ] && ok "only rank 0 prints progress" || bad "progress printed $n times (expected once, by rank 0)"
  if [ -f mlp/metrics.csv ] && [ "$(wc -l < mlp/metrics.csv)" = 3 ] && [ -f mlp/recipe.yaml ] && [ -f mlp/model.h5 ] \
     && [ "$(json mlp/summary.json world_size)" = 2 ] && [ "$(json mlp/summary.json steps)" = 936 ]; then
    ok "run directory: metrics.csv (2 epochs), recipe.yaml, model.h5, summary.json (world_size 2, 936 steps)"
  else
    bad "run directory contents" "$(ls mlp)"
  fi
  if out=$(timeout 120 "$run" -n 2 -- eval "$recipe" "${data[@]}" --weights mlp/model.h5 2>&1) \
     && echo "$out" | grep -q "test accuracy $(awk -v a="$acc" 'BEGIN { printf "%.2f", 100 * a }')%"; then
    ok "lockstep eval on 2 ranks reproduces the run's test accuracy"
  else
    bad "lockstep eval" "$out"
  fi
else
  bad "MLP training run failed" "$(tail -5 mlp.log)"
fi

# --- conv nets: LeNet-5 reaches >= 89 % in 3 epochs; ResNet-18 (CIFAR stem) learns on 32x32x3 ---
lenet="$root/examples/fashion-mnist-lenet.yaml"
if timeout 600 "$run" -n 2 -- train "$lenet" "${data[@]}" --out lenet > lenet.log 2>&1; then
  acc=$(json lenet/summary.json test_accuracy)
  if awk -v a="$acc" 'BEGIN { exit !(a >= 0.89) }'; then ok "LeNet-5, 3 epochs, 2 ranks: test accuracy $acc >= 0.89"
  else bad "LeNet-5 test accuracy $acc < 0.89" "$(grep test lenet.log | tail -3)"; fi
else
  bad "LeNet-5 training run failed" "$(tail -5 lenet.log)"
fi

"$bin" shard synthetic --shape 32x32x3 --classes 10 --train-samples 512 --test-samples 128 --shards 2 --out synth > /dev/null
if timeout 600 "$run" -n 2 -- train "$root/examples/synthetic-resnet18-cifar.yaml" --out resnet \
     --set data.train="$work/synth/synthetic-train.manifest.json" --set data.test="$work/synth/synthetic-test.manifest.json" \
     --set training.max_steps=12 --set training.log_every=4 > resnet.log 2>&1; then
  first=$(grep -m1 -o 'loss [0-9.]*' resnet.log | cut -d' ' -f2); last=$(grep 'step 12/12' resnet.log | grep -o 'loss [0-9.]*' | cut -d' ' -f2)
  if [ -n "$first" ] && [ -n "$last" ] && awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < 0.9 * a) }'; then
    ok "ResNet-18 (CIFAR stem) on 32x32x3, 2 ranks, 12 steps: train loss $first -> $last"
  else
    bad "ResNet-18 loss did not decrease ($first -> $last)" "$(grep step resnet.log)"
  fi
else
  bad "ResNet-18 training run failed" "$(tail -5 resnet.log)"
fi

# --- coordinator: checkpoints, bitwise resume, signals, crash safety, world-size change ----------
ck=(--set data.test=null --set training.log_every=20)
timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out full --set training.max_steps=60 > full.log 2>&1 \
  || bad "uninterrupted 60-step run" "$(tail -3 full.log)"
# Interrupted at a mid-epoch step by the step limit, then resumed.
if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out cut --set training.max_steps=37 > cut1.log 2>&1 \
   && timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out cut --set training.max_steps=60 --resume auto > cut2.log 2>&1 \
   && grep -q "resuming from .*ckpt-000000037.h5 at step 37" cut2.log \
   && out=$("$bin" compare cut/model.h5 full/model.h5 --rtol 0); then
  ok "stop at step 37, resume to 60 (2 ranks): parameters bitwise equal to an uninterrupted run ($out)"
else
  bad "interrupt-and-resume bitwise" "$(tail -2 cut1.log)" "$(tail -2 cut2.log)" "${out:-}"
fi
# Signals go to processes of the launched tree: `timeout` ($!) runs mpirun (launch/run execs
# it), whose children are the ranks, each known by OMPI_COMM_WORLD_RANK in its environment.
mpirun_of() { pgrep -P "$1" | head -1; }
rank_pid() {  # TIMEOUT_PID RANK
  local p
  for p in $(pgrep -P "$(mpirun_of "$1")"); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
  done
}
await() {  # LOG PATTERN: true once the pattern is in the log, false after 30 s
  local _
  for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
# signal_run NAME SIGNAL TARGET(mpirun|0|1) STEPS: starts a run, signals TARGET at step 20, sets code.
signal_run() {
  local name=$1 sig=$2 target=$3 steps=$4 pid victim
  timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out "$name" --set training.max_steps="$steps" > "$name.log" 2>&1 &
  pid=$!
  if ! await "$name.log" "step 20/$steps"; then
    kill -KILL "$pid" 2>/dev/null; wait "$pid"; code=none; return 1
  fi
  if [ "$target" = mpirun ]; then victim=$(mpirun_of "$pid"); else victim=$(rank_pid "$pid" "$target"); fi
  [ -n "$victim" ] && kill -"$sig" "$victim"
  wait "$pid"; code=$?
}
# SIGUSR1 to mpirun: every rank stops at a step boundary, rank 0 checkpoints, exit code 75.
if signal_run sig USR1 mpirun 60 && [ $code = 75 ] && grep -q "checkpoint .* written; exiting with 75" sig.log && [ -f sig/checkpoints/latest ]; then
  at=$(sed -n 's/.*signal 10 at step \([0-9]*\).*/\1/p' sig.log)
  if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out sig --set training.max_steps=60 --resume auto > sig2.log 2>&1 \
     && out=$("$bin" compare sig/model.h5 full/model.h5 --rtol 0); then
    ok "SIGUSR1 at step $at: checkpoint, exit 75; --resume auto completes bitwise equal to the uninterrupted run"
  else
    bad "resume after SIGUSR1" "$(tail -3 sig2.log)" "${out:-}"
  fi
else
  bad "SIGUSR1: exit $code (expected 75; 'none': step 20 never printed)" "$(grep -v '^-' sig.log | tail -4)"
fi
# SIGTERM to one rank directly (as Slurm's --signal does to each task).
if signal_run term TERM 1 400 && [ $code = 75 ] && grep -q "signal 15 at step" term.log; then ok "SIGTERM to rank 1: all ranks checkpoint and exit 75"
else bad "SIGTERM to rank 1: exit $code" "$(grep -v '^-' term.log | tail -4)"; fi
# SIGINT (Ctrl-C in an interactive allocation) to rank 0.
if signal_run int INT 0 400 && [ $code = 75 ] && grep -q "signal 2 at step" int.log; then ok "SIGINT to rank 0: all ranks checkpoint and exit 75"
else bad "SIGINT to rank 0: exit $code" "$(grep -v '^-' int.log | tail -4)"; fi
# kill -9 of rank 0 in the middle of writing its 2nd checkpoint: latest still names a complete one.
LOCKSTEP_FAULT_INJECTION=checkpoint-write:2 timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out crash \
  --set training.max_steps=60 --set checkpoint.every_steps=25 > crash.log 2>&1; code=$?
latest=$(cat crash/checkpoints/latest 2>/dev/null)
if [ $code != 0 ] && [ "$latest" = ckpt-000000025.h5 ] && "$bin" inspect crash/checkpoints/"$latest" > /dev/null \
   && timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out crash --set training.max_steps=60 \
        --set checkpoint.every_steps=25 --resume auto > crash2.log 2>&1 \
   && out=$("$bin" compare crash/model.h5 full/model.h5 --rtol 0); then
  ok "kill -9 of rank 0 while writing a checkpoint: latest = $latest (valid); resume completes bitwise equal"
else
  bad "crash during checkpoint write (exit $code, latest '$latest')" "$(ls crash/checkpoints 2>&1 | tr '\n' ' ')" "$(tail -2 crash2.log 2>/dev/null)"
fi
# Checkpoint written with 4 ranks, resumed on 2 (same global batch).
if timeout 300 "$run" -n 4 -- train "$recipe" "${data[@]}" "${ck[@]}" --out w4 --set training.batch_per_rank=32 --set training.max_steps=30 > w4a.log 2>&1 \
   && cp -r w4 w2 \
   && timeout 300 "$run" -n 4 -- train "$recipe" "${data[@]}" "${ck[@]}" --out w4 --set training.batch_per_rank=32 --set training.max_steps=50 --resume auto > w4b.log 2>&1 \
   && timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out w2 --set training.batch_per_rank=64 --set training.max_steps=50 --resume auto > w2.log 2>&1 \
   && out=$("$bin" compare w2/model.h5 w4/model.h5 --rtol 1e-5); then
  ok "4-rank checkpoint resumed on 2 ranks: after 20 more steps within 1e-5 of the 4-rank continuation ($out)"
else
  bad "4 -> 2 rank resume" "$(tail -2 w4b.log)" "$(tail -2 w2.log)" "${out:-}"
fi

# --- transfer learning demo at reduced size: fine-tuning beats training from scratch -----------
# 100 samples of classes 5-9 (20 per class), 10 epochs of 6 steps at a constant rate, the new
# head trained alone for 2 epochs; pretraining on 4,000 samples of classes 0-4. Three seeds
# (each its own subset, head and order). Measured with AVX2 kernels over seeds 1-4: fine-tuned
# 79.8-87.2 %, from scratch 27.4-83.4 % (it sometimes collapses at this rate), every seed won,
# by 3.7 to 56 points; the mean of any three seeds by 4.9 points or more. So the check asks for a
# fine-tuned floor of 75 % on every seed and a mean 3 points above from scratch. At 500 samples,
# or with a cosine rate, from scratch catches up and the outcome depends on the seed (README).
tl=(--set model.widths=[8,16,32,64] "${data[@]}")
few=(--set data.limit=100 --set training.batch_per_rank=8 --set training.epochs=10)
if timeout 600 "$run" -n 2 -- train "$root/examples/transfer/pretrain.yaml" "${tl[@]}" --set data.limit=4000 --out tpre > tpre.log 2>&1; then
  runs=() fts=() scs=() tl_ok=1
  for seed in 1 2 3; do
    if timeout 600 "$run" -n 2 -- train "$root/examples/transfer/finetune.yaml" "${tl[@]}" "${few[@]}" --set seed=$seed \
         --set unfreeze_after_epochs=2 --set pretrained="$work/tpre/model.h5" --out "tft$seed" > "tft$seed.log" 2>&1 \
       && timeout 600 "$run" -n 2 -- train "$root/examples/transfer/scratch.yaml" "${tl[@]}" "${few[@]}" --set seed=$seed \
         --out "tsc$seed" > "tsc$seed.log" 2>&1 \
       && grep -q "loaded pretrained weights .* new 5-class head" "tft$seed.log"; then
      fts+=("$(json "tft$seed/summary.json" test_accuracy)"); scs+=("$(json "tsc$seed/summary.json" test_accuracy)")
      runs+=("seed $seed: ${fts[-1]} vs ${scs[-1]}")
    else
      tl_ok=0; runs+=("seed $seed: run failed: $(tail -1 "tft$seed.log") $(tail -1 "tsc$seed.log" 2>/dev/null)")
    fi
  done
  if [ $tl_ok = 1 ] && awk -v f="${fts[*]}" -v s="${scs[*]}" 'BEGIN { n = split(f, a, " "); split(s, b, " ")
       for (i = 1; i <= n; i++) { if (a[i] < 0.75) exit 1; ma += a[i] / n; mb += b[i] / n }
       exit !(ma >= mb + 0.03) }'; then
    ok "transfer: 100 samples of classes 5-9, 3 seeds: fine-tuned >= 0.75 each and its mean >= from scratch + 0.03 (${runs[*]})"
  else
    bad "transfer: fine-tuned vs from scratch" "${runs[@]}"
  fi
else
  bad "transfer-learning demo: pretraining failed" "$(tail -2 tpre.log)"
fi

# --- bad input: clear message, non-zero exit on every rank, no hang ---------------------------
# expect_failure NAME PATTERN -- COMMAND...
expect_failure() {
  local name=$1 pattern=$2; shift 3
  local start=$SECONDS out code
  out=$(timeout 60 "$@" 2>&1); code=$?
  if [ $code = 124 ]; then bad "$name: hung (killed after 60 s)" "$(echo "$out" | tail -3)"
  elif [ $code = 0 ]; then bad "$name: exited 0" "$(echo "$out" | tail -3)"
  elif ! echo "$out" | grep -qF -- "$pattern"; then bad "$name: message lacks \"$pattern\"" "$(echo "$out" | grep -v '^\s*$' | head -5)"
  else ok "$name: exit $code in $((SECONDS - start)) s, \"$pattern\""; fi
}

"$bin" shard synthetic --shape 8x8x1 --train-samples 64 --test-samples 16 --shards 1 --out tiny > /dev/null
expect_failure "input size that does not fit the model" "layer 3 (Conv2D): expected input an image at least as large as the 5×5 kernel after padding 0×0, got input shape [6, 4, 4]" -- \
  "$run" -n 2 -- train "$lenet" --set data.train="$work/tiny/synthetic-train.manifest.json" --set data.test=null --out r9

cp -r data corrupt
printf '\xff\xff\xff\xff' | dd of=corrupt/fashion-mnist-train-00001-of-00003.h5 bs=1 seek=100000 conv=notrunc status=none
expect_failure "corrupted shard (2 ranks)" "fashion-mnist-train-00001-of-00003.h5: sha256 mismatch" -- \
  "$run" -n 2 -- train "$recipe" --set data.train="$work/corrupt/fashion-mnist-train.manifest.json" --set data.test=null --out r1

cp -r data truncated
head -c 1000000 data/fashion-mnist-train-00002-of-00003.h5 > truncated/fashion-mnist-train-00002-of-00003.h5
expect_failure "truncated shard, checksums off (2 ranks)" "fashion-mnist-train-00002-of-00003.h5" -- \
  "$run" -n 2 -- train "$recipe" --set data.train="$work/truncated/fashion-mnist-train.manifest.json" --set data.test=null \
  --set data.verify_checksums=false --out r2

rm -f truncated/fashion-mnist-train-00000-of-00003.h5
expect_failure "missing shard (2 ranks)" "fashion-mnist-train-00000-of-00003.h5: shard listed in" -- \
  "$run" -n 2 -- train "$recipe" --set data.train="$work/truncated/fashion-mnist-train.manifest.json" --out r3

cp -r data fewclasses
sed -i 's/"num_classes" : 10/"num_classes" : 5/' fewclasses/fashion-mnist-train.manifest.json
expect_failure "labels out of range (2 ranks)" "is outside 0..<5" -- \
  "$run" -n 2 -- train "$recipe" --set data.train="$work/fewclasses/fashion-mnist-train.manifest.json" --set data.test=null --out r4

expect_failure "missing manifest" "nowhere.manifest.json: manifest not found" -- \
  "$run" -n 2 -- train "$recipe" --set data.train=nowhere.manifest.json --out r5

expect_failure "unknown recipe key" "unknown recipe key 'optimizer.momentun'" -- \
  "$run" -n 2 -- train "$recipe" "${data[@]}" --set optimizer.momentun=0.9 --out r6

expect_failure "wrongly typed recipe value" "recipe key 'training.epochs' must be an integer, got two" -- \
  "$run" -n 2 -- train "$recipe" "${data[@]}" --set training.epochs=two --out r7

expect_failure "batch larger than a rank's data" "exceeds the 60000 training samples" -- \
  "$run" -n 2 -- train "$recipe" "${data[@]}" --set training.batch_per_rank=40000 --out r8

expect_failure "missing recipe" "no-such-recipe.yaml: recipe not found" -- "$run" -n 2 -- train no-such-recipe.yaml

expect_failure "weights of another model" "1.weight: file has [512, 784], model expects [64, 784]" -- \
  "$run" -n 2 -- eval "$recipe" "${data[@]}" --set 'model.hidden=[64]' --weights mlp/model.h5

cp -r cut badckpt
head -c 20000 cut/checkpoints/ckpt-000000060.h5 > badckpt/checkpoints/ckpt-000000060.h5
expect_failure "truncated checkpoint" "ckpt-000000060.h5: cannot read the checkpoint" -- \
  "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out badckpt --set training.max_steps=80 --resume auto
expect_failure "checkpoint of another model" "1.weight: file has [512, 784], model expects [128, 784]" -- \
  "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out cut --set 'model.hidden=[128, 256]' --set training.max_steps=80 --resume auto
expect_failure "optimizer changed since the checkpoint" "written with optimizer sgd, the recipe now uses adam" -- \
  "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out cut --set optimizer.name=adam --set training.max_steps=80 --resume auto
expect_failure "global batch changed since the checkpoint" "written with global batch 128 (2 ranks), this run's is 64" -- \
  "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out cut --set training.batch_per_rank=32 --set training.max_steps=80 --resume auto
# Disk full while writing: a file-size limit on the ranks (not on mpirun, whose PMIx store
# needs room) makes the step-40 checkpoint fail with EFBIG; step 20's must survive and load.
timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out dfull --set training.max_steps=20 > dfull1.log 2>&1
printf '#!/usr/bin/env bash\nulimit -f 3000\nexec %q "$@"\n' "$bin" > limited-lockstep && chmod +x limited-lockstep
expect_failure "disk full while writing a checkpoint" "checkpoint at step 40 not written" -- \
  "$run" -n 2 --bin "$work/limited-lockstep" -- train "$recipe" "${data[@]}" "${ck[@]}" --out dfull --set training.max_steps=40 --resume auto
if [ "$(cat dfull/checkpoints/latest)" = ckpt-000000020.h5 ] && [ -z "$(ls -A dfull/checkpoints | grep tmp)" ] \
   && timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out dfull --set training.max_steps=40 --resume auto > dfull3.log 2>&1; then
  ok "after the failed write: latest still names step 20, no temporary left, resume completes"
else
  bad "state after a failed checkpoint write" "$(ls -A dfull/checkpoints | tr '\n' ' ')" "$(tail -2 dfull3.log)"
fi
mkdir -p readonly && chmod 555 readonly
if [ "$(id -u)" != 0 ]; then
  expect_failure "unwritable checkpoint directory" "cannot create the checkpoint directory" -- \
    "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out rw --set checkpoint.dir="$work/readonly/ck" --set training.max_steps=5
else
  expect_failure "checkpoint directory that is a file" "cannot create the checkpoint directory" -- \
    "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out rw --set checkpoint.dir="$work/shard.log/ck" --set training.max_steps=5
fi

# --- benchmarks and the timeline (smoke: the numbers themselves are measured by launch/bench-compare) ---
if timeout 300 "$run" -n 2 -- bench W1 --json --steps 10 --warmup 2 --repeats 2 --timeline bench-w1.json > bench-w1.log 2>&1 \
   && python3 - bench-w1.log bench-w1.json <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert len(rows) == 1, f"{len(rows)} JSON lines (expected one, from rank 0)"
r = rows[0]
assert r["workload"] == "W1" and r["ranks"] == 2 and r["batch"] == 128 and r["samples_per_sec"] > 0, r
assert len(r["samples_per_sec_all"]) == 2 and r["peak_rss_bytes"] > 10**7, r
split = r["time_split_s_per_step"]
assert set(split) == {"data_wait", "forward", "backward", "allreduce", "optimizer", "sync"} and split["forward"] > 0, split
assert 0 <= r["allreduce_hidden_fraction"] <= 1, r
trace = json.load(open(sys.argv[2]))["traceEvents"]
ranks = {e["pid"] for e in trace if e["ph"] == "X"}
assert ranks == {0, 1}, ranks
cats = {e["cat"] for e in trace if e["ph"] == "X"}
assert {"forward", "backward", "allreduce", "optimizer", "data"} <= cats, cats
assert any(e["name"] == "1 Dense" and e["cat"] == "backward" for e in trace), "no per-layer spans"
PY
then ok "bench W1 on 2 ranks: one JSON line (ranks, samples/s, RSS, time split, hidden fraction); timeline has both ranks, per-layer spans, buckets"
else bad "bench W1 --json --timeline on 2 ranks" "$(tail -5 bench-w1.log)"; fi

if timeout 120 "$run" -n 2 -- bench W5 --json --sizes 4096,1048576 --repeats 3 > bench-w5.log 2>&1 \
   && [ "$(grep -c '"workload":"W5"' bench-w5.log)" = 2 ] && grep -q '"ratio_to_mpi"' bench-w5.log; then
  ok "bench W5 on 2 ranks: gradient sync vs raw MPI_Allreduce, one line per size"
else bad "bench W5" "$(tail -5 bench-w5.log)"; fi

if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" --out traced --set data.test=null --set training.max_steps=5 \
     --timeline traced.json > traced.log 2>&1 \
   && python3 -c 'import json,sys; t=json.load(open("traced.json"))["traceEvents"]; assert {e["pid"] for e in t if e["ph"]=="X"} == {0,1}' \
   && [ -z "$(ls traced.json.rank* 2>/dev/null)" ] && grep -q "ms per step on rank 0" traced.log; then
  ok "train --timeline on 2 ranks: one Chrome trace with both ranks, part files removed; per-phase times printed"
else bad "train --timeline" "$(tail -5 traced.log)"; fi

if "$bin" bench W9 > badbench.log 2>&1; then bad "bench W9 accepted"
elif grep -q 'unknown workload "W9"' badbench.log; then ok "bench rejects an unknown workload by name"
else bad "bench W9 message" "$(cat badbench.log)"; fi

# --- launcher (dry runs) ------------------------------------------------------------------------
dry=$("$run" -n 4 --dry-run -- train x.yaml)
cores=$(nproc)
if echo "$dry" | grep -q "mpirun -np 4" && echo "$dry" | grep -q "OPENBLAS_NUM_THREADS=1" \
   && { [ "$cores" -ge 4 ] || echo "$dry" | grep -q -- "--oversubscribe"; }; then
  ok "launch/run --dry-run: $dry"
else
  bad "launch/run --dry-run" "$dry"
fi

script=$("$root/launch/sbatch" -n 8 --time 00:30:00 --dry-run -- "$recipe")
if echo "$script" | grep -q -- "--signal=USR1@120" && echo "$script" | grep -q -- "--resume auto" \
   && echo "$script" | grep -q 'scontrol requeue' && echo "$script" | grep -q -- "--cluster slurm -n 8"; then
  ok "launch/sbatch --dry-run: USR1 120 s before the limit, requeue on exit 75, --resume auto"
else
  bad "launch/sbatch --dry-run" "$script"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
