# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Bad input: a clear message and a non-zero exit on every rank, never a hang. Self-contained but for data.sh.

# --- bad input: clear message, non-zero exit on every rank, no hang ---------------------------
# The checkpointed MLP run `cut` (steps 37 and 60) of checkpoints.sh, made here when it did not run.
if [ ! -f cut/checkpoints/ckpt-000000060.h5 ]; then
  timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out cut --set training.max_steps=37 > cut.log 2>&1
  timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out cut --set training.max_steps=60 --resume auto >> cut.log 2>&1
fi

"$bin" shard synthetic --shape 8x8x1 --train-samples 64 --test-samples 16 --shards 1 --out tiny > /dev/null
expect_failure "input size that does not fit the model" "layer 3 (Conv2D): expected input an image at least as large as the 5×5 kernel after padding 0×0, got input shape [6, 4, 4]" -- \
  "$run" -n 2 -- train "$root/examples/fashion-mnist-lenet.yaml" --set data.train="$work/tiny/synthetic-train.manifest.json" --set data.test=null --out r9

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
  "$run" -n 2 -- eval "$recipe" "${data[@]}" --set 'model.hidden=[64]' --weights cut/model.h5

# A truncated latest checkpoint (steps 37 and 60 exist): refused by path, skipped by --resume auto.
cp -r cut badckpt
head -c 20000 cut/checkpoints/ckpt-000000060.h5 > badckpt/checkpoints/ckpt-000000060.h5
expect_failure "truncated checkpoint named by --resume" "ckpt-000000060.h5: cannot use the checkpoint: sha256 mismatch" -- \
  "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out badckpt --set training.max_steps=80 --resume badckpt/checkpoints/ckpt-000000060.h5
if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --out badckpt --set training.max_steps=80 --resume auto > badckpt.log 2>&1 \
   && grep -q "skipping checkpoint: .*ckpt-000000060.h5: cannot use the checkpoint: sha256 mismatch" badckpt.log \
   && grep -q "resuming from .*ckpt-000000037.h5 at step 37" badckpt.log && "$bin" inspect --verify badckpt/checkpoints/ckpt-000000080.h5 > /dev/null \
   && ! "$bin" inspect --verify badckpt/checkpoints/ckpt-000000060.h5 > /dev/null 2>&1; then
  ok "truncated latest checkpoint: --resume auto says so and resumes from step 37; inspect --verify passes the new one, fails the truncated one"
else
  bad "--resume auto past a truncated checkpoint" "$(grep -v '^-' badckpt.log | tail -4)"
fi
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

# --- foreign HDF5 files libhdf5 cannot survive: a crash or a hang becomes an error naming the file ---
# One byte of a Keras file's metadata makes libhdf5 1.10 follow a wild pointer (SIGSEGV): found
# by the fuzz test's metadata flips. Byte 2432: 18 of 18 runs crashed inside the read. Byte 2073,
# used before, can instead make libhdf5 damage the heap, and glibc's abort then sometimes comes
# after the read, where no file is being read (6 of 12 runs once the training set moved into memory).
cp "$root/Tests/Fixtures/keras2_vgg_mini.h5" damaged-keras.h5
printf '\x6c' | dd of=damaged-keras.h5 bs=1 seek=2432 conv=notrunc status=none
expect_failure "inspect of a Keras file that crashes libhdf5" "error: libhdf5 crashed (SIGSEGV) reading damaged-keras.h5: the file is damaged" -- \
  "$bin" inspect damaged-keras.h5
expect_failure "the same file as pretrained weights (2 ranks)" "rank 0@$(hostname): error: libhdf5 crashed (SIGSEGV) reading $work/damaged-keras.h5" -- \
  "$run" -n 2 -- train "$recipe" "${data[@]}" "${ck[@]}" --set pretrained="$work/damaged-keras.h5" --set training.max_steps=2 --out r-keras
# A read that never ends (here a named pipe nobody writes: a file system that stopped answering
# looks the same) is bounded by a deadline that fits the file: 5 s plus its size at 10 MB/s (5 s
# for this empty pipe), or inspect's --timeout.
mkfifo stuck.h5
expect_failure "inspect of a file whose read never ends" "reading stuck.h5 did not finish within 3 s" -- "$bin" inspect stuck.h5 --timeout 3
expect_failure "inspect of it without --timeout: a deadline that fits its size" "reading stuck.h5 did not finish within 5 s" -- "$bin" inspect stuck.h5
expect_failure "eval of weights whose read never ends (2 ranks)" "rank 0@$(hostname): error: reading stuck.h5 did not finish within 5 s" -- \
  "$run" -n 2 -- eval "$recipe" "${data[@]}" --weights stuck.h5

# srun (or mpirun) started several tasks, but MPI came up alone in each (a PMI that does not
# reach MPI): every task is refused by name instead of training alone. Without any PMI at all
# (srun --mpi=none) the task is refused before MPI starts (the Slurm tests run that for real).
expect_failure "tasks of a launch whose MPI came up as singletons" "srun started 3 tasks (SLURM_STEP_NUM_TASKS=3) but MPI sees a world of 1" -- \
  env SLURM_STEP_NUM_TASKS=3 PMI_RANK=0 "$bin" train "$recipe" "${data[@]}" "${ck[@]}" --set training.max_steps=2 --out r-singleton
expect_failure "tasks of an srun without PMI" "srun started 3 tasks (SLURM_STEP_NUM_TASKS=3) without a PMI" -- \
  env SLURM_STEP_NUM_TASKS=3 "$bin" train "$recipe" "${data[@]}" "${ck[@]}" --set training.max_steps=2 --out r-nopmi
