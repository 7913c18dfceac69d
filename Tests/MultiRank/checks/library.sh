# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Programs written on Lockstep's library
# (examples/custom-loop, examples/gan), launched as users launch their own: launch/run --bin.
loop="$root/.build/release/custom-loop"  # examples/custom-loop, a package of its own, built by launch/test into .build
gan="$root/.build/release/gan"
train_manifest="$work/data/fashion-mnist-train.manifest.json"

# --- the custom loop: N ranks x B/N == 1 rank x B ---------------------------------------------
if timeout 300 "$run" --bin "$loop" -n 1 -- --data "$work/data" --steps 50 --batch-per-rank 64 --out loop1 > loop1.log 2>&1 \
   && timeout 300 "$run" --bin "$loop" -n 2 -- --data "$work/data" --steps 50 --batch-per-rank 32 --out loop2 > loop2.log 2>&1 \
   && out=$("$bin" compare loop2/model.h5 loop1/model.h5 --rtol 1e-5); then
  ok "custom loop (examples/custom-loop): 2 ranks x 32 = 1 rank x 64 after 50 steps ($out)"
else
  bad "custom loop: 2 ranks x 32 vs 1 rank x 64" "$(tail -2 loop1.log)" "$(tail -2 loop2.log)" "${out:-}"
fi

# --- the custom loop resumes bitwise from its own checkpoints ----------------------------------
# Stopped at step 30 (states every 10), rerun to 60: the same bits as 60 steps uninterrupted.
loop_args=(--data "$work/data" --batch-per-rank 32 --checkpoint-every 10)
if timeout 300 "$run" --bin "$loop" -n 2 -- "${loop_args[@]}" --steps 60 --out loop-whole > loop-whole.log 2>&1; then
  if timeout 300 "$run" --bin "$loop" -n 2 -- "${loop_args[@]}" --steps 30 --out loop-cut > loop-cut1.log 2>&1 \
     && timeout 300 "$run" --bin "$loop" -n 2 -- "${loop_args[@]}" --steps 60 --out loop-cut > loop-cut2.log 2>&1 \
     && grep -q "resumed from .*state-000000030.h5 at step 30" loop-cut2.log \
     && out=$("$bin" compare loop-cut/model.h5 loop-whole/model.h5 --rtol 0); then
    ok "custom loop: stopped at step 30, resumed to 60 = 60 uninterrupted, bitwise ($out)"
  else
    bad "custom loop: resume from its checkpoint (step 1: run to 30; 2: rerun to 60 resumes at 30; 3: bitwise equal)" \
        "$(tail -2 loop-cut1.log)" "$(tail -2 loop-cut2.log)" "${out:-}"
  fi
  # A damaged newest state is skipped for the one before it; resumed on 1 rank x 64 (the same
  # global batch), the run ends where the 2-rank one did.
  mkdir -p loop-damaged && cp -r loop-whole/checkpoints loop-damaged/
  printf '\xff\xff\xff\xff' | dd of=loop-damaged/checkpoints/state-000000060.h5 bs=1 seek=800 conv=notrunc 2> /dev/null
  if timeout 300 "$run" --bin "$loop" -n 1 -- --data "$work/data" --batch-per-rank 64 --steps 60 --out loop-damaged > loop-damaged.log 2>&1 \
     && grep -q "resumed from .*state-000000050.h5 at step 50" loop-damaged.log \
     && out=$("$bin" compare loop-damaged/model.h5 loop-whole/model.h5 --rtol 1e-5); then
    ok "custom loop: a damaged newest state is skipped; resumed from step 50 on 1 rank x 64 = the 2-rank run ($out)"
  else
    bad "custom loop: resume past a damaged state on another world size" "$(tail -3 loop-damaged.log)" "${out:-}"
  fi
else
  bad "custom loop: 60 uninterrupted steps with checkpoints" "$(tail -3 loop-whole.log)"
fi

# --- the GAN: two models, two reducers, synchronized BatchNorm; N ranks x B/N == 1 rank x B ---
# Compared after 3 steps: a GAN's dynamics amplify the rounding of a different summation order
# (measured with the defaults: 2e-6 after 3 steps, 2e-3 after 10, 3e-2 after 30), and Adam's
# first steps move every weight by about the learning rate whatever its gradient's size.
gan_args=(--data "$train_manifest" --steps 3 --log-every 1)
if timeout 300 "$run" --bin "$gan" -n 1 -- "${gan_args[@]}" --batch-per-rank 32 --out gan1 > gan1.log 2>&1 \
   && timeout 300 "$run" --bin "$gan" -n 2 -- "${gan_args[@]}" --batch-per-rank 16 --out gan2 > gan2.log 2>&1 \
   && out_g=$("$bin" compare gan2/generator.h5 gan1/generator.h5 --rtol 1e-5) \
   && out_d=$("$bin" compare gan2/discriminator.h5 gan1/discriminator.h5 --rtol 1e-5); then
  ok "GAN (examples/gan): 2 ranks x 16 = 1 rank x 32 after 3 steps (generator: $out_g; discriminator: $out_d)"
else
  bad "GAN: 2 ranks x 16 vs 1 rank x 32 after 3 steps (step 1: 1 rank; 2: 2 ranks; 3: generator; 4: discriminator)" \
      "$(tail -2 gan1.log)" "$(tail -2 gan2.log)" "${out_g:-}" "${out_d:-}"
fi
# The generator leaves as ONNX (the library's export): ONNX Runtime turns noise into 28x28 images in [-1, 1].
if out=$(python3 - gan2/generator.onnx 2>&1 <<'PY'
import sys, numpy as np, onnxruntime as ort
s = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
y = s.run(None, {s.get_inputs()[0].name: np.random.default_rng(0).standard_normal((8, 64)).astype("float32")})[0]
assert y.shape == (8, 1, 28, 28) and y.min() >= -1 and y.max() <= 1 and y.std(0).mean() > 0, (y.shape, y.min(), y.max())
print(f"{y.shape}, values in [{y.min():.2f}, {y.max():.2f}]")
PY
); then
  ok "GAN: generator.onnx runs in ONNX Runtime: noise [8, 64] -> images $out"
else
  bad "GAN: generator.onnx in ONNX Runtime" "$out"
fi

# --- the GAN's checkpoints: two models, two optimizers, the moving average; resumed bitwise -------
# The uninterrupted run also scores its samples on rank 0 every 10 steps (a 5-step MLP as the
# judge): drawing samples must leave the replicas alike, which the fingerprint comparison before
# each checkpoint checks.
gan_ck=(--data "$train_manifest" --batch-per-rank 16 --log-every 10 --checkpoint-every 10)
if timeout 300 "$run" -n 1 -- train "$recipe" "${data[@]}" "${ck[@]}" --set training.max_steps=5 --out gan-judge > gan-judge.log 2>&1 \
   && timeout 300 "$run" --bin "$gan" -n 2 -- "${gan_ck[@]}" --steps 40 --out gan-whole --classifier gan-judge/model.h5 --score-every 10 > gan-whole.log 2>&1 \
   && grep -q "step 30  classifier: confidence" gan-whole.log \
   && timeout 300 "$run" --bin "$gan" -n 2 -- "${gan_ck[@]}" --steps 20 --out gan-cut > gan-cut1.log 2>&1 \
   && timeout 300 "$run" --bin "$gan" -n 2 -- "${gan_ck[@]}" --steps 40 --out gan-cut > gan-cut2.log 2>&1 \
   && grep -q "resumed from .*state-000000020.h5 at step 20" gan-cut2.log \
   && out_g=$("$bin" compare gan-cut/generator.h5 gan-whole/generator.h5 --rtol 0) \
   && out_d=$("$bin" compare gan-cut/discriminator.h5 gan-whole/discriminator.h5 --rtol 0); then
  ok "GAN: stopped at step 20, resumed to 40 = 40 uninterrupted, bitwise (generator: $out_g; discriminator: $out_d)"
else
  bad "GAN: resume from its checkpoint (step 1: a judge and 40 steps scored every 10 with replica checks; 2: run to 20; 3: rerun to 40 resumes at 20; 4: bitwise equal)" \
      "$(tail -2 gan-whole.log)" "$(tail -2 gan-cut1.log)" "$(tail -2 gan-cut2.log)" "${out_g:-}" "${out_d:-}"
fi
