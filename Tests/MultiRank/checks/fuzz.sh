# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Mutated inputs of every kind through the real binary.

# --- 495 mutated inputs (11 kinds x 45, a fixed seed): clear errors or normal runs, never a crash, a hang or a wait over 12 s ---
mkdir -p fuzz
if out=$(python3 "$here/fuzz.py" "$bin" fuzz --per-kind 45 --seed 1 2>&1); then
  ok "$(echo "$out" | tail -1)"
else
  bad "fuzz: crashes or hangs" "$(echo "$out" | tail -8)"
fi
