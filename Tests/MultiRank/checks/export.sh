# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Models out: every zoo model, trained on
# 2 ranks, exported to ONNX and run by ONNX Runtime, which must reproduce `lockstep predict
# --logits` (2 ranks) to 1e-4 of the outputs' magnitude; safetensors and Keras exports read
# back by Lockstep's own importer give the same outputs; bad exports are clear errors and leave
# no file. ONNX Runtime comes from PyPI (launch/test installs it; Lockstep never needs Python).
mkdir -p export && cd export || exit 1
check="$root/Tests/Export/onnx_check.py"
if ! python3 -c "import onnx, onnxruntime, h5py, numpy" 2> pyerr.log; then
  bad "export: python3 cannot import onnx, onnxruntime, h5py and numpy (launch/test installs them from PyPI)" "$(tail -1 pyerr.log)"
else
  "$bin" demo-images pictures --per-class 20 > /dev/null && "$bin" shard images pictures --size 32x32 --out exdata > shard.log 2>&1 \
    || bad "export: demo images for the models" "$(tail -2 shard.log)"
  cat > base.yaml <<'YAML'
name: export-check
seed: 3
model: {name: mlp}
data:
  train: exdata/pictures-train.manifest.json
  normalize: {mean: [0.5, 0.45, 0.4], std: [0.25, 0.2, 0.3]}
training: {epochs: 2, batch_per_rank: 8, progress: none, tensorboard: false}
optimizer: {name: adam, lr: 0.01}
YAML
  # Small versions of every zoo model (RGB 32x32; the sequence models read its rows).
  while IFS='|' read -r tag args; do
    set -- --set model.name="${tag%%+*}" $args
    if timeout 300 "$run" -n 2 -- train base.yaml "$@" --out "run-$tag" > "train-$tag.log" 2>&1 < /dev/null \
       && timeout 300 "$run" -n 2 -- predict base.yaml "$@" --weights "run-$tag/model.h5" --data exdata/pictures-test.manifest.json \
            --out "p-$tag.csv" --logits "l-$tag.h5" > "predict-$tag.log" 2>&1 < /dev/null \
       && timeout 120 "$bin" export base.yaml "$@" --weights "run-$tag/model.h5" --format onnx --out "$tag.onnx" > "export-$tag.log" 2>&1 \
       && out=$(timeout 120 python3 "$check" "$tag.onnx" exdata/pictures-test.manifest.json "l-$tag.h5" 2>&1); then
      ok "export $tag to ONNX: ${out#onnx_check: }"
    else
      bad "export $tag to ONNX" "$(tail -1 "train-$tag.log")" "$(tail -1 "predict-$tag.log" 2>/dev/null)" "$(tail -1 "export-$tag.log" 2>/dev/null)" "${out:-}"
    fi
    out=""
  done <<'MODELS'
mlp|--set model.hidden=[16,8] --set model.dropout=0.2
lenet5|--set model.activation=tanh
vgg11|--set model.widths=[4,8,8,8,8] --set model.classifier_width=16
vgg11_bn|--set model.widths=[4,8,8,8,8] --set model.classifier_width=16
vgg16|--set model.widths=[4,4,8,8,8] --set model.classifier_width=16
vgg16_bn|--set model.widths=[4,4,8,8,8] --set model.classifier_width=16
resnet18|--set model.widths=[4,8,8,16]
resnet34|--set model.widths=[4,4,8,8] --set model.stem=cifar
resnet50|--set model.widths=[4,4,8,8]
resnet50-keras|--set model.widths=[4,4,8,8]
lstm|--set model.hidden=[8] --set model.layers=2 --set model.bidirectional=true
gru|--set model.hidden=[8] --set model.layers=2 --set model.bidirectional=true
rnn|--set model.hidden=[8] --set model.layers=2
transformer|--set model.dim=16 --set model.heads=2 --set model.layers=2
transformer+causal|--set model.dim=16 --set model.heads=4 --set model.layers=1 --set model.causal=true --set model.pooling=mean --set model.positional=learned --set model.norm_first=false
autoencoder|--set model.widths=[4,8] --set model.code=8 --set loss.name=mse
MODELS

  # Token ids in: the Transformer of examples/sequence-lookup-transformer.yaml (an embedding).
  seq=(--set data.train=seqdata/lookup-train.manifest.json --set data.test=null --set training.epochs=1 --set training.progress=none)
  if "$bin" shard sequence-task --task lookup --out seqdata > seq-shard.log 2>&1 \
     && timeout 300 "$run" -n 2 -- train "$root/examples/sequence-lookup-transformer.yaml" "${seq[@]}" --out run-seq > train-seq.log 2>&1 < /dev/null \
     && timeout 300 "$run" -n 2 -- predict "$root/examples/sequence-lookup-transformer.yaml" "${seq[@]}" --weights run-seq/model.h5 \
          --data seqdata/lookup-test.manifest.json --out p-seq.csv --logits l-seq.h5 > predict-seq.log 2>&1 < /dev/null \
     && "$bin" export "$root/examples/sequence-lookup-transformer.yaml" "${seq[@]}" --weights run-seq/model.h5 --format onnx --out seq.onnx > export-seq.log 2>&1 \
     && out=$(timeout 120 python3 "$check" seq.onnx seqdata/lookup-test.manifest.json l-seq.h5 2>&1); then
    ok "export the token-id Transformer (sequence-lookup) to ONNX: ${out#onnx_check: }"
  else
    bad "export the token-id Transformer to ONNX" "$(tail -1 train-seq.log)" "$(tail -1 predict-seq.log 2>/dev/null)" "$(tail -1 export-seq.log 2>/dev/null)" "${out:-}"
  fi

  # safetensors and Keras: exported, read back by Lockstep's importer, the same outputs exactly.
  for pair in "resnet18:safetensors:--set model.widths=[4,8,8,16]" "resnet50-keras:keras:--set model.widths=[4,4,8,8]"; do
    IFS=: read -r tag format args <<< "$pair"
    ext=$([ "$format" = keras ] && echo h5 || echo safetensors)
    if "$bin" export base.yaml --set model.name="$tag" $args --weights "run-$tag/model.h5" --format "$format" --out "$tag-out.$ext" > "ex-$format.log" 2>&1 \
       && timeout 120 "$run" -n 2 -- predict base.yaml --set model.name="$tag" $args --weights "$tag-out.$ext" \
            --data exdata/pictures-test.manifest.json --out back.csv --logits "back-$tag.h5" > "back-$format.log" 2>&1 < /dev/null \
       && python3 -c "import h5py, numpy as n, sys; sys.exit(not n.array_equal(h5py.File(sys.argv[1])['logits'][:], h5py.File(sys.argv[2])['logits'][:]))" \
            "back-$tag.h5" "l-$tag.h5"; then
      ok "export $tag to $format, read back by lockstep predict (2 ranks): the same logits, bit for bit"
    else
      bad "export $tag to $format and back" "$(tail -1 "ex-$format.log")" "$(tail -1 "back-$format.log" 2>/dev/null)"
    fi
  done
fi

# --- bad exports: named, and no file left -------------------------------------------------------
expect_failure "export: an unknown format" "--format must be one of onnx, safetensors, keras, got tflite" -- \
  "$bin" export base.yaml --weights run-mlp/model.h5 --format tflite --out x.tflite
expect_failure "export: a model Keras has no form for" "model lstm cannot be exported to Keras" -- \
  "$bin" export base.yaml --set model.name=lstm --set model.hidden=[8] --set model.layers=2 --set model.bidirectional=true \
  --weights run-lstm/model.h5 --format keras --out lstm.h5
expect_failure "export: weights of another model" "does not match the model: missing 0.weight" -- \
  "$bin" export base.yaml --set model.name=lenet5 --weights run-mlp/model.h5 --format onnx --out wrong.onnx
expect_failure "export: an output folder that does not exist" "the folder /nonexistent-folder does not exist" -- \
  "$bin" export base.yaml --set model.hidden=[16,8] --set model.dropout=0.2 --weights run-mlp/model.h5 --format onnx --out /nonexistent-folder/m.onnx
expect_failure "export: no data to size the model, no --input-shape" "give --input-shape" -- \
  "$bin" export base.yaml --set data.train=absent.manifest.json --weights run-mlp/model.h5 --format onnx --out absent.onnx
left=$(ls x.tflite lstm.h5 wrong.onnx absent.onnx .*.tmp-* 2>/dev/null)
[ -z "$left" ] && ok "export: the failed exports left no file behind" || bad "export: files left by failed exports" "$left"
cd "$work" || exit 1
