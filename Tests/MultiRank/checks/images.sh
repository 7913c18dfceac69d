# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Your own data in, predictions out: the
# README's walkthrough "Fine-tune ResNet-18 on your image folder", its commands as written,
# then eval's per-class outputs, predict on shards and on image files, and their bad inputs.

# --- the walkthrough, its commands as the README writes them, in a folder of their own ---------
mkdir -p walk && ln -sfn "$root/examples" walk/examples && ln -sfn "$root/launch" walk/launch
(
  cd walk || exit 1
  lockstep() { "$bin" "$@"; }
  set -e
  lockstep demo-images photos --per-class 100
  lockstep shard images photos --size 28x28 --channels 1 --out data
  lockstep shard fashion-mnist --out data && launch/run -n 2 -- train examples/images/pretrain-fashion.yaml
  launch/run -n 2 -- train examples/images/finetune-resnet18.yaml
  lockstep demo-images new-photos --per-class 10 --seed 2
  launch/run -n 2 -- predict examples/images/finetune-resnet18.yaml \
      --weights runs/photos-finetune/model.h5 --images new-photos --out predictions.csv
  lockstep export examples/images/finetune-resnet18.yaml --weights runs/photos-finetune/model.h5 --format onnx --out photos.onnx
  python3 examples/serve-onnx/classify.py photos.onnx new-photos > onnx-predictions.csv
) > walk.log 2>&1 < /dev/null
walk_status=$?
# Measured over seeds 1-5 (recipe seed 1): fine-tuned 98.75-100 % with AVX2 and with AVX-512
# kernels (80 test images, 20 epochs). At 12 epochs, with Winograd's convolution, seed 1 reached
# only 83.75 % with AVX2 kernels (still learning); the floor keeps 15 points below.
acc=$(json walk/runs/photos-finetune/summary.json test_accuracy | head -1)
if [ $walk_status = 0 ] && grep -q "loaded pretrained weights runs/fashion-pretrain/model.h5 with a new 4-class head" walk.log \
   && awk -v a="${acc:-0}" 'BEGIN { exit !(a >= 0.85) }'; then
  ok "walkthrough as written: shard the folder, pretrain, fine-tune ResNet-18 with flip + crop on 2 ranks: test accuracy $acc >= 0.85"
else
  bad "walkthrough (status $walk_status, accuracy ${acc:-none})" "$(grep -v "^\s*$" walk.log | tail -4)"
fi
# The new images' folder is their class: most must be predicted so.
right=$(awk -F, 'NR > 1 { n++; split($2, p, "/"); if (p[2] == $4) r++ } END { printf "%d of %d", r, n }' walk/predictions.csv 2>/dev/null)
if [ "${right#* of }" = 40 ] && [ "${right% of *}" -ge 34 ]; then
  ok "walkthrough: predict on 40 new images (another seed): $right predicted as their folder's class"
else
  bad "walkthrough predictions: ${right:-no predictions.csv}" "$(head -3 walk/predictions.csv 2>&1)"
fi
# Served by ONNX Runtime from the exported file: the same class for every image as lockstep predict.
agree=$(paste -d, <(tail -n +2 walk/predictions.csv | cut -d, -f2,4) <(tail -n +2 walk/onnx-predictions.csv 2>/dev/null | cut -d, -f1,2) \
  | awk -F, '$1 == $3 && $2 == $4 { s++ } END { printf "%d of %d", s, NR }')
if [ "$agree" = "40 of 40" ]; then
  ok "walkthrough: exported to ONNX, examples/serve-onnx/classify.py in ONNX Runtime gives lockstep predict's class for $agree images ($(grep -o '[0-9]* images/s with decoding' walk.log))"
else
  bad "walkthrough: ONNX Runtime's classes vs lockstep predict's: ${agree:-none}" "$(grep -i -E "error|export" walk.log | tail -3)"
fi
[ -f walk/runs/photos-finetune/confusion.csv ] && grep -q '^disc,' walk/runs/photos-finetune/per_class.csv \
  && ok "the run writes per_class.csv and confusion.csv with class names" || bad "per-class files of the run" "$(ls walk/runs/photos-finetune)"
walk="$root/examples/images/finetune-resnet18.yaml"
cd walk || exit 1

# --- a broken image: an error naming it, or left out and counted with --skip-bad ---------------
printf 'not an image at all' > photos/disc/broken.jpg
expect_failure "shard images: a broken file stops it, named" "photos/disc/broken.jpg: not a JPEG or PNG file" -- \
  "$bin" shard images photos --size 28x28 --channels 1 --out skipped
if "$bin" shard images photos --size 28x28 --channels 1 --out skipped --skip-bad > shardimg.log 2>&1 \
   && grep -q "skipped photos/disc/broken.jpg" shardimg.log && grep -q "1 skipped" shardimg.log \
   && cmp -s skipped/photos-test.files.txt data/photos-test.files.txt && cmp -s skipped/photos-train.files.txt data/photos-train.files.txt; then
  ok "shard images --skip-bad: the broken file listed and counted, the same 320 + 80 images as without it ($(grep -o '[0-9]* images/s' shardimg.log))"
else
  bad "shard images --skip-bad" "$(tail -3 shardimg.log)"
fi
rm photos/disc/broken.jpg

# --- eval: per-class accuracy and the confusion matrix -----------------------------------------
weights=runs/photos-finetune/model.h5
if out=$(timeout 120 "$run" -n 2 -- eval "$walk" --weights "$weights" --out evalout 2>&1) \
   && echo "$out" | grep -q "test accuracy $(awk -v a="${acc:-0}" 'BEGIN { printf "%.2f", 100 * a }')%" \
   && echo "$out" | grep -q "triangle" && [ "$(wc -l < evalout/confusion.csv)" = 5 ] && [ "$(wc -l < evalout/per_class.csv)" = 5 ]; then
  ok "eval on 2 ranks: the run's accuracy, per-class table, confusion.csv (4x4 + header)"
else
  bad "eval per-class outputs" "$(echo "$out" | tail -8)" "$(ls evalout 2>&1)"
fi

# --- predict: shards and image files, any number of ranks, every input once --------------------
if timeout 120 "$run" -n 2 -- predict "$walk" --weights "$weights" --data data/photos-test.manifest.json \
     --out pdata.csv --logits plogits.h5 > pdata.log 2>&1 \
   && [ "$(wc -l < pdata.csv)" = 81 ] && grep -q "top-1 accuracy $(awk -v a="${acc:-0}" 'BEGIN { printf "%.2f", 100 * a }')%" pdata.log \
   && "$bin" inspect plogits.h5 2>&1 | grep -q "logits  float32 \[80, 4\]"; then
  ok "predict --data on 2 ranks: 80 rows, top-1 accuracy = eval's, logits [80, 4] in HDF5"
else
  bad "predict --data" "$(tail -3 pdata.log)" "$(head -2 pdata.csv 2>&1)" "$("$bin" inspect plogits.h5 2>&1 | head -5)"
fi
sed 's|^|photos/|' data/photos-test.files.txt > test-files.txt
if timeout 120 "$run" -n 3 -- predict "$walk" --weights "$weights" --images $(cat test-files.txt) \
     --top-k 2 --out pimg.csv > pimg.log 2>&1 && [ "$(wc -l < pimg.csv)" = 81 ]; then
  # The same files, decoded and resized again: every file's top class must equal the shards'.
  differ=$(awk -F, 'NR == FNR { if (FNR > 1) top["photos/" $2] = $4; next } FNR > 1 && top[$2] != $4 { n++ } END { print n + 0 }' pdata.csv pimg.csv)
  [ "$differ" = 0 ] && ok "predict --images on 3 ranks: the 80 test files get the top class their shards got" \
    || bad "predict --images disagrees with --data on $differ file(s)" "$(head -3 pimg.csv)"
else
  bad "predict --images" "$(tail -3 pimg.log)"
fi
ckpt=$(ls runs/photos-finetune/checkpoints/ckpt-*.h5 2>/dev/null | tail -1)
if [ -n "$ckpt" ] && timeout 120 "$run" -n 2 -- predict "$walk" --weights "$ckpt" --images photos/ring \
     --out pring.csv > pring.log 2>&1 && [ "$(wc -l < pring.csv)" = 101 ]; then
  ok "predict on a checkpoint ($(basename "$ckpt")), a whole folder: 100 rows"
else
  bad "predict on a checkpoint and a folder" "${ckpt:-no checkpoint in runs/photos-finetune}" "$(tail -3 pring.log 2>&1)"
fi

# --- bad inputs to predict and to the array converters -----------------------------------------
printf 'garbage' > broken.png
expect_failure "predict: an undecodable image is named" "broken.png" -- \
  "$run" -n 2 -- predict "$walk" --weights "$weights" --images photos/square/square-0001.jpg broken.png
expect_failure "predict: a missing folder is named" "no-such-folder" -- \
  "$run" -n 2 -- predict "$walk" --weights "$weights" --images no-such-folder
expect_failure "predict: both --data and --images" "one of them" -- \
  "$bin" predict "$walk" --weights "$weights" --data data/photos-test.manifest.json --images photos
expect_failure "predict: weights of another width are named" "does not match the model: conv1.weight" -- \
  "$run" -n 2 -- predict "$walk" --weights "$weights" --images photos/ring --set model.widths=[16,32,64,128]
expect_failure "shard cifar10: a folder without the batches" "data_batch_1.bin" -- \
  "$bin" shard cifar10 --source photos --out c10
expect_failure "shard arrays: 20 samples but 6 labels" "6 labels for the 20 samples" -- \
  "$bin" shard arrays --inputs data/photos-test-00000-of-00004.h5:/images --labels "$root/Tests/Fixtures/arrays/y_i64.npy" --out arr
cd "$work"
