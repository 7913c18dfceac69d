# Cluster profile: the multi-host test bed (Tests/MultiHost/), network namespaces on one
# machine acting as hosts. Like `hosts`, but mpirun reaches the other "hosts" through the test
# bed's agent (ip netns exec, in place of ssh), ranks talk TCP only (no shared memory across
# namespaces), on the test bed's network, and are not bound: the hosts share one machine's
# cores. Run it from inside the first host's namespace, as Tests/MultiHost/run.sh does:
#   launch/run --cluster netns --hosts host1:1,host2:1,host3:1 -- train recipe.yaml
# LOCKSTEP_TESTBED_HOSTS (set by the test bed, forwarded like every LOCKSTEP_ variable) tells
# the agent which namespace is which host.

launcher_command() {
  local net=${LOCKSTEP_TESTBED_NET:-10.77.0.0/24}
  CMD=(mpirun --bind-to none
       --mca plm_rsh_agent "$root/Tests/MultiHost/agent"
       --mca btl self,tcp --mca btl_tcp_if_include "$net" --mca oob_tcp_if_include "$net"
       # Ranks of different "hosts" share the machine's cores: a rank waiting for a message
       # must give its core to the one that has work, not spin (as on an oversubscribed node).
       --mca mpi_yield_when_idle 1)
  [ -n "$PER_NODE" ] && CMD+=(--map-by "ppr:$PER_NODE:node")
  add_mpirun_common
  CMD+=(--oversubscribe "$@")
}

default_threads() { echo 1; }
