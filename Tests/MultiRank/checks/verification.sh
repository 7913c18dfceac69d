# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Shard verification once per job: split over ranks, cached, forced.

cp -r data vdata
v=(--set data.train="$work/vdata/fashion-mnist-train.manifest.json" --set data.test="$work/vdata/fashion-mnist-test.manifest.json"
   --set training.max_steps=2 --set checkpoint.every_epoch=false)
total=$(cat vdata/*.h5 | wc -c)
hashed_bytes() {  # LOG: the bytes that rank's last verification hashed
  sed -n 's/.*: hashed [0-9]* shard(s), \([0-9]*\) bytes.*/\1/p' "$1" | tail -1
}
hashed_sum() {  # RUN: the bytes every rank's last verification hashed, summed
  local f; for f in "$1"/logs/rank-*.log; do hashed_bytes "$f"; done | awk '{ s += $1 } END { print s }'
}
timeout 120 "$run" -n 2 -- train "$recipe" "${v[@]}" --out vrun > v1.log 2>&1
r0=$(hashed_bytes vrun/logs/rank-0.log)
r1=$(hashed_bytes vrun/logs/rank-1.log)
if grep -q "data verified: 6 shard(s), 6 hashed .* by 2 rank(s)" v1.log && [ "$(hashed_sum vrun)" = "$total" ] && [ "${r0:-0}" -gt 0 ] && [ "${r1:-0}" -gt 0 ]; then
  ok "first start: the 6 shards ($total bytes) hashed once in all, split over 2 ranks ($r0 + $r1 bytes)"
else
  bad "verification split over ranks (rank 0: $r0, rank 1: $r1, dataset $total)" "$(grep -h 'verified\|error' v1.log | head -3)"
fi
timeout 120 "$run" -n 2 -- train "$recipe" "${v[@]}" --out vrun > v2.log 2>&1
timeout 120 "$run" -n 2 -- train "$recipe" "${v[@]}" --out vrun-other > v3.log 2>&1
if grep -q "data verified: 6 shard(s), 6 (.*) unchanged since verified$" v2.log && grep -q "unchanged since verified$" v3.log \
   && [ -s vrun/verified-shards.json ] && [ -s vdata/fashion-mnist-train.manifest.json.verified.json ]; then
  ok "restart: nothing hashed (RUN/verified-shards.json; a new run directory uses MANIFEST.verified.json)"
else
  bad "verification cache" "$(grep -h 'verified' v2.log v3.log)"
fi
timeout 120 "$run" -n 4 -- train "$recipe" "${v[@]}" --out vrun --verify-data > v4.log 2>&1
if grep -q "data verified: 6 shard(s), 6 hashed .* by 4 rank(s)" v4.log && [ "$(hashed_sum vrun)" = "$total" ]; then
  ok "--verify-data on 4 ranks: all 6 shards hashed again, once in all"
else
  bad "--verify-data" "$(grep -h 'verified\|error' v4.log | head -3)"
fi
# A shard damaged after it was verified: rewritten (a new mtime) it is hashed again and named;
# damaged with its mtime put back, the cache trusts it and --verify-data finds it.
shard=vdata/fashion-mnist-train-00001-of-00003.h5
cp -p "$shard" ref.h5
printf '\xff\xff' | dd of="$shard" bs=1 seek=200000 conv=notrunc status=none
expect_failure "a shard changed since verified (2 ranks)" "fashion-mnist-train-00001-of-00003.h5: sha256 mismatch" -- \
  "$run" -n 2 -- train "$recipe" "${v[@]}" --out vrun
touch -r ref.h5 "$shard"
expect_failure "the same damage, mtime restored, with --verify-data" "fashion-mnist-train-00001-of-00003.h5: sha256 mismatch" -- \
  "$run" -n 2 -- train "$recipe" "${v[@]}" --out vrun --verify-data
cp -p ref.h5 "$shard"
