# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Mutated inputs of every kind through the real binary.

# --- 360 mutated inputs (8 kinds x 45, a fixed seed): clear errors or normal runs, never a crash or hang ---
mkdir -p fuzz
if out=$(python3 "$here/fuzz.py" "$bin" fuzz --per-kind 45 --seed 1 2>&1); then
  ok "$(echo "$out" | tail -1)"
else
  bad "fuzz: crashes or hangs" "$(echo "$out" | tail -8)"
fi
