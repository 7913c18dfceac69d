# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Every rank runs the best BLAS kernels its CPU executes.

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

# --- Lockstep's vector kernels: the best set this CPU runs, or the one LOCKSTEP_KERNELS names ---
# Winograd's transforms are compiled for AVX-512, AVX2 and baseline x86-64; every set computes
# the same bits (they only add, subtract and halve), so a ResNet trained with the baseline code
# equals one trained with the best, and a name that is no set is an error before any step.
out=$(LOCKSTEP_KERNELS=baseline "$run" -n 2 -- doctor --quick 2>&1)
kb=(--set model.widths=[8,16,32,64] --set data.limit=512 --set data.test=null --set training.max_steps=6 --set training.log_every=3)
if echo "$out" | grep -q "Lockstep's vector kernels (Winograd, sample conversion): baseline x86-64 (LOCKSTEP_KERNELS=baseline)" \
   && LOCKSTEP_KERNELS=baseline timeout 300 "$run" -n 2 -- train "$root/examples/transfer/pretrain.yaml" "${data[@]}" "${kb[@]}" --out kern-base > kern-base.log 2>&1 \
   && timeout 300 "$run" -n 2 -- train "$root/examples/transfer/pretrain.yaml" "${data[@]}" "${kb[@]}" --out kern-best > kern-best.log 2>&1 \
   && out=$("$bin" compare kern-base/model.h5 kern-best/model.h5 --rtol 0); then
  ok "LOCKSTEP_KERNELS=baseline: doctor names it; ResNet-18 (Winograd layers) after 6 steps bitwise equal to the best kernels' ($out)"
else
  bad "LOCKSTEP_KERNELS=baseline" "$(echo "$out" | grep -i kernels)" "$(tail -2 kern-base.log 2>/dev/null)" "$(tail -2 kern-best.log 2>/dev/null)"
fi
start=$SECONDS
out=$(LOCKSTEP_KERNELS=avx3 timeout 60 "$run" -n 2 -- train "$recipe" "${data[@]}" "${bl[@]}" --out kern-bad 2>&1); code=$?
if [ $code = 1 ] && echo "$out" | grep -q 'LOCKSTEP_KERNELS is "avx3"; expected baseline, avx2 or avx512'; then
  ok "LOCKSTEP_KERNELS=avx3: exit 1 in $((SECONDS - start)) s naming the variable and the sets it takes"
else
  bad "LOCKSTEP_KERNELS=avx3: exit $code" "$(echo "$out" | tail -3)"
fi

# --- BLAS threads: idle OpenBLAS workers spin briefly ------------------------------------------
# With several BLAS threads each rank needs OPENBLAS_THREAD_TIMEOUT (OpenBLAS reads it only while
# loading): launch/run passes it; a rank started without it (srun, a bare lockstep) restarts
# itself to set it. With one thread there is nothing to set.
quiet=(env -u OPENBLAS_THREAD_TIMEOUT -u GOTO_THREAD_TIMEOUT)
two=$("${quiet[@]}" OPENBLAS_NUM_THREADS=2 "$run" -n 2 --threads 2 -- doctor --quick 2>&1)
bare=$("${quiet[@]}" OPENBLAS_NUM_THREADS=2 "$bin" doctor --quick 2>&1)
one=$("${quiet[@]}" "$run" -n 2 --threads 1 -- doctor --quick 2>&1)
dry=$("${quiet[@]}" "$run" --dry-run -n 2 --threads 2 -- doctor 2>&1)
if [ "$(echo "$two" | grep -c "idle BLAS threads spin 2^20 cycles")" = 2 ] && echo "$bare" | grep -q "idle BLAS threads spin 2^20 cycles" \
   && echo "$dry" | grep -q -- "-x OPENBLAS_THREAD_TIMEOUT=20" && ! echo "$one" | grep -q "idle BLAS threads"; then
  ok "2 BLAS threads per rank: OPENBLAS_THREAD_TIMEOUT=20 from launch/run or by a restart of a bare lockstep; 1 thread: none"
else
  bad "OPENBLAS_THREAD_TIMEOUT" "$(echo "$two" | grep -i blas)" "$(echo "$bare" | grep -i blas)" "$(echo "$one" | grep -i blas)" "$dry"
fi
