# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Training results: multi-rank equivalence, accuracy floors, the transfer-learning demo.

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

# --- inputs kept in memory (data.cache auto, read in the training thread) = read from the shards batch by batch
if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" --out cache-none --set data.test=null --set data.cache=none \
     --set training.max_steps=30 > cache-none.log 2>&1 \
   && timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" --out cache-auto --set data.test=null \
     --set training.max_steps=30 > cache-auto.log 2>&1 \
   && grep -q "into memory" cache-auto.log && ! grep -q "into memory" cache-none.log \
   && out=$("$bin" compare cache-auto/model.h5 cache-none/model.h5 --rtol 0); then
  ok "training set kept in memory (data.cache auto) = read from the shards (none): bitwise after 30 steps on 2 ranks ($out)"
else
  bad "data.cache auto vs none" "$(tail -2 cache-auto.log)" "$(tail -2 cache-none.log)" "${out:-}"
fi

# --- bfloat16 gradients between ranks: training learns (>= 80 % after 200 steps; measured 82.4-84.4 %
# over seeds 1-3 and 42 under Haswell and SkylakeX kernels), and a run cut at 100 resumes bitwise
bf=(--set data.test=null --set training.allreduce_dtype=bfloat16)
if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" --out bf16 --set training.allreduce_dtype=bfloat16 \
     --set training.max_steps=200 --set training.eval_every_steps=200 > bf16.log 2>&1 \
   && acc=$(json bf16/summary.json test_accuracy) && awk -v a="$acc" 'BEGIN { exit !(a >= 0.80) }' \
   && timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${bf[@]}" --out bf16cut --set training.max_steps=100 > bf16cut.log 2>&1 \
   && timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${bf[@]}" --out bf16cut --set training.max_steps=200 --resume auto >> bf16cut.log 2>&1 \
   && timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${bf[@]}" --out bf16full --set training.max_steps=200 > bf16full.log 2>&1 \
   && out=$("$bin" compare bf16cut/model.h5 bf16full/model.h5 --rtol 0); then
  ok "allreduce_dtype bfloat16 on 2 ranks: $(awk -v a="$acc" 'BEGIN { printf "%.2f", 100 * a }') % after 200 steps; cut at 100 and resumed = straight through, bitwise ($out)"
else
  bad "allreduce_dtype bfloat16" "accuracy ${acc:-?}" "$(tail -2 bf16.log)" "$(tail -2 bf16cut.log)" "${out:-}"
fi

# --- dropout and augmentation keyed by sample: N ranks == 1 rank, and a resume on another world size
rand=(--set data.test=null --set training.log_every=20 --set model.dropout=0.3 --set data.augment.flip=true
      --set data.augment.crop_padding=2 --set data.augment.brightness=0.2 --set data.augment.contrast=0.2)
if timeout 300 "$run" -n 1 -- train "$recipe" "${data[@]}" "${rand[@]}" --out rnd1 --set training.batch_per_rank=64 --set training.max_steps=40 > rnd1.log 2>&1 \
   && timeout 300 "$run" -n 4 -- train "$recipe" "${data[@]}" "${rand[@]}" --out rnd4 --set training.batch_per_rank=16 --set training.max_steps=40 > rnd4.log 2>&1 \
   && out=$("$bin" compare rnd4/model.h5 rnd1/model.h5 --rtol 1e-5); then
  ok "dropout + flip/crop/brightness/contrast: 4 ranks x 16 = 1 rank x 64 after 40 steps ($out)"
else
  bad "dropout and augmentation equivalence over ranks" "$(tail -2 rnd1.log)" "$(tail -2 rnd4.log)" "${out:-}"
fi
if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${rand[@]}" --out rnd2 --set training.batch_per_rank=32 --set training.max_steps=20 > rnd2a.log 2>&1 \
   && timeout 300 "$run" -n 4 -- train "$recipe" "${data[@]}" "${rand[@]}" --out rnd2 --set training.batch_per_rank=16 --set training.max_steps=40 --resume auto > rnd2b.log 2>&1 \
   && grep -q "at step 20" rnd2b.log && out=$("$bin" compare rnd2/model.h5 rnd1/model.h5 --rtol 1e-5); then
  ok "with dropout and augmentation, a 2-rank checkpoint at step 20 resumed on 4 ranks = 1 rank straight to 40 ($out)"
else
  bad "dropout and augmentation resume on another world size" "$(tail -2 rnd2a.log)" "$(tail -2 rnd2b.log)" "${out:-}"
fi

# --- gradient accumulation: 2 ranks x 2 micro-batches of 16 = 1 rank x 64, dropout and augmentation on
if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" "${rand[@]}" --out acc2 --set training.batch_per_rank=16 \
     --set training.accumulate_steps=2 --set training.max_steps=40 > acc2.log 2>&1 \
   && out=$("$bin" compare acc2/model.h5 rnd1/model.h5 --rtol 1e-5); then
  ok "accumulate_steps 2: 2 ranks x 2 x 16 = 1 rank x 64 after 40 steps ($out)"
else
  bad "gradient accumulation vs the larger batch" "$(tail -2 acc2.log)" "${out:-}"
fi

# --- early stopping decides alike on every rank: a rate of 0 never improves the test loss --------
if timeout 300 "$run" -n 2 -- train "$recipe" "${data[@]}" --out es2 --set optimizer.lr=0 --set training.eval_every_steps=5 \
     --set training.early_stopping.patience=2 --set training.log_every=5 > es2.log 2>&1 \
   && grep -q "early stopping at step 15: test_loss did not improve" es2.log && [ "$(json es2/summary.json steps)" = 15 ] \
   && [ "$(wc -l < es2/evaluations.csv)" = 4 ]; then
  ok "early stopping on 2 ranks: evaluations every 5 steps, patience 2: stopped at step 15, evaluations.csv, exit 0"
else
  bad "early stopping on 2 ranks" "$(grep -E 'early|error|test loss' es2.log | tail -4)"
fi

# --- the quickstart recipe reaches >= 85 % in 2 epochs on 2 ranks ----------------------------
if timeout 600 "$run" -n 2 -- train "$recipe" "${data[@]}" --out mlp > mlp.log 2>&1; then
  acc=$(json mlp/summary.json test_accuracy)
  # Measured over seeds 1-4 and 42: 86.44-87.39 % with AVX2 kernels, 86.27-87.09 % with AVX-512
  # (SkylakeX) kernels; the floor keeps 1.27 points below the lowest.
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
  # Measured over seeds 1-4 and 42: 89.17-89.69 % with AVX2 kernels, 89.08-89.71 % with AVX-512
  # (SkylakeX) kernels (a spread of 0.6 points, the size of a change of kernels' rounding); the
  # floor keeps 0.58 points below the lowest. Re-measured with convolution gradients summed in runs
  # of chunks (seeds 42, 1-3): 89.17-89.66 % (AVX2), 89.08-89.66 % (AVX-512).
  if awk -v a="$acc" 'BEGIN { exit !(a >= 0.885) }'; then ok "LeNet-5, 3 epochs, 2 ranks: test accuracy $acc >= 0.885"
  else bad "LeNet-5 test accuracy $acc < 0.885" "$(grep test lenet.log | tail -3)"; fi
else
  bad "LeNet-5 training run failed" "$(tail -5 lenet.log)"
fi

# --- 1 rank x 2 threads: a convolution's chunks run side by side, and resume stays bitwise ---
# (the CI's other runs pin 1 BLAS thread per rank, so this is where the threaded path trains)
lt=(--set data.test=null --set training.log_every=10)
if timeout 300 "$run" -n 1 --threads 2 -- train "$lenet" "${data[@]}" "${lt[@]}" --set training.max_steps=40 --out lt-full > lt-full.log 2>&1 \
   && timeout 300 "$run" -n 1 --threads 2 -- train "$lenet" "${data[@]}" "${lt[@]}" --set training.max_steps=23 --out lt-cut > lt-cut1.log 2>&1 \
   && timeout 300 "$run" -n 1 --threads 2 -- train "$lenet" "${data[@]}" "${lt[@]}" --set training.max_steps=40 --out lt-cut --resume auto > lt-cut2.log 2>&1 \
   && grep -q "idle BLAS threads spin 2^20 cycles" lt-full.log && grep -q "resuming from .*ckpt-000000023.h5 at step 23" lt-cut2.log \
   && out=$("$bin" compare lt-cut/model.h5 lt-full/model.h5 --rtol 0); then
  ok "LeNet-5 on 1 rank x 2 threads: stop at step 23, resume to 40: bitwise equal to an uninterrupted run ($out)"
else
  bad "LeNet-5 on 2 threads: resume" "$(grep BLAS lt-full.log)" "$(tail -2 lt-cut1.log)" "$(tail -2 lt-cut2.log)" "${out:-}"
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

# --- a VGG-style classifier with dropout (0.5, twice) and flips: 4 ranks x 16 = 1 rank x 64 -----
vgg=(--set model.name=vgg11 --set 'model.widths=[8,16,16,32,32]' --set model.classifier_width=64 --set data.augment.flip=true
     --set data.train="$work/synth/synthetic-train.manifest.json" --set data.test=null --set training.max_steps=20 --set training.log_every=10)
same_over_ranks vgg "$root/examples/synthetic-resnet18-cifar.yaml" 4 16 "VGG-11 (narrow) with classifier dropout and flips, 20 steps" "${vgg[@]}"

# --- the LSTM example: 2 ranks x 32 = 1 rank x 64 after 30 steps (backpropagation through time) ---
lstm=(--set training.max_steps=30 --set training.log_every=10 --set data.test=null --set 'model.hidden=[32]')
same_over_ranks lstm "$root/examples/fashion-mnist-lstm.yaml" 2 32 "LSTM over image rows, 30 steps" "${data[@]}" "${lstm[@]}"

if timeout 300 "$run" -n 2 -- train "$root/examples/fashion-mnist-lstm.yaml" "${data[@]}" "${lstm[@]}" --set training.batch_per_rank=32 \
     --set training.max_steps=15 --out lstmr > lstmr1.log 2>&1 \
   && timeout 300 "$run" -n 2 -- train "$root/examples/fashion-mnist-lstm.yaml" "${data[@]}" "${lstm[@]}" --set training.batch_per_rank=32 \
     --out lstmr --resume auto > lstmr2.log 2>&1 && grep -q "at step 15" lstmr2.log \
   && out=$("$bin" compare lstmr/model.h5 lstm2/model.h5 --rtol 0); then
  ok "LSTM: stopped at step 15, resumed to 30 on 2 ranks: bitwise equal to the run straight through ($out)"
else
  bad "LSTM bitwise resume" "$(tail -2 lstmr1.log)" "$(tail -2 lstmr2.log)" "${out:-}"
fi

# --- the Transformer example, with dropout 0.1 in its blocks and attention: 2 ranks x 16 = 1 rank x 32 ---
# SGD with momentum rather than the example's Adam: the attention key bias has a gradient that is
# zero but for rounding (softmax ignores a constant added to a row), and Adam turns that noise,
# which depends on the order of the ranks' sums, into full-size steps (4.7e-2 apart after 40).
# The sequences have 8 to 16 real steps (padding after), so attention's padding mask and the
# [CLS] offset are part of what must agree.
"$bin" shard sequence-task --task lookup --min-length 8 --train-samples 2048 --test-samples 256 --out "$work/lookup" > /dev/null
tf=(--set data.train="$work/lookup/lookup-train.manifest.json" --set data.test=null --set model.dropout=0.1
    --set training.max_steps=40 --set training.log_every=10 --set optimizer.name=sgd --set optimizer.lr=0.1 --set optimizer.momentum=0.9)
same_over_ranks tf "$root/examples/sequence-lookup-transformer.yaml" 2 16 "Transformer (dropout 0.1, padded sequences), 40 steps" "${tf[@]}"

if timeout 300 "$run" -n 2 -- train "$root/examples/sequence-lookup-transformer.yaml" "${tf[@]}" --set training.batch_per_rank=16 \
     --set training.max_steps=20 --out tfr > tfr1.log 2>&1 \
   && timeout 300 "$run" -n 2 -- train "$root/examples/sequence-lookup-transformer.yaml" "${tf[@]}" --set training.batch_per_rank=16 \
     --out tfr --resume auto > tfr2.log 2>&1 && grep -q "at step 20" tfr2.log \
   && out=$("$bin" compare tfr/model.h5 tf2/model.h5 --rtol 0); then
  ok "Transformer: stopped at step 20, resumed to 40 on 2 ranks: bitwise equal to the run straight through ($out)"
else
  bad "Transformer bitwise resume" "$(tail -2 tfr1.log)" "$(tail -2 tfr2.log)" "${out:-}"
fi

# --- a 2-layer bidirectional GRU with dropout on padded sequences (12 to 24 real steps): 2 x 16 = 1 x 32 ---
"$bin" shard sequence-task --task periodic --length 24 --min-length 12 --classes 4 --train-samples 2048 --test-samples 256 \
  --out "$work/periodic" > /dev/null
gru=(--set data.train="$work/periodic/periodic-train.manifest.json" --set data.test=null --set model.name=gru --set 'model.hidden=[16]'
     --set model.layers=2 --set model.bidirectional=true --set model.dropout=0.2 --set training.max_steps=30 --set training.log_every=10
     --set optimizer.name=sgd --set optimizer.lr=0.1 --set optimizer.momentum=0.9)
same_over_ranks gru "$root/examples/fashion-mnist-lstm.yaml" 2 16 "bidirectional 2-layer GRU on padded sequences, 30 steps" "${gru[@]}"

# --- the autoencoder example: its reconstruction loss falls, and it draws its picture ---------
if timeout 300 "$run" -n 2 -- train "$root/examples/fashion-mnist-autoencoder.yaml" "${data[@]}" --set training.max_steps=120 \
     --set training.log_every=20 --set data.limit=7680 --out ae > ae.log 2>&1; then
  first=$(grep -m1 -o 'loss [0-9.]*' ae.log | cut -d' ' -f2); last=$(grep -o 'test loss [0-9.]*' ae.log | tail -1 | cut -d' ' -f3)
  png=$(head -c 8 ae/reconstructions.png 2>/dev/null | od -An -tx1 | tr -d ' \n')
  if [ "$png" = "89504e470d0a1a0a" ] && [ -n "$first" ] && [ -n "$last" ] && awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < 0.75 * a) }' \
     && ! grep -q "acc" ae.log; then
    ok "autoencoder, 2 ranks, 120 steps: reconstruction loss $first -> test $last; reconstructions.png written"
  else
    bad "autoencoder run (loss $first -> $last, PNG signature '$png')" "$(tail -4 ae.log)"
  fi
else
  bad "autoencoder training run failed" "$(tail -5 ae.log)"
fi

# --- transfer learning demo at reduced size: fine-tuning beats training from scratch -----------
# 100 samples of classes 5-9 (20 per class), 10 epochs of 6 steps at a constant rate, the new
# head trained alone for 2 epochs; pretraining on 4,000 samples of classes 0-4. Three seeds
# (each its own subset, head and order). Measured over seeds 1-4: with AVX2 kernels fine-tuned
# 79.8-87.2 %, from scratch 27.4-83.4 % (it sometimes collapses at this rate), the mean of any
# three seeds ahead by 4.9 points or more; with AVX-512 (SkylakeX) kernels fine-tuned 81.9-84.8 %,
# from scratch 65.0-84.1 %, any three seeds' mean ahead by 4.9 points or more. With convolution
# weight gradients summed in runs of chunks, seeds 1-3: AVX2 fine-tuned 80.6-83.4 %,
# from scratch 73.2-82.4 % (means 4.5 points apart); AVX-512 82.4-84.1 % against 32.6-78.8 %. With
# Winograd's convolution, seeds 1-3: AVX2 fine-tuned 80.0-82.3 % against 61.6-83.5 % (means
# 9.4 points apart); AVX-512 82.0-85.7 % against 53.9-83.4 % (14 points). So the check asks
# for a fine-tuned floor of 75 % on every seed and a mean 3 points above from scratch. At 500 samples,
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
