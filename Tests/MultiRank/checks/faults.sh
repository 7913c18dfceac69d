# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Faults a real job meets: a rank that stops, a replica that drifts, a NaN.

# --- a stopped rank (a frozen node): the stall watchdog ends the job within the timeout, naming it ---
timeout 300 "$run" -n 3 -- train "$recipe" "${data[@]}" "${ck[@]}" --out stall --set training.epochs=50 --set training.max_steps=5000 \
  --set training.stall_timeout=30 > stall.log 2>&1 &
pid=$!
stopped=""
if await stall.log "step 20/5000"; then stopped=$(rank_pid "$pid" 1); fi
if [ -n "$stopped" ] && kill -STOP "$stopped"; then
  start=$SECONDS
  wait "$pid"; code=$?
  took=$((SECONDS - start))
else
  kill -KILL "$pid" 2>/dev/null; wait "$pid"; code=none took=none
fi
[ -n "$stopped" ] && kill -KILL "$stopped" 2>/dev/null
if [ "$code" = 76 ] && [ "$took" -le 60 ] \
   && grep -q "stalled: no progress for 30 s (training.stall_timeout); ending the job with exit code 76" stall.log \
   && grep -A1 "holding the job up:" stall.log | grep -q "rank 1@.*\(did not report\|forward and backward\|reading the next\)" \
   && grep -q "rank 0@.*: no progress for [0-9]* s at step [0-9]*: " stall.log; then
  ok "SIGSTOP of rank 1 of 3: the watchdog ends the job in $took s with exit 76, naming rank 1 and what the others waited for"
else
  bad "stopped rank: exit $code after ${took}s" "$(grep -v '^-' stall.log | tail -8)"
fi

# --- a replica that silently diverged (one parameter one ulp off on rank 1, as a flipped bit) ---
out=$(LOCKSTEP_FAULT_INJECTION=perturb:1:30 timeout 120 "$run" -n 3 -- train "$recipe" "${data[@]}" "${ck[@]}" --out drift \
      --set training.max_steps=100 --set training.consistency_check_steps=20 2>&1); code=$?
if [ $code = 1 ] && echo "$out" | grep -q "replicas diverged at step 40: rank(s) 1@[^ ]* hold parameters or optimizer state different from the other 2 rank(s)" \
   && [ ! -f drift/checkpoints/ckpt-000000040.h5 ]; then
  ok "a replica one ulp off after step 30: the check at step 40 names rank 1, exit 1, no checkpoint from the diverged state"
else
  bad "diverged replica: exit $code" "$(echo "$out" | grep -v '^-' | tail -4)"
fi

# --- a NaN in one rank's batch (a corrupted sample): stop names the step and the rank; skip drops the step ---
out=$(LOCKSTEP_FAULT_INJECTION=poison:1:25 timeout 120 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out nanstop \
      --set training.max_steps=60 --set checkpoint.every_steps=20 2>&1); code=$?
if [ $code = 1 ] && echo "$out" | grep -q "non-finite gradients at step 25 (training.on_nonfinite: stop); the step was not applied" \
   && echo "$out" | grep -q "rank 1@[^:]*: the input batch holds NaN/Inf (a corrupted sample?); first non-finite output: layer 0 (Flatten)" \
   && ! echo "$out" | grep -q "  rank 0@" && [ "$(cat nanstop/checkpoints/latest)" = ckpt-000000020.h5 ]; then
  ok "NaN in rank 1's batch at step 25, on_nonfinite stop: exit 1 naming step 25, rank 1 and its first non-finite layer; latest stays step 20"
else
  bad "on_nonfinite stop: exit $code" "$(echo "$out" | grep -v '^-' | tail -5)"
fi
if LOCKSTEP_FAULT_INJECTION=poison:1:25 timeout 120 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out nanskip \
     --set training.max_steps=60 --set training.on_nonfinite=skip > nanskip.log 2>&1 \
   && [ "$(json nanskip/summary.json skipped_steps)" = 1 ] && grep -q "(1 step(s) skipped: non-finite gradients)" nanskip.log \
   && [ "$(tail -1 nanskip/metrics.csv | cut -d, -f9)" = 1 ] && "$bin" inspect --verify nanskip/model.h5 > /dev/null; then
  ok "the same NaN with on_nonfinite skip: step 25 dropped on both ranks, counted in metrics.csv and summary.json, the run completes"
else
  bad "on_nonfinite skip" "$(grep -v '^-' nanskip.log | tail -4)"
fi
