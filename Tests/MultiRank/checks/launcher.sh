# Sourced by Tests/MultiRank/run.sh (helpers in lib.sh). Launchers, as dry runs.

# --- launcher (dry runs) ------------------------------------------------------------------------
dry=$("$run" -n 4 --dry-run -- train x.yaml)
cores=$(nproc)
if echo "$dry" | grep -q "mpirun -np 4" && echo "$dry" | grep -q "OPENBLAS_NUM_THREADS=1" \
   && { [ "$cores" -ge 4 ] || echo "$dry" | grep -q -- "--oversubscribe"; }; then
  ok "launch/run --dry-run: $dry"
else
  bad "launch/run --dry-run" "$dry"
fi

script=$("$root/launch/sbatch" -n 8 --time 00:30:00 --dry-run -- "$recipe")
if echo "$script" | grep -q -- "--signal=USR1@120" && echo "$script" | grep -q -- "--resume auto" \
   && echo "$script" | grep -q 'scontrol requeue' && echo "$script" | grep -q -- "--cluster slurm -n 8"; then
  ok "launch/sbatch --dry-run: USR1 120 s before the limit, requeue on exit 75, --resume auto"
else
  bad "launch/sbatch --dry-run" "$script"
fi
