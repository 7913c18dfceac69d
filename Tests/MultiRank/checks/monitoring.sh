# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Watching runs: steps.csv, status.json, `lockstep runs`.

# --- four runs that end four ways, listed by `lockstep runs` ------------------------------------
mon=(--set data.test="$work/data/fashion-mnist-test.manifest.json" --set training.log_every=10 --set checkpoint.every_steps=0)
timeout 300 "$run" -n 2 -- train "$recipe" --set data.train="$work/data/fashion-mnist-train.manifest.json" "${mon[@]}" \
  --set data.limit=2560 --set training.epochs=2 --out watched/done > watched-done.log 2>&1
# Stopped by SIGUSR1 at step 20 (exit 75), then a NaN batch with on_nonfinite stop (exit 1).
timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${mon[@]}" --set training.max_steps=400 --out watched/stopped > watched-stop.log 2>&1 &
pid=$!
await watched-stop.log "step 20/400" && kill -USR1 "$(mpirun_of "$pid")"
wait "$pid"; stop_code=$?
LOCKSTEP_FAULT_INJECTION=poison:1:5 timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${mon[@]}" --set training.max_steps=60 \
  --out watched/failed > watched-fail.log 2>&1
# Rank 0 killed outright: the run directory still says running, with a pid that is gone.
timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${mon[@]}" --set training.max_steps=100000 --out watched/killed > watched-kill.log 2>&1 &
pid=$!
await watched-kill.log "step 20/" && kill -9 "$(rank_pid "$pid" 0)"
wait "$pid"
table=$("$bin" runs watched)
if [ "$stop_code" = 75 ] && echo "$table" | grep -q "^done  *finished  *40  *[0-9.]*%  *[0-9.]*%  .* 2$" \
   && echo "$table" | grep -q "^stopped  *stopped (75): --resume auto  *$(sed -n 's/.*signal 10 at step \([0-9]*\).*/\1/p' watched-stop.log) " \
   && echo "$table" | grep -q "^failed  *failed: non-finite gradients at step 5" \
   && echo "$table" | grep -q "^killed  *died (killed, or its node lost)"; then
  ok "lockstep runs: finished (40 steps, accuracies, 2 ranks), stopped (75), failed (the error), died (kill -9)"
else
  bad "lockstep runs (stop exit $stop_code)" "$table"
fi
if [ "$(head -1 watched/done/steps.csv)" = "step,epoch,loss,accuracy,lr,samples_per_sec,data_wait_ms,forward_ms,backward_ms,allreduce_ms,optimizer_ms,sync_ms" ] \
   && [ "$(cut -d, -f1 watched/done/steps.csv | tail -n +2 | tr '\n' ' ')" = "10 20 30 40 " ]; then
  ok "steps.csv: a row per logged step (10, 20, 30, 40) with the phase times"
else
  bad "steps.csv" "$(cat watched/done/steps.csv)"
fi
