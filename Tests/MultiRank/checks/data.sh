# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Sharding the real dataset, which every other file trains on (run first).

# --- sharding the real dataset --------------------------------------------------------------
if "$bin" shard fashion-mnist --source /usr/share/datasets/fashion-mnist --out data --shards 3 > shard.log 2>&1 \
   && [ -f data/fashion-mnist-train-00002-of-00003.h5 ] && grep -q '"num_samples" : 60000' data/fashion-mnist-train.manifest.json; then
  ok "shard Fashion-MNIST into 3+3 HDF5 shards with manifests"
else
  bad "shard Fashion-MNIST" "$(tail -3 shard.log)"
  echo "0 passed, 1 failed"; exit 1
fi
