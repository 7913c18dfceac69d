# Cluster profile: one machine, Open MPI's mpirun.
# A profile defines launcher_command: given RANKS, THREADS (per rank), then the program and
# its arguments, it fills the array CMD with the full command line.

launcher_command() {
  local ranks=$1 threads=$2; shift 2
  local cores; cores=$(nproc)
  CMD=(mpirun -np "$ranks"
       # Threads, not cores, are the unit of binding here: leave placement to the kernel.
       --bind-to none
       # Single-copy shared memory (CMA) needs ptrace rights that containers often lack.
       --mca btl_vader_single_copy_mechanism none
       -x OPENBLAS_NUM_THREADS="$threads" -x OMP_NUM_THREADS="$threads")
  if [ "$(id -u)" = 0 ]; then CMD+=(--allow-run-as-root); fi
  if [ "$ranks" -gt "$cores" ]; then CMD+=(--oversubscribe); fi
  CMD+=("$@")
}

default_threads() {  # cores / ranks, at least 1
  local ranks=$1 cores; cores=$(nproc)
  local t=$(( cores / ranks )); [ "$t" -ge 1 ] || t=1; echo "$t"
}
