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

# --- TensorBoard: event files read by an independent reader (and by tensorboard's, if installed)
if python3 "$here/tools/tfevents.py" watched/done/tensorboard > done-events.jsonl 2> done-events.err \
   && python3 - watched/done done-events.jsonl > done-events.check 2>&1 <<'PY'
import csv, json, sys
run, events = sys.argv[1], [json.loads(l) for l in open(sys.argv[2]) if '"file"' in l]
scalars = {}
for e in events:
    for tag, v in e.get("scalars", {}).items(): scalars.setdefault(tag, {})[e["step"]] = v
assert events[0]["version"] == "brain.Event:2", events[0]
for row in csv.DictReader(open(run + "/steps.csv")):
    s = int(row["step"])
    for tag, col in [("train/loss", "loss"), ("train/accuracy", "accuracy"), ("train/learning_rate", "lr"),
                     ("train/samples_per_sec", "samples_per_sec"), ("time/forward_ms", "forward_ms")]:
        assert abs(scalars[tag][s] - float(row[col])) <= 1e-5 * max(1, abs(float(row[col]))), (tag, s)
for row in csv.DictReader(open(run + "/metrics.csv")):
    s = int(row["step"])
    assert abs(scalars["test/accuracy"][s] - float(row["test_accuracy"])) < 1e-6, s
    assert abs(scalars["test/loss"][s] - float(row["test_loss"])) < 1e-5, s
print(len(events), "events,", len(scalars), "tags")
PY
then
  ok "TensorBoard: $(cat done-events.check) in watched/done/tensorboard; CRCs check; scalars equal steps.csv and metrics.csv$(grep -q tensorboard_reader done-events.jsonl && echo '; tensorboard'"'"'s reader agrees')"
else
  bad "TensorBoard event files" "$(cat done-events.err done-events.check 2>/dev/null | tail -5)"
fi

# --- a resumed run: a second event file opening with a session start, steps.csv and the logs appended
timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${mon[@]}" --set training.max_steps=400 --out watched/stopped --resume auto \
  > watched-resume.log 2>&1
stopped_at=$(sed -n 's/.*signal 10 at step \([0-9]*\).*/\1/p' watched-stop.log)
python3 "$here/tools/tfevents.py" watched/stopped/tensorboard > stopped-events.jsonl 2> stopped-events.err
files=$(ls watched/stopped/tensorboard | wc -l)
steps=$(cut -d, -f1 watched/stopped/steps.csv | tail -n +2)
if [ "$files" = 2 ] && grep -q "\"session\": 1, \"step\": $((stopped_at + 1))," stopped-events.jsonl \
   && [ "$(echo "$steps" | sort -n | uniq | tr '\n' ' ')" = "$(seq 10 10 400 | tr '\n' ' ')" ] \
   && [ "$(echo "$steps" | wc -l)" = 40 ] && [ "$(grep -c 'rank 0@.*pid' watched/stopped/logs/rank-0.log)" = 2 ] \
   && [ "$(grep -c 'rank 1@.*pid' watched/stopped/logs/rank-1.log)" = 2 ] && ! grep -q "tensorboard reads" stopped-events.err; then
  ok "resumed at step $stopped_at: a 2nd event file starting with a session START just after it, steps.csv 10…400 once each, both ranks' logs appended"
else
  bad "resumed run's records ($files event files, stopped at $stopped_at)" "$(grep -h session stopped-events.jsonl)" "$(cat stopped-events.err)" \
    "$(echo "$steps" | tr '\n' ' ' | tail -c 300)"
fi

# Resumed at a logged step (an epoch's end): TensorBoard keeps that step's values.
cp -r watched/done watched/more
timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${mon[@]}" --set data.limit=2560 --set training.epochs=3 --out watched/more \
  --resume auto > watched-more.log 2>&1
if python3 "$here/tools/tfevents.py" --effective watched/more/tensorboard > more-effective.json 2> more-effective.err \
   && python3 - more-effective.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert sorted(map(int, s["train/loss"])) == list(range(10, 61, 10)), s["train/loss"].keys()
assert sorted(map(int, s["test/accuracy"])) == [20, 40, 60], s["test/accuracy"].keys()
PY
then
  ok "resumed at step 40 (an epoch's end): what TensorBoard shows holds train/loss at 10…60 and test/accuracy at 20, 40, 60"
else
  bad "TensorBoard after a resume at a logged step" "$(cat more-effective.err watched-more.log | tail -4)" "$(head -c 400 more-effective.json)"
fi

# --- per-rank logs: timestamped, every rank's, errors included ---------------------------------
stamp='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z '
if [ -s watched/done/logs/rank-0.log ] && [ -s watched/done/logs/rank-1.log ] \
   && ! grep -Evq "$stamp" watched/done/logs/rank-0.log watched/done/logs/rank-1.log \
   && grep -q "step 40/40" watched/done/logs/rank-0.log && grep -q "final test accuracy" watched/done/logs/rank-0.log \
   && grep -q "rank 1@$(hostname), pid [0-9]*: .*lockstep train" watched/done/logs/rank-1.log \
   && grep -q "rank 1@$(hostname): error: non-finite gradients at step 5" watched/failed/logs/rank-1.log \
   && grep -q "rank 0@$(hostname): error: non-finite gradients at step 5" watched/failed/logs/rank-0.log; then
  ok "logs/rank-R.log: every line timestamped, rank 0's progress, rank 1's start, an agreed error in both ranks' logs"
else
  bad "per-rank logs" "$(head -3 watched/done/logs/rank-1.log)" "$(tail -3 watched/failed/logs/rank-1.log)"
fi
# A crash inside libhdf5 (a damaged Keras file as pretrained weights, read by rank 0) ends the
# process from a signal handler: its line still reaches rank 0's log.
cp "$root/Tests/Fixtures/keras2_vgg_mini.h5" watched-damaged.h5
printf '\x6c' | dd of=watched-damaged.h5 bs=1 seek=2432 conv=notrunc status=none  # a wild pointer (bad-input.sh)
timeout 120 "$run" -n 2 -- train "$recipe" "${data[@]}" "${mon[@]}" --set pretrained="$work/watched-damaged.h5" --set training.max_steps=2 \
  --out watched/crashed > watched-crash.log 2>&1
if grep -q "rank 0@$(hostname): error: libhdf5 crashed (SIGSEGV) reading $work/watched-damaged.h5" watched/crashed/logs/rank-0.log; then
  ok "a libhdf5 crash on rank 0 is in logs/rank-0.log"
else
  bad "libhdf5 crash line in rank 0's log" "$(tail -3 watched/crashed/logs/rank-0.log 2>&1)" "$(grep error watched-crash.log | head -3)"
fi

# --- the progress bar, under a pseudo-terminal as a person sees it (script(1) + a terminal model)
bar_run() {  # OUT ENV… : a 2-epoch run under `script`, mpirun's output a terminal
  local out=$1; shift
  env "$@" COLUMNS=100 script -qfec "$run -n 2 -- train $recipe ${data[*]} --set data.limit=2560 --set training.epochs=2 --set training.log_every=10 --out watched/$out" \
    "$out.typescript" > /dev/null 2>&1 < /dev/null
}
bar_run bar LC_ALL=C.UTF-8; bar_code=$?
python3 "$here/tools/screen.py" bar.typescript > bar.screen
python3 "$here/tools/screen.py" --bars bar.typescript > bar.bars
if [ "$bar_code" = 0 ] && grep -q $'\repoch 1/2 \xe2\x96\x95' bar.typescript && grep -q $'\e\\[32m' bar.typescript \
   && grep -Eq "^epoch 1/2  20 steps  loss [0-9.]+  acc [0-9.]+%  [0-9]+ samples/s  [0-9]+:[0-9]{2}$" bar.screen \
   && grep -q "^epoch 2/2  test loss" bar.screen && grep -q "^final test accuracy" bar.screen \
   && ! grep -q "step 10/40" bar.screen && grep -q "step 10/40" watched/bar/logs/rank-0.log \
   && [ "$(grep -c "^epoch 2/2 test" bar.bars)" -ge 1 ] && [ "$(wc -l < bar.bars)" -ge 4 ] \
   && [ "$(python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")))' bar.bars)" -lt 100 ]; then
  ok "bar on a terminal: $(wc -l < bar.bars) redraws in place (colour, blocks, < 100 columns), an evaluation bar, each epoch's summary line; step lines only in the log"
else
  bad "progress bar under a pseudo-terminal (exit $bar_code)" "$(tail -8 bar.screen)" "$(tail -3 bar.bars)"
fi
bar_run plain NO_COLOR=1 LC_ALL=C; python3 "$here/tools/screen.py" plain.typescript > plain.screen
if grep -q $'\repoch 1/2 \\[' plain.typescript && ! grep -q $'\e\\[3' plain.typescript && grep -q "^epoch 2/2  20 steps" plain.screen \
   && ! grep -q $'\r' watched-done.log && grep -q "step 10/40" watched-done.log; then
  ok "NO_COLOR and a C locale: an ASCII bar without colour; output to a pipe: plain lines, no carriage return"
else
  bad "progress without colour / to a pipe" "$(tail -4 plain.screen)"
fi

# --- lockstep plot ---------------------------------------------------------------------------
if "$bin" plot watched/done watched/stopped --metric accuracy --out curves.svg > plot.out 2>&1 && python3 - curves.svg <<'PY'
import sys, xml.etree.ElementTree as ET
lines = [e for e in ET.parse(sys.argv[1]).iter("{http://www.w3.org/2000/svg}polyline") if e.get("class") == "series"]
got = sorted((e.get("data-run"), e.get("data-split"), e.get("data-points")) for e in lines)
assert got == [("done", "test", "2"), ("done", "train", "4"), ("stopped", "test", "1"), ("stopped", "train", "40")], got
assert len({e.get("stroke") for e in lines}) == 2
PY
then
  ok "lockstep plot: an SVG with a train and a test polyline per run, the points of steps.csv and metrics.csv, a colour per run"
else
  bad "lockstep plot" "$(cat plot.out)"
fi
if command -v rsvg-convert > /dev/null || command -v convert > /dev/null; then
  "$bin" plot watched/done --out loss.png > plot-png.out 2>&1 && [ "$(head -c 8 loss.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
    && ok "lockstep plot --out loss.png: $(sed 's/.*(//; s/)//' plot-png.out)" || bad "plot as PNG" "$(cat plot-png.out)"
else
  expect_failure "plot as PNG without a rasterizer" "no SVG rasterizer on PATH" -- "$bin" plot watched/done --out loss.png
fi
expect_failure "plot of an unrecorded metric" "watched/done: no 'bleu' recorded; metrics there: accuracy" -- "$bin" plot watched/done --metric bleu

# --- stragglers: a rank slowed by 15 ms per batch is named; a healthy run says nothing ------------
strag=("${data[@]}" --set data.test=null --set training.log_every=10 --set training.max_steps=80 --set checkpoint.every_steps=0)
if LOCKSTEP_FAULT_INJECTION=slow:1:15 timeout 300 "$run" -n 2 -- train "$recipe" "${strag[@]}" --out watched/straggler > straggler.log 2>&1 \
   && line=$(grep -m1 "straggler: rank 1 on .* in data_wait" straggler.log) \
   && python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['straggler']; sys.exit(not (s['rank'] == 1 and s['phase'] == 'data_wait'))" watched/straggler/status.json \
   && python3 "$here/tools/tfevents.py" watched/straggler/tensorboard > straggler-events.jsonl 2>/dev/null && grep -q '"stragglers/slowest_excess_ms"' straggler-events.jsonl \
   && timeout 300 "$run" -n 2 -- train "$recipe" "${strag[@]}" --out watched/healthy > healthy.log 2>&1 && ! grep -q "straggler:" healthy.log; then
  ok "stragglers: slow:1:15 named in the log, status.json and TensorBoard (${line#lockstep: }); a healthy run says nothing"
else
  bad "stragglers (step 1: slowed run; 2: its log line; 3: status.json; 4: TensorBoard; 5: healthy run silent)" "$(grep -i -E "straggler|error" straggler.log | tail -2)" "$(grep straggler healthy.log 2>/dev/null | head -2)"
fi
