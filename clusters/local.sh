# Cluster profile: one machine, Open MPI's mpirun.
#   launch/run -n 4 -- train recipe.yaml
# Binding is left to the kernel: a workstation runs other things too, and containers often
# forbid binding. Ranks beyond the cores are allowed (oversubscribed), with a warning from
# lockstep at startup.

launcher_command() {
  local cores; cores=$(nproc)
  # Single-copy shared memory (CMA) needs ptrace rights that containers often lack, and in some
  # VMs it is slower than copying twice through shared memory: lockstep measures which pays
  # (LOCKSTEP_SINGLE_COPY=cma|none decides instead).
  local single=${LOCKSTEP_SINGLE_COPY:-}
  [ -n "$single" ] || single=$("$1" doctor --single-copy 2>/dev/null || echo none)
  case "$single" in cma|none) ;; *) fail "LOCKSTEP_SINGLE_COPY must be cma or none, got '$single'" ;; esac
  CMD=(mpirun --bind-to none --mca btl_vader_single_copy_mechanism "$single")
  add_mpirun_common
  if [ -n "$RANKS" ] && [ "$RANKS" -gt "$cores" ]; then CMD+=(--oversubscribe); fi
  CMD+=("$@")
}

default_threads() {  # cores / ranks, at least 1
  local cores t; cores=$(nproc)
  t=$(( cores / ${RANKS:-1} )); [ "$t" -ge 1 ] || t=1; echo "$t"
}
