# Helpers every cluster profile uses; launch/run sources this before the profile.
# launch/run sets, from its options:
#   RANKS      total ranks ("" when the hosts' slots decide)
#   THREADS    BLAS threads per rank
#   PER_NODE   ranks per node ("" when not given)
#   HOSTS      "node1:2,node2:2" ("" when not given)
#   HOSTFILE   an Open MPI hostfile ("" when not given)
#   MCA        array of "name=value" MCA parameters to pass through
# A profile defines launcher_command PROGRAM ARGS…, which fills the array CMD, and
# default_threads, which prints the BLAS threads per rank to use when --threads is not given.

# Variables the ranks need, wherever they run: the BLAS thread count and kernel choice, and
# Lockstep's own variables (fault injection for tests, the binary). Open MPI's -x sends them
# to ranks on other hosts too, which inherit nothing from this shell.
forwarded_variables() {
  echo "OPENBLAS_NUM_THREADS=$THREADS"
  echo "OMP_NUM_THREADS=$THREADS"
  # How long idle OpenBLAS threads spin (2^20 cycles; the library's 2^28 starves Lockstep's own
  # kernel threads). Ranks without it restart themselves to set it, so pass it from here.
  if [ "$THREADS" -gt 1 ] && [ -z "${OPENBLAS_THREAD_TIMEOUT+x}${GOTO_THREAD_TIMEOUT+x}" ]; then echo "OPENBLAS_THREAD_TIMEOUT=20"; fi
  local name
  for name in OPENBLAS_CORETYPE OPENBLAS_VERBOSE OPENBLAS_THREAD_TIMEOUT GOTO_THREAD_TIMEOUT $(compgen -e | grep '^LOCKSTEP_' || true); do
    [ -n "${!name+x}" ] && echo "$name=${!name}"
  done
  return 0
}

# Adds Open MPI's options shared by the mpirun profiles: rank count and hosts, environment,
# MCA parameters, and the flags root needs (CI and containers run as root).
add_mpirun_common() {
  [ -n "$RANKS" ] && CMD+=(-np "$RANKS")
  [ -n "$HOSTS" ] && CMD+=(--host "$HOSTS")
  [ -n "$HOSTFILE" ] && CMD+=(--hostfile "$HOSTFILE")
  local v m
  while IFS= read -r v; do CMD+=(-x "$v"); done < <(forwarded_variables)
  for m in "${MCA[@]}"; do CMD+=(--mca "${m%%=*}" "${m#*=}"); done
  if [ "$(id -u)" = 0 ]; then CMD+=(--allow-run-as-root); fi
  return 0
}
