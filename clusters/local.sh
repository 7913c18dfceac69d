# Cluster profile: one machine, Open MPI's mpirun.
#   launch/run -n 4 -- train recipe.yaml
# Binding is left to the kernel: a workstation runs other things too, and containers often
# forbid binding. Ranks beyond the cores are allowed (oversubscribed), with a warning from
# lockstep at startup.

launcher_command() {
  local cores; cores=$(nproc)
  CMD=(mpirun --bind-to none
       # Single-copy shared memory (CMA) needs ptrace rights that containers often lack.
       --mca btl_vader_single_copy_mechanism none)
  add_mpirun_common
  if [ -n "$RANKS" ] && [ "$RANKS" -gt "$cores" ]; then CMD+=(--oversubscribe); fi
  CMD+=("$@")
}

default_threads() {  # cores / ranks, at least 1
  local cores t; cores=$(nproc)
  t=$(( cores / ${RANKS:-1} )); [ "$t" -ge 1 ] || t=1; echo "$t"
}
