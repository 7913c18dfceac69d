# The multi-host test bed: network namespaces on this machine acting as the hosts of a
# cluster. Sourced by run.sh. Needs root, iproute2 (`ip netns`) and util-linux (`unshare`).
#
#   testbed_up COUNT   creates hosts host1…hostCOUNT: one namespace each, with the address
#                      10.77.0.(10+i)/24 on an eth0 plugged into a bridge that lives in a
#                      namespace of its own (the "switch"); names resolve through a hosts
#                      file that `ip netns exec` shows as /etc/hosts inside each namespace.
#                      Sets LOCKSTEP_TESTBED_HOSTS for the agent (address=namespace=name …)
#                      and LOCKSTEP_TESTBED_MOUNTS (the mount namespace hosts start from).
#   testbed_on I CMD…  runs CMD on host I, with that hostname (the "login node" is host1).
#   testbed_pids I     the processes running on host I.
#   testbed_down       removes everything testbed_up made; run.sh calls it on every exit.
# The namespaces share this machine's file system, as cluster nodes share a parallel file
# system, and its cores. Nothing here touches the machine's own network namespace.

TESTBED_NET=10.77.0.0/24
testbed_id="lsk$$"
testbed_namespaces=()

testbed_skip_reason() {  # prints why the test bed cannot run here, or nothing
  [ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; return; }
  command -v ip > /dev/null || { echo "needs iproute2 (ip netns)"; return; }
  command -v unshare > /dev/null || { echo "needs unshare (util-linux)"; return; }
  ip netns add "$testbed_id-probe" 2> /dev/null || { echo "ip netns add is refused here (no CAP_SYS_ADMIN?)"; return; }
  ip netns del "$testbed_id-probe"
}

testbed_ns() { echo "$testbed_id-h$1"; }

testbed_up() {
  local count=$1 i ns switch="$testbed_id-sw" hosts=""
  ip netns add "$switch" && testbed_namespaces+=("$switch") || return 1
  ip -n "$switch" link add br0 type bridge && ip -n "$switch" link set br0 up || return 1
  for i in $(seq 1 "$count"); do hosts+="10.77.0.$((10 + i)) host$i"$'\n'; done
  LOCKSTEP_TESTBED_HOSTS=""
  for i in $(seq 1 "$count"); do
    ns=$(testbed_ns "$i")
    ip netns add "$ns" && testbed_namespaces+=("$ns") || return 1
    ip link add eth0 netns "$ns" type veth peer name "port$i" netns "$switch" || return 1
    ip -n "$switch" link set "port$i" master br0 up || return 1
    ip -n "$ns" addr add "10.77.0.$((10 + i))/24" dev eth0 && ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up || return 1
    mkdir -p "/etc/netns/$ns" && printf '127.0.0.1 localhost\n%s' "$hosts" > "/etc/netns/$ns/hosts" || return 1
    LOCKSTEP_TESTBED_HOSTS+="10.77.0.$((10 + i))=$ns=host$i "
  done
  # The agent starts remote ranks from this shell's mount namespace, whatever host1 mounted.
  export LOCKSTEP_TESTBED_HOSTS LOCKSTEP_TESTBED_NET=$TESTBED_NET LOCKSTEP_TESTBED_MOUNTS=/proc/$$/ns/mnt
}

testbed_on() {
  local i=$1; shift
  ip netns exec "$(testbed_ns "$i")" unshare --uts bash -c 'hostname "$1"; shift; exec "$@"' testbed "host$i" "$@"
}

testbed_pids() { ip netns pids "$(testbed_ns "$1")" 2> /dev/null; }

testbed_down() {
  local ns
  for ns in "${testbed_namespaces[@]}"; do
    ip netns pids "$ns" 2> /dev/null | xargs -r kill -9 2> /dev/null
    ip netns del "$ns" 2> /dev/null
    rm -rf "/etc/netns/$ns"
  done
  testbed_namespaces=()
}
