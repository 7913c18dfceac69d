# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Checkpoints, bitwise resume, signals, crash safety, a change of world size.

# --- checkpoints: bitwise resume, signals, crash safety, world-size change ----------
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
# 400 steps: on a fast CPU (AVX-512, 350 steps/s) a 60-step run ended before the signal landed.
timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out full400 --set training.max_steps=400 > full400.log 2>&1 \
  || bad "uninterrupted 400-step run" "$(tail -3 full400.log)"
if signal_run sig USR1 mpirun 400 && [ $code = 75 ] && grep -q "checkpoint .* written; exiting with 75" sig.log && [ -f sig/checkpoints/latest ]; then
  at=$(sed -n 's/.*signal 10 at step \([0-9]*\).*/\1/p' sig.log)
  if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out sig --set training.max_steps=400 --resume auto > sig2.log 2>&1 \
     && out=$("$bin" compare sig/model.h5 full400/model.h5 --rtol 0); then
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
