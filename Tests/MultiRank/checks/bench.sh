# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Benchmarks and the timeline (smoke: the numbers are measured by launch/bench-compare).

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

if "$bin" bench W99 > badbench.log 2>&1; then bad "bench W99 accepted"
elif grep -q 'unknown workload "W99"' badbench.log; then ok "bench rejects an unknown workload by name"
else bad "bench W99 message" "$(cat badbench.log)"; fi
