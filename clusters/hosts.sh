# Cluster profile: several machines reached by ssh (Open MPI's default remote shell), each
# with the same paths (lockstep and the data on a shared file system).
#   launch/run --hosts node1:4,node2:4 --threads 2 -- train recipe.yaml
#   launch/run --hostfile hosts.txt --ranks-per-node 4 -- train recipe.yaml
# A hostfile has one line per node: "node1 slots=4". Each rank gets THREADS cores of its
# node and is bound to them (--map-by …:PE=THREADS --bind-to core), so its OpenBLAS threads
# do not migrate or share cores with another rank. Pass network choices with --mca, e.g.
# --mca btl_tcp_if_include=ib0 (Open MPI picks InfiniBand through UCX by itself when built
# with it).

launcher_command() {
  CMD=(mpirun)
  if [ -n "$PER_NODE" ]; then CMD+=(--map-by "ppr:$PER_NODE:node:PE=$THREADS")
  else CMD+=(--map-by "slot:PE=$THREADS"); fi
  CMD+=(--bind-to core --report-bindings)
  add_mpirun_common
  CMD+=("$@")
}

default_threads() { echo 1; }
